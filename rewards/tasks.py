"""Celery tasks: thin wrappers around services, safe to run twice."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from loyalty.core.queue import enqueue
from rewards.services import clock, tiers
from rewards.services import events as event_services
from rewards.services import redemption as redemption_services

logger = logging.getLogger("rewards.tasks")


@shared_task(bind=True, acks_late=True, max_retries=10)
def issue_voucher(self, redemption_id: int) -> None:
    try:
        redemption_services.voucher_issue(redemption_id=redemption_id)
        logger.info("Voucher ready for redemption %s.", redemption_id)
    except OperationalError as exc:  # database hiccup: retry with backoff, the service is idempotent
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc


@shared_task
def sweep_pending_vouchers() -> int:
    """Re-queues voucher redemptions whose task was lost (broker down, worker killed)."""
    ids = redemption_services.vouchers_pending(older_than=datetime.timedelta(minutes=1))
    for redemption_id in ids:
        enqueue(issue_voucher, redemption_id)
    return len(ids)


@shared_task(bind=True, acks_late=True, max_retries=10)
def reward_event(self, event_id: int) -> None:
    try:
        # Each task also settles the oldest events waiting (none held by another worker), in one transaction.
        event_services.event_reward(event_id=event_id, batch=settings.EVENT_REWARD_BATCH)
        logger.info("Event %s processed.", event_id)
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=min(300, 5 * 2**self.request.retries)) from exc


@shared_task
def sweep_events(older_than_seconds: float = 30) -> int:
    """Re-queues events still `accepted`: a lost message or a broker outage only delays the reward."""
    ids = event_services.events_waiting(older_than=datetime.timedelta(seconds=older_than_seconds))
    for event_id in ids:
        enqueue(reward_event, event_id)
    return len(ids)


@shared_task
def activate_due_points() -> int:
    return clock.activate_due_points()


@shared_task
def release_expired_locks() -> int:
    return clock.release_expired_locks()


@shared_task
def expire_points() -> int:
    return clock.expire_points()


@shared_task
def assess_tiers() -> int:
    """The daily tier assessment; a second run the same day finds nothing to do."""
    return tiers.tiers_assess()
