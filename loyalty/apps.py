from django.apps import AppConfig


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = "Loyalty platform"

    def ready(self) -> None:
        from loyalty.core.logging import install_request_id_on_records

        install_request_id_on_records()
        # Error reporting, in web processes and Celery workers alike: only when SENTRY_DSN is set.
        from django.conf import settings

        from loyalty.ops.sentry import init_sentry

        init_sentry(
            dsn=settings.SENTRY_DSN,
            environment=settings.SENTRY_ENVIRONMENT,
            release=settings.SENTRY_RELEASE,
            traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        )
        # Registers the OpenAPI extension for the program-bound bearer token.
        from loyalty import converters  # noqa: F401 - the <key:...> path converter of the API and the shop
        from loyalty.api import (
            schema,  # noqa: F401
            webhook_payloads,
        )

        webhook_payloads.register()  # the shapes of webhook data: the API's own answers
