from django.apps import AppConfig


class ShopConfig(AppConfig):
    """The member webshop at /shop/ (its static files and template tags; pages under templates/shop/)."""

    name = "loyalty.shop"
    label = "shop"
    verbose_name = "Webshop"
