"""What the clock makes due, for every member at once, in batches: pending points that become
available, locks that expire, lots that expire. Each batch locks its members' balance rows (in
member order) and applies the same rules as `balance_settle`; running twice, or two runs at once,
changes nothing more, because every run re-reads the lots after taking the locks.
"""

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from programs import webhooks
from rewards.lots import expirable_points, plan_takes
from rewards.models import EntryKind, LedgerEntry, LockStatus, LotMovement, PointsBalance, PointsLock, PointsLot
from rewards.services.ledger import balance_settle

BATCH = 2000
Progress = Callable[[int], object]  # called with the number of members done so far


def _members_with(queryset: QuerySet[Any], after: int, batch: int) -> list[int]:
    return list(
        queryset.filter(member_id__gt=after)
        .order_by("member_id")
        .values_list("member_id", flat=True)
        .distinct()[:batch]
    )


def _each_batch(
    queryset: QuerySet[Any], work: Callable[[list[int]], int], batch: int, progress: Progress | None = None
) -> int:
    done = 0
    after = 0
    while True:
        ids = _members_with(queryset, after, batch)
        if not ids:
            return done
        done += work(ids)
        after = ids[-1]
        if progress:
            progress(done)


def _settle_members(member_ids: list[int], now: datetime.datetime) -> int:
    with transaction.atomic():
        balances = PointsBalance.objects.select_for_update().filter(member_id__in=member_ids).order_by("member_id")
        for balance in balances:
            balance_settle(balance=balance, now=now)
    return len(member_ids)


def activate_due_points(*, now: datetime.datetime | None = None, batch: int = BATCH) -> int:
    """Members whose pending points reached `available_at`: their points become available."""
    now = now or timezone.now()
    due = PointsLot.objects.filter(pending=True, available_at__lte=now)
    return _each_batch(due, lambda member_ids: _settle_members(member_ids, now), batch)


def release_expired_locks(*, now: datetime.datetime | None = None, batch: int = BATCH) -> int:
    now = now or timezone.now()
    due = PointsLock.objects.filter(status=LockStatus.LOCKED, expires_at__lte=now)
    return _each_batch(due, lambda member_ids: _settle_members(member_ids, now), batch)


def expire_points(*, now: datetime.datetime | None = None, batch: int = BATCH, progress: Progress | None = None) -> int:
    """Posts an `expiry` entry for what remains of every lot past its expiry, batch by batch, with a
    constant number of queries per batch. Returns the number of points expired."""
    now = now or timezone.now()
    due = PointsLot.objects.filter(pending=False, remaining__gt=0, expires_at__lte=now)
    expired = 0

    def work(member_ids: list[int]) -> int:
        nonlocal expired
        expired += _expire_batch(member_ids, now)
        return len(member_ids)

    _each_batch(due, work, batch, progress)
    return expired


def _expire_batch(member_ids: list[int], now: datetime.datetime) -> int:
    run = uuid.uuid4().hex[:12]
    with transaction.atomic():
        balances = {
            b.member_id: b
            for b in PointsBalance.objects.select_for_update().filter(member_id__in=member_ids).order_by("member_id")
        }
        # Read after the locks: a concurrent run that got here first has already taken these points.
        lots = defaultdict(list)
        rows = (
            PointsLot.objects.filter(member_id__in=member_ids, pending=False, remaining__gt=0, expires_at__lte=now)
            .order_by("member_id", "expires_at", "id")
            .values_list("id", "member_id", "remaining")
        )
        for lot_id, member_id, remaining in rows:
            lots[member_id].append((lot_id, remaining))
        entries: list[LedgerEntry] = []
        plans: list[list[tuple[int, int]]] = []
        changed: list[PointsBalance] = []
        for member_id, member_lots in lots.items():
            balance = balances.get(member_id)
            if balance is None:
                continue
            points = expirable_points(sum(r for _, r in member_lots), balance.available, balance.locked)
            if points <= 0:
                continue
            balance.available -= points
            changed.append(balance)
            entries.append(
                LedgerEntry(
                    program_id=balance.program_id,
                    member_id=member_id,
                    kind=EntryKind.EXPIRY,
                    reference=f"EXP-{run}-{member_id}",
                    points=-points,
                    available_delta=-points,
                    balance_after=balance.total,
                    occurred_at=now,
                    created_at=timezone.now(),
                    description="Points expired",
                )
            )
            plans.append(plan_takes(member_lots, points))
        if not entries:
            return 0
        LedgerEntry.objects.bulk_create(entries, batch_size=1000)
        movements = [
            LotMovement(entry_id=entry.pk, lot_id=lot_id, points=-take)
            for entry, plan in zip(entries, plans, strict=True)
            for lot_id, take in plan
        ]
        LotMovement.objects.bulk_create(movements, batch_size=5000)
        remaining_of = {lot_id: r for member_lots in lots.values() for lot_id, r in member_lots}
        taken = [(lot_id, take) for plan in plans for lot_id, take in plan]
        PointsLot.objects.filter(pk__in=[i for i, take in taken if take == remaining_of[i]]).update(remaining=0)
        # A lot taken only in part (points held by a lock stay in it): rare, one update each.
        for lot_id, take in taken:
            if take < remaining_of[lot_id]:
                PointsLot.objects.filter(pk=lot_id).update(remaining=F("remaining") - take)
        PointsBalance.objects.bulk_update(changed, ["available"], batch_size=1000)
        for balance, entry in zip(changed, entries, strict=True):
            webhooks.emit(program=balance.program_id, event_type="points.expired", subject=(balance, -entry.points))
        return sum(-e.points for e in entries)
