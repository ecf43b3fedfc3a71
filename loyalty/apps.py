from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = "Loyalty platform"

    def ready(self) -> None:
        # Registers the OpenAPI extension for the program-bound bearer token.
        from loyalty.api import schema  # noqa: F401
