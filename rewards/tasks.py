"""Celery tasks: thin wrappers around services, safe to run twice."""

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from loyalty.core.queue import enqueue
from programs.models import Program
from rewards.notifications import services as notification_services
from rewards.services import clock, tiers
from rewards.services import events as event_services
from rewards.services import redemption as redemption_services

logger = logging.getLogger("rewards.tasks")
# Batches of the expiry digest one task runs before handing over to the next (short tasks, visible progress).
DIGEST_BATCHES_PER_TASK = 20


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


# --- e-mail notifications (queue `notifications`) --------------------------------------------------------------


@shared_task(bind=True, acks_late=True, max_retries=notification_services.MAX_ATTEMPTS - 1)
def send_notification(self, notification_id: int) -> str:
    """Sends one recorded notification; running it again sends nothing more (the row's claim decides)."""
    try:
        return notification_services.notification_send(notification_id=notification_id)
    except (notification_services.NotificationFailed, OperationalError) as exc:
        raise self.retry(exc=exc, countdown=notification_services.RETRY_DELAYS[0]) from exc


@shared_task
def sweep_notifications() -> int:
    """Re-queues notifications whose task was lost, and failed ones due for another attempt."""
    ids = notification_services.notifications_waiting(older_than=datetime.timedelta(minutes=2))
    for notification_id in ids:
        enqueue(send_notification, notification_id)
    return len(ids)


@shared_task
def send_expiry_digests() -> int:
    """The daily pass of the expiry digest: one chain of batch tasks per program whose points expire."""
    now = timezone.now().isoformat()
    programs = notification_services.digest_programs()
    for program_id in programs:
        enqueue(expiry_digest, program_id, now, 0)
    return len(programs)


@shared_task(bind=True, acks_late=True, max_retries=5)
def expiry_digest(self, program_id: int, now: str, after: int) -> int:
    """Some batches of one program's digest, from member pk `after`; the rest in a new task."""
    program = Program.objects.get(pk=program_id)
    try:
        run = notification_services.expiry_digest_run(
            program=program, now=datetime.datetime.fromisoformat(now), after=after, max_batches=DIGEST_BATCHES_PER_TASK
        )
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=60) from exc
    if not run.done:
        enqueue(expiry_digest, program_id, now, run.last_member)
    return run.sent
