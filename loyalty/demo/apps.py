from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo program and its history: the load_demo command."""

    name = "loyalty.demo"
    label = "demo"
    verbose_name = "Demo"
