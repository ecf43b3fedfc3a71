"""Periodic jobs of the programs app: thin wrappers around the work they schedule."""

import datetime
import logging

from celery import shared_task
from django.utils import timezone
from oauth2_provider.models import clear_expired

from loyalty.core.queue import enqueue
from programs import webhook_services

logger = logging.getLogger("programs.tasks")


@shared_task
def clear_expired_tokens() -> None:
    """Deletes expired OAuth tokens (hourly, see CELERY_BEAT_SCHEDULE)."""
    clear_expired()


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    """One attempt; the next one is scheduled here (and found by the sweeper if that message is lost)."""
    delivery = webhook_services.delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.status == delivery.PENDING and delivery.next_attempt_at is not None:
        countdown = max(0.0, (delivery.next_attempt_at - timezone.now()).total_seconds())
        try:
            deliver_webhook.apply_async((delivery_id,), countdown=countdown)
        except Exception:  # broker down: the sweeper finds it when it is due
            logger.warning("Could not schedule the retry of webhook delivery %s.", delivery_id, exc_info=True)
    return delivery.status


@shared_task
def sweep_webhooks(late_seconds: float = 30) -> int:
    """Queues deliveries due for more than `late_seconds` that no worker holds: a lost message, a retry whose
    message was never sent, a worker killed in the middle of an attempt."""
    ids = webhook_services.deliveries_due(late=datetime.timedelta(seconds=late_seconds))
    for delivery_id in ids:
        enqueue(deliver_webhook, delivery_id)
    return len(ids)
