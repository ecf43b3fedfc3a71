"""Event Rewarding: accept at once (the row is the outbox), reward in a worker, exactly once."""

import datetime
import zoneinfo

from django.db import transaction
from django.utils import timezone

from loyalty.core.queue import enqueue_on_commit
from members.errors import MemberBlocked
from members.models import Member
from programs.models import EventType, Program
from rewards.dates import expiry_for
from rewards.lots import MAX_BALANCE, MAX_MOVEMENT
from rewards.models import EntryKind, Event, EventStatus, PointsBalance
from rewards.services.ledger import balance_lock, entry_post, lot_open


def event_accept(
    *,
    program: Program,
    member: Member,
    event_type: EventType,
    reference: str,
    occurred_at: datetime.datetime,
    attributes: dict,
) -> Event:
    """Stores the event as `accepted` and queues its reward once the transaction commits."""
    if member.is_blocked:
        raise MemberBlocked(f"Member {member.member_id} is blocked and cannot be rewarded.")
    local_date = occurred_at.astimezone(zoneinfo.ZoneInfo(program.timezone)).date()
    with transaction.atomic():
        event = Event.objects.create(
            program=program,
            member=member,
            event_type=event_type,
            reference=reference,
            occurred_at=occurred_at,
            local_date=local_date,
            attributes=attributes,
        )
        from rewards.tasks import reward_event

        enqueue_on_commit(reward_event, event.pk)
    return event


def event_reward(*, event_id: int) -> Event:
    """Rewards an accepted event or rejects it over a limit; a second run finds it done and stops.

    The member's balance row is locked before the limits are counted, so two events racing for the
    last slot are counted one after the other.
    """
    with transaction.atomic():
        event = (
            Event.objects.select_for_update(of=("self",))
            .select_related("event_type", "member", "program")
            .get(pk=event_id)
        )
        if event.status != EventStatus.ACCEPTED:
            return event
        balance = balance_lock(member=event.member)
        event_type = event.event_type
        now = timezone.now()
        reason = _refusal(event, event_type, balance)
        event.processed_at = now
        event.attempts += 1
        if reason:
            event.status = EventStatus.REJECTED
            event.reason = reason
            event.points = 0
            event.save(update_fields=["status", "reason", "points", "processed_at", "attempts"])
            return event
        before = (balance.available, balance.locked)
        points = event_type.points
        expires_at = expiry_for(event.occurred_at, event.program.expiry_months)
        entry = entry_post(
            balance=balance,
            kind=EntryKind.EVENT,
            reference=event.reference,
            occurred_at=event.occurred_at,
            available=points,
            description=event.program.text(event_type.name) or event_type.code,
            event=event,
            due=(expires_at,),
        )
        if points > 0:
            lot_open(balance_before=before, entry=entry, points=points, expires_at=expires_at)
        event.status = EventStatus.REWARDED
        event.points = points
        event.save(update_fields=["status", "points", "processed_at", "attempts"])
    return event


def _refusal(event: Event, event_type: EventType, balance: PointsBalance) -> str:
    if event.member.is_blocked:
        return "member_blocked"
    if not event_type.active:
        return "event_type_inactive"
    if event_type.points > MAX_MOVEMENT or balance.total + event_type.points > MAX_BALANCE:
        return "points_limit"
    rewarded = Event.objects.filter(member=event.member, event_type=event_type, status=EventStatus.REWARDED)
    if event_type.lifetime_limit is not None and rewarded.count() >= event_type.lifetime_limit:
        return "limit_reached"
    per_day = event_type.per_day_limit
    if per_day is not None and rewarded.filter(local_date=event.local_date).count() >= per_day:
        return "limit_reached"
    return ""


def events_waiting(*, older_than: datetime.timedelta, limit: int = 1000) -> list[int]:
    """Accepted events whose reward has not run yet (lost message, broker or worker down)."""
    cutoff = timezone.now() - older_than
    return list(
        Event.objects.filter(status=EventStatus.ACCEPTED, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
