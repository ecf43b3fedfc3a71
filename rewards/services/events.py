"""Event Rewarding: accept at once (the row is the outbox), reward in a worker, exactly once."""

import datetime
import zoneinfo
from collections import Counter

from django.db import transaction
from django.db.models import Count, Q, Subquery
from django.utils import timezone

from loyalty.core.queue import enqueue_on_commit
from members.errors import MemberBlocked
from members.models import Member
from programs import webhooks
from programs.models import EventType, Program
from rewards.dates import expiry_for
from rewards.lots import MAX_BALANCE, MAX_MOVEMENT
from rewards.models import EntryKind, Event, EventStatus, LedgerEntry, PointsBalance, PointsLot, TierChange
from rewards.rules import live_rules
from rewards.services.ledger import balances_lock, entry_prepare, lot_prepare
from rewards.services.tiers import tier_credit


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


def event_reward(*, event_id: int, batch: int = 1) -> Event:
    """Rewards this accepted event, or rejects it over a limit; a second run finds it done and stops.

    With `batch` > 1 it also takes up to `batch - 1` of the oldest other accepted events that no other worker
    holds (FOR UPDATE SKIP LOCKED) and settles them all in one transaction of a few statements: the worker's
    way to keep up with a burst. The balance rows of their members are locked, in member order (two batches
    sharing members never deadlock), before the limits are counted, so two events racing for a member's last
    slot, in one batch or in two, are counted one after the other. Returns the event, done or held elsewhere.
    """
    with transaction.atomic():
        waiting = Event.objects.filter(status=EventStatus.ACCEPTED).order_by("created_at").values("pk")[: batch - 1]
        chosen = Q(pk=event_id) | Q(pk__in=Subquery(waiting)) if batch > 1 else Q(pk=event_id)
        events = list(
            Event.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("event_type", "member", "program")
            .filter(chosen, status=EventStatus.ACCEPTED)
            .order_by("pk")
        )
        if events:
            _settle_events(events)
    for event in events:
        if event.pk == event_id:
            return event
    return Event.objects.get(pk=event_id)  # done earlier, or in another worker's batch right now


def _settle_events(events: list[Event]) -> None:
    """Rewards or rejects each event (oldest first) under the locked balances of their members."""
    balances = balances_lock(members=[event.member for event in events])
    counts = _LimitCounts(events)
    now = timezone.now()
    entries: list[LedgerEntry] = []
    lots: list[PointsLot] = []
    changes: list[TierChange] = []
    programs = {event.program_id: event.program for event in events}
    tiers_by_program = {pk: live_rules(program).tiers for pk, program in programs.items()}
    for event in events:
        event_type = event.event_type
        balance = balances[event.member_id]
        reason = _refusal(event, event_type, balance, counts)
        event.processed_at = now
        event.attempts += 1
        if reason:
            event.status = EventStatus.REJECTED
            event.reason = reason
            event.points = 0
            continue
        before = (balance.available, balance.locked)
        points = event_type.points
        expires_at = expiry_for(event.occurred_at, event.program.expiry_months)
        entry = entry_prepare(
            balance=balance,
            kind=EntryKind.EVENT,
            reference=event.reference,
            occurred_at=event.occurred_at,
            available=points,
            description=event.program.text(event_type.name) or event_type.code,
            event=event,
            due=(expires_at,),
        )
        entries.append(entry)
        if points > 0:
            lots.append(lot_prepare(balance_before=before, entry=entry, points=points, expires_at=expires_at))
        change = tier_credit(
            balance=balance,
            program=event.program,
            tiers=tiers_by_program[event.program_id],
            points=points,
            occurred_at=event.occurred_at,
            now=now,
        )
        if change is not None:
            changes.append(change)
        counts.rewarded(event)
        event.status = EventStatus.REWARDED
        event.points = points
    LedgerEntry.objects.bulk_create(entries)
    PointsLot.objects.bulk_create(lots)  # each lot's entry has its id now
    Event.objects.bulk_update(events, ["status", "reason", "points", "processed_at", "attempts"])
    moved = [balances[member_id] for member_id in {entry.member_id for entry in entries}]
    PointsBalance.objects.bulk_update(
        moved, [*PointsBalance.MOVED_FIELDS, *(PointsBalance.TIER_FIELDS if changes else ())]
    )
    TierChange.objects.bulk_create(changes)
    for event in events:
        kind = "event.rewarded" if event.status == EventStatus.REWARDED else "event.rejected"
        webhooks.emit(program=event.program_id, event_type=kind, subject=event)
    members = {event.member_id: event.member for event in events}
    for change in changes:
        webhooks.emit(program=change.program_id, event_type="member.tier_changed", subject=members[change.member_id])


class _LimitCounts:
    """Rewarded events per member and type (all time, and per local day), for the types with limits among the
    events: counted once, under the balance locks, then kept up to date as the batch rewards."""

    def __init__(self, events: list[Event]) -> None:
        limited = [e for e in events if e.event_type.lifetime_limit is not None or e.event_type.per_day_limit]
        self.lifetime: Counter[tuple[int, int]] = Counter()
        self.daily: Counter[tuple[int, int, datetime.date]] = Counter()
        if not limited:
            return
        rewarded = Event.objects.filter(
            status=EventStatus.REWARDED,
            member_id__in={e.member_id for e in limited},
            event_type_id__in={e.event_type_id for e in limited},
        ).order_by()
        if any(e.event_type.lifetime_limit is not None for e in limited):
            for member_id, type_id, n in rewarded.values_list("member_id", "event_type_id").annotate(n=Count("id")):
                self.lifetime[member_id, type_id] = n
        if any(e.event_type.per_day_limit is not None for e in limited):
            days = rewarded.filter(local_date__in={e.local_date for e in limited})
            for member_id, type_id, day, n in days.values_list("member_id", "event_type_id", "local_date").annotate(
                n=Count("id")
            ):
                self.daily[member_id, type_id, day] = n

    def over(self, event: Event) -> bool:
        event_type = event.event_type
        lifetime = event_type.lifetime_limit
        if lifetime is not None and self.lifetime[event.member_id, event_type.pk] >= lifetime:
            return True
        per_day = event_type.per_day_limit
        return per_day is not None and self.daily[event.member_id, event_type.pk, event.local_date] >= per_day

    def rewarded(self, event: Event) -> None:
        self.lifetime[event.member_id, event.event_type_id] += 1
        self.daily[event.member_id, event.event_type_id, event.local_date] += 1


def _refusal(event: Event, event_type: EventType, balance: PointsBalance, counts: _LimitCounts) -> str:
    if event.member.is_blocked:
        return "member_blocked"
    if not event_type.active:
        return "event_type_inactive"
    if event_type.points > MAX_MOVEMENT or balance.total + event_type.points > MAX_BALANCE:
        return "points_limit"
    if counts.over(event):
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
