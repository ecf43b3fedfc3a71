"""Writes on webhook subscriptions and deliveries (the outbox itself is programs.webhooks.emit)."""

import datetime
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from programs import webhooks
from programs.models import ApiClient, WebhookDelivery, WebhookSubscription


class InvalidSubscription(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def webhook_subscribe(
    *, api_client: ApiClient, url: str, events: Sequence[str], description: str = ""
) -> tuple[WebhookSubscription, str]:
    """A new active subscription of the client; returns it and its signing secret (shown this once)."""
    unknown = sorted(set(events) - set(webhooks.EVENT_TYPES))
    if unknown:
        raise InvalidSubscription("events", f"Unknown event types: {', '.join(unknown)}.")
    if not events:
        raise InvalidSubscription("events", "At least one event type is needed.")
    try:
        webhooks.check_url(url)
    except webhooks.UnsafeURL as exc:
        raise InvalidSubscription("url", str(exc)) from None
    subscription = WebhookSubscription.objects.create(
        program_id=api_client.program_id,
        api_client=api_client,
        url=url,
        events=list(dict.fromkeys(events)),
        description=description,
        secret_salt=webhooks.new_salt(),
    )
    webhooks.subscriptions_changed(api_client.program_id)
    return subscription, webhooks.signing_secret(subscription)


@transaction.atomic
def webhook_delete(*, subscription: WebhookSubscription) -> None:
    """Stops it at once: its pending deliveries end `failed`; the row stays for the deliveries' history."""
    now = timezone.now()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(deleted_at=now, status=WebhookSubscription.DISABLED)
    subscription.deliveries.filter(status=WebhookDelivery.PENDING).update(
        status=WebhookDelivery.FAILED, last_error="The subscription was deleted.", next_attempt_at=None
    )
    webhooks.subscriptions_changed(subscription.program_id)


@transaction.atomic
def webhook_set_status(*, subscription: WebhookSubscription, active: bool, reason: str = "") -> None:
    subscription.status = WebhookSubscription.ACTIVE if active else WebhookSubscription.DISABLED
    subscription.disabled_reason = "" if active else reason
    if active:
        subscription.failing_since = None
    subscription.save(update_fields=["status", "disabled_reason", "failing_since"])
    webhooks.subscriptions_changed(subscription.program_id)


@transaction.atomic
def webhook_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new signing secret (the old one stops signing at once); returns it, shown this once."""
    subscription.secret_salt = webhooks.new_salt()
    subscription.save(update_fields=["secret_salt"])
    return webhooks.signing_secret(subscription)


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Sends a failed (or delivered) delivery again, as a new round of attempts."""
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.PENDING, next_attempt_at=now, leased_until=None, created_at=now
    )
    transaction.on_commit(lambda: webhooks._queue([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


def delivery_attempt(*, delivery_id: int, now: datetime.datetime | None = None) -> WebhookDelivery | None:
    """One attempt at a delivery that is due and held by no one; None when there is nothing to do (done, not due
    yet, or another worker holds it). The HTTP call runs outside any transaction, under a lease: a worker killed
    during the call leaves a lease that expires, and the sweeper queues the delivery again."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lte=now),
        pk=delivery_id,
        status=WebhookDelivery.PENDING,
        next_attempt_at__lte=now,
    ).update(leased_until=now + datetime.timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS))
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "subscription__program").get(pk=delivery_id)
    subscription = delivery.subscription
    if subscription.status != WebhookSubscription.ACTIVE or subscription.deleted_at is not None:
        attempt = webhooks.Attempt(False, None, "", "The subscription is disabled.")
        return _record(delivery, attempt, now, final=True)
    payload = webhooks.payload_of(delivery.event, subscription.program.code)
    headers = webhooks.signed_headers(subscription, delivery.event.id, payload)
    attempt = webhooks.post(subscription.url, headers, payload)
    return _record(delivery, attempt, timezone.now())


def _record(
    delivery: WebhookDelivery, attempt: webhooks.Attempt, now: datetime.datetime, final: bool = False
) -> WebhookDelivery:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = attempt.status_code
    delivery.last_response = attempt.response[:1000]
    delivery.last_error = attempt.error[:500]
    delivery.leased_until = None
    subscription = delivery.subscription
    if attempt.ok:
        delivery.status = WebhookDelivery.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        if subscription.failing_since is not None:  # one statement, only after failures
            WebhookSubscription.objects.filter(pk=subscription.pk).update(failing_since=None)
    else:
        # Retried until an attempt made 24 hours or more after the first still fails.
        if final or now - delivery.created_at >= webhooks.GIVE_UP_AFTER:
            delivery.status = WebhookDelivery.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + webhooks.next_delay(delivery.attempts)
        if not final:
            _note_failure(subscription, now)
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_response",
            "last_error",
            "leased_until",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def _note_failure(subscription: WebhookSubscription, now: datetime.datetime) -> None:
    """Failing since the first failure after a success; three days of that disables the subscription. Single
    conditional statements: concurrent attempts of one subscription need no lock."""
    rows = WebhookSubscription.objects.filter(pk=subscription.pk)
    if subscription.failing_since is None:
        rows.filter(failing_since__isnull=True).update(failing_since=now)
        return
    cutoff = now - webhooks.DISABLE_AFTER
    if rows.filter(status=WebhookSubscription.ACTIVE, failing_since__lte=cutoff).update(
        status=WebhookSubscription.DISABLED, disabled_reason="Every delivery failed for 3 days."
    ):
        webhooks.subscriptions_changed(subscription.program_id)


def deliveries_due(
    *, late: datetime.timedelta = datetime.timedelta(0), now: datetime.datetime | None = None, limit: int = 1000
) -> list[int]:
    """Pending deliveries due for at least `late` that no worker holds (a lost message, a killed worker)."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.PENDING, next_attempt_at__lte=now - late)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
