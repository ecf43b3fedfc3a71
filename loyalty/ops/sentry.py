"""Error reporting to Sentry (or any Sentry-compatible service) when `SENTRY_DSN` is set; nothing otherwise.

Web processes and Celery workers both initialise it (`LoyaltyConfig.ready`). Every event is tagged with the
request id of the work it comes from (the request's, or the one a task inherited from the request that enqueued
it), the id the caller saw in `X-Request-Id` and the logs carry. Performance traces are sampled at
`SENTRY_TRACES_SAMPLE_RATE` (0 by default: errors only). No personal data is sent (`send_default_pii` off).
"""

from typing import Any

from loyalty.core.request_id import current_request_id


def tag_request_id(event: Any, hint: Any) -> Any:
    request_id = current_request_id()
    if request_id:
        tags = event.get("tags")
        if isinstance(tags, dict):
            tags["request_id"] = request_id
        elif isinstance(tags, list):
            tags.append(["request_id", request_id])
        else:
            event["tags"] = {"request_id": request_id}
    return event


def init_sentry(
    *, dsn: str, environment: str = "", release: str = "", traces_sample_rate: float = 0.0, **options: Any
) -> bool:
    """Initialises sentry-sdk with the Django and Celery integrations; False (and nothing done) without a DSN."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=tag_request_id,
        before_send_transaction=tag_request_id,
        **options,
    )
    return True
