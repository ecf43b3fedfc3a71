from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = "Loyalty platform"

    def ready(self) -> None:
        from loyalty.core.logging import install_request_id_on_records

        install_request_id_on_records()
        # Registers the OpenAPI extension for the program-bound bearer token.
        from loyalty import converters  # noqa: F401 - the <key:...> path converter of the API and the shop
        from loyalty.api import schema  # noqa: F401
