"""The ledger's one way to move a balance: lock the row, write the entry, move the row, together.

Every function here expects to run inside the caller's transaction with the balance row locked
by `balance_lock`, so that `sum(entries) == balance` holds at every commit.
"""

import datetime
import uuid
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Min, Subquery, Value, When
from django.utils import timezone

from members.models import Member, SegmentMembership
from programs import webhooks
from rewards import statements
from rewards.errors import PointsLimit
from rewards.lots import MAX_BALANCE, expirable_points, plan_takes
from rewards.models import (
    Earn,
    EntryKind,
    Event,
    LedgerEntry,
    LockStatus,
    LotMovement,
    PointsBalance,
    PointsLock,
    PointsLot,
    Redemption,
)


def balance_lock(*, member: Member, settle: bool = True) -> PointsBalance:
    """Takes the member's balance row FOR UPDATE: every change of a member's points goes through it.

    Then brings the row up to date with the clock (due pending points, expired locks and lots), so
    that every check that follows sees the balance the member sees.
    """
    balance = PointsBalance.objects.select_for_update().get(member_id=member.pk)
    _fresh_status([member])
    if settle:
        balance_settle(balance=balance)
    return balance


def balance_catch_up(*, member: Member, now: datetime.datetime | None = None) -> bool:
    """Posts now what the clock has made due for the member, as the periodic jobs would (`expire_points` runs
    hourly), before a read that lists the ledger (history, export): the balance shown already counts expired lots
    as gone, so their `expiry` row must be there too for the rows to add up to it. Nothing is written, and no
    statement is sent when the balance row was loaded with the member (one otherwise), while nothing is due.
    True when the balance was settled; the member's loaded balance row is then the settled one."""
    now = now or timezone.now()
    cached = member._state.fields_cache.get("balance", False)
    if cached is None:
        return False  # loaded with the member: it has no balance row
    if cached is not False:
        due = cached.next_due_at is not None and cached.next_due_at <= now
    else:
        due = PointsBalance.objects.filter(member_id=member.pk, next_due_at__lte=now).exists()
    if not due:
        return False
    with transaction.atomic():
        balance = balance_lock(member=member)
    member.balance = balance
    return True


def _fresh_status(members: Iterable[Member]) -> None:
    """The members' status as committed now that their balance rows are locked: a merge (or a block) that
    committed while the caller waited for the lock is seen, and `is_blocked` checks made after the lock hold."""
    members = list(members)
    current = dict(Member.objects.filter(pk__in={m.pk for m in members}).values_list("pk", "status"))
    for member in members:
        member.status = current.get(member.pk, member.status)


def balance_lock_by_member_id(*, program_id: int, member_id: str) -> PointsBalance | None:
    """The hot paths' lock: the balance row FOR UPDATE with its member, its program, the member's segment codes
    (`balance.segment_codes`) and, on PostgreSQL, the program's webhook subscriptions (`balance.webhooks`), in one
    statement there; then settled. None for an unknown member."""
    if connection.vendor == "postgresql":
        balance = statements.lock_balance(program_id=program_id, member_id=member_id)
    else:
        balance = (
            PointsBalance.objects.select_for_update(of=("self",))
            .select_related("member", "program")
            .filter(member__program_id=program_id, member__member_id=member_id)
            .first()
        )
        if balance is not None:
            balance.segment_codes = list(
                SegmentMembership.objects.filter(member_id=balance.member_id).values_list("segment__code", flat=True)
            )
    if balance is None:
        return None
    balance_settle(balance=balance)
    return balance


def balances_lock(*, members: Iterable[Member]) -> dict[int, PointsBalance]:
    """Locks several balance rows in primary-key order, so two opposite moves cannot deadlock; each settled as
    `balance_lock` does; by member id."""
    members = list(members)
    ids = sorted({m.pk for m in members})
    rows = PointsBalance.objects.select_for_update().filter(member_id__in=ids).order_by("member_id")
    balances = {row.member_id: row for row in rows}
    _fresh_status(members)
    for balance in balances.values():
        balance_settle(balance=balance)
    return balances


def balance_settle(*, balance: PointsBalance, now: datetime.datetime | None = None) -> None:
    """Posts what the clock has made due for this (locked) balance: pending points that became
    available, locks past their expiry, and lots past theirs. Nothing to do, and no statement, before
    `next_due_at`; after the work, `next_due_at` moves on to the next moment something will be due."""
    now = now or timezone.now()
    if balance.next_due_at is None or balance.next_due_at > now:
        return
    if balance.pending > 0:
        _activate_due(balance, now)
    if balance.locked > 0:
        _release_expired_locks(balance, now)
    _expire_due(balance, now)
    balance.next_due_at = next_due(member_id=balance.member_id)
    balance.save(update_fields=["next_due_at"])


def next_due(*, member_id: int) -> datetime.datetime | None:
    """The first moment the clock will make something due for the member: pending points that become
    available, an open lock that expires, a lot with points that expires. One statement."""
    lots = PointsLot.objects.filter(member_id=member_id, remaining__gt=0).order_by()
    moments = (
        PointsBalance.objects.filter(member_id=member_id)
        .annotate(
            pending_at=Subquery(
                lots.filter(pending=True).values("member_id").annotate(m=Min("available_at")).values("m")
            ),
            lot_at=Subquery(lots.values("member_id").annotate(m=Min("expires_at")).values("m")),
            lock_at=Subquery(
                PointsLock.objects.filter(member_id=member_id, status=LockStatus.LOCKED)
                .order_by()
                .values("member_id")
                .annotate(m=Min("expires_at"))
                .values("m")
            ),
        )
        .values_list("pending_at", "lot_at", "lock_at")
        .first()
    )
    found = [moment for moment in moments or () if moment is not None]
    return min(found) if found else None


def _note_due(balance: PointsBalance, moments: Iterable[datetime.datetime | None]) -> None:
    """Brings `next_due_at` forward to any of `moments` that comes sooner (never later: that is settling's job)."""
    for moment in moments:
        if moment is not None and (balance.next_due_at is None or moment < balance.next_due_at):
            balance.next_due_at = moment


def _activate_due(balance: PointsBalance, now: datetime.datetime) -> None:
    lots = list(
        PointsLot.objects.filter(member_id=balance.member_id, pending=True, available_at__lte=now).order_by(
            F("expires_at").asc(nulls_last=True), "id"
        )
    )
    if not lots:
        return
    points = sum(lot.remaining for lot in lots)
    debt = max(0, -(balance.available + balance.locked))
    entry = entry_post(
        balance=balance,
        kind=EntryKind.ACTIVATION,
        reference=f"ACT-{uuid.uuid4().hex}",
        available=points,
        pending=-points,
        description="Pending points became available",
    )
    PointsLot.objects.filter(pk__in=[lot.pk for lot in lots]).update(pending=False)
    for lot in lots:
        lot.pending = False
    if debt:
        # A member in debt repays it from the points that just arrived.
        _apply(entry, [(lot, -take) for lot, take in plan_takes([(lot, lot.remaining) for lot in lots], debt)])


def _release_expired_locks(balance: PointsBalance, now: datetime.datetime) -> None:
    locks = PointsLock.objects.select_for_update().filter(
        member_id=balance.member_id, status=LockStatus.LOCKED, expires_at__lte=now
    )
    for lock in locks:
        lock_close(balance=balance, lock=lock, captured=0, status=LockStatus.RELEASED, now=now)


def lock_close(
    *, balance: PointsBalance, lock: PointsLock, captured: int, status: str, now: datetime.datetime
) -> LedgerEntry:
    """Ends a lock: `captured` points are burnt, the rest goes back to available, in one entry."""
    kind = EntryKind.CAPTURE if status == LockStatus.CAPTURED else EntryKind.RELEASE
    entry = entry_post(
        balance=balance,
        kind=kind,
        reference=lock.reference,
        available=lock.points - captured,
        locked=-lock.points,
        description=f"Lock {lock.reference}: {captured} of {lock.points} captured"
        if captured
        else f"Lock {lock.reference} released",
    )
    if captured:
        lots_consume(entry=entry, points=captured)
    lock.status = status
    lock.captured_points = captured
    lock.updated_at = now
    lock.save(update_fields=["status", "captured_points", "updated_at"])
    return entry


def _expire_due(balance: PointsBalance, now: datetime.datetime) -> None:
    lots = list(
        PointsLot.objects.filter(
            member_id=balance.member_id, pending=False, remaining__gt=0, expires_at__lte=now
        ).order_by("expires_at", "id")
    )
    if not lots:
        return
    points = expirable_points(sum(lot.remaining for lot in lots), balance.available, balance.locked)
    if points <= 0:
        return
    entry = entry_post(
        balance=balance,
        kind=EntryKind.EXPIRY,
        reference=f"EXP-{uuid.uuid4().hex}",
        available=-points,
        description="Points expired",
    )
    _apply(entry, [(lot, -take) for lot, take in plan_takes([(lot, lot.remaining) for lot in lots], points)])
    webhooks.emit(program=balance.program_id, event_type="points.expired", subject=(balance, points))


def entry_post(
    *,
    balance: PointsBalance,
    kind: str,
    reference: str,
    occurred_at: datetime.datetime | None = None,
    available: int = 0,
    pending: int = 0,
    locked: int = 0,
    description: str = "",
    earn: Earn | None = None,
    redemption: Redemption | None = None,
    event: Event | None = None,
    due: Iterable[datetime.datetime | None] = (),
) -> LedgerEntry:
    """Writes one entry and moves the (locked) balance row by the same amounts. A credit that would take the
    balance over the ceiling raises PointsLimit (the caller's transaction then rolls back).

    `due`: the moments this change will make something due (a new lot's expiry, pending points' `available_at`, a
    lock's expiry), so that the row's `next_due_at` comes no later than them."""
    entry = entry_prepare(
        balance=balance,
        kind=kind,
        reference=reference,
        occurred_at=occurred_at,
        available=available,
        pending=pending,
        locked=locked,
        description=description,
        earn=earn,
        redemption=redemption,
        event=event,
        due=due,
    )
    entry.save(force_insert=True)
    balance.save(update_fields=PointsBalance.MOVED_FIELDS)
    return entry


def entry_prepare(
    *,
    balance: PointsBalance,
    kind: str,
    reference: str,
    occurred_at: datetime.datetime | None = None,
    available: int = 0,
    pending: int = 0,
    locked: int = 0,
    description: str = "",
    earn: Earn | None = None,
    redemption: Redemption | None = None,
    event: Event | None = None,
    due: Iterable[datetime.datetime | None] = (),
) -> LedgerEntry:
    """`entry_post` without the writes: moves the balance row in memory and returns the entry, unsaved, for a
    caller that writes them together (the earn on PostgreSQL: rewards.statements). Both must then be written in
    this transaction."""
    assert connection.in_atomic_block, "ledger writes must run inside a transaction"
    change = available + pending + locked
    if change > 0 and balance.total + change > MAX_BALANCE:
        raise PointsLimit(
            f"Member balance would reach {balance.total + change:,} points; the ceiling is {MAX_BALANCE:,}."
        )
    now = timezone.now()
    balance.available += available
    balance.pending += pending
    balance.locked += locked
    balance.updated_at = now
    _note_due(balance, due)
    return LedgerEntry(
        program_id=balance.program_id,
        member_id=balance.member_id,
        kind=kind,
        reference=reference,
        points=available + pending + locked,
        available_delta=available,
        pending_delta=pending,
        locked_delta=locked,
        balance_after=balance.total,
        occurred_at=occurred_at or now,
        created_at=now,
        description=description[:255],
        earn=earn,
        redemption=redemption,
        event=event,
    )


def lot_open(
    *,
    balance_before: tuple[int, int],
    entry: LedgerEntry,
    points: int,
    expires_at: datetime.datetime | None,
    available_at: datetime.datetime | None = None,
    pending: bool = False,
) -> PointsLot:
    """Opens the lot of a credit. A member in debt (negative available) repays it first from the lot.

    `balance_before` is (available, locked) before the credit.
    """
    lot = lot_prepare(
        balance_before=balance_before,
        entry=entry,
        points=points,
        expires_at=expires_at,
        available_at=available_at,
        pending=pending,
    )
    lot.save(force_insert=True)
    return lot


def lot_prepare(
    *,
    balance_before: tuple[int, int],
    entry: LedgerEntry,
    points: int,
    expires_at: datetime.datetime | None,
    available_at: datetime.datetime | None = None,
    pending: bool = False,
) -> PointsLot:
    """`lot_open` without the write (for `entry_prepare`'s callers); `entry` may be unsaved yet."""
    debt = 0 if pending else max(0, -(balance_before[0] + balance_before[1]))
    return PointsLot(
        program_id=entry.program_id,
        member_id=entry.member_id,
        entry=entry,
        points=points,
        remaining=max(0, points - debt),
        available_at=available_at,
        pending=pending,
        expires_at=expires_at,
        created_at=entry.created_at,
    )


def lots_consume(*, entry: LedgerEntry, points: int, first_lot: PointsLot | None = None) -> int:
    """Takes `points` from the member's available lots, soonest expiry first (after `first_lot`).

    Records each lot taken from and returns how many points the lots covered; the rest, if any,
    is debt that the next credit repays.
    """
    if points <= 0:
        return 0
    taken: list[tuple[PointsLot, int]] = []
    left = points
    if first_lot is not None and first_lot.remaining > 0 and not first_lot.pending:
        take = min(left, first_lot.remaining)
        taken.append((first_lot, take))
        left -= take
    if left > 0:
        # Lots never expire and sort last; a small window of rows is enough in the common case.
        queryset = PointsLot.objects.filter(member_id=entry.member_id, pending=False, remaining__gt=0)
        if first_lot is not None:
            queryset = queryset.exclude(pk=first_lot.pk)
        queryset = queryset.order_by(F("expires_at").asc(nulls_last=True), "id")
        for lot in queryset.iterator(chunk_size=100):
            take = min(left, lot.remaining)
            taken.append((lot, take))
            left -= take
            if left == 0:
                break
    _apply(entry, [(lot, -take) for lot, take in taken])
    return points - left


def lots_move_out(*, entry: LedgerEntry, lots: Iterable[PointsLot]) -> None:
    """Empties these lots into `entry` (a merge moves them to another member, who gets lots of their own)."""
    _apply(entry, [(lot, -lot.remaining) for lot in lots])


def lot_take(*, entry: LedgerEntry, lot: PointsLot, points: int) -> None:
    """Takes points from one given lot (a reversal of a pending earn takes from its own lot)."""
    _apply(entry, [(lot, -points)])


def lots_restore(*, entry: LedgerEntry, movements: list[tuple[PointsLot, int]]) -> None:
    """Gives points back to the lots a debit took them from (refunds)."""
    _apply(entry, movements)


def _apply(entry: LedgerEntry, movements: list[tuple[PointsLot, int]]) -> None:
    movements = [(lot, delta) for lot, delta in movements if delta]
    if not movements:
        return
    LotMovement.objects.bulk_create([LotMovement(entry=entry, lot=lot, points=delta) for lot, delta in movements])
    whens = [When(pk=lot.pk, then=Value(delta)) for lot, delta in movements]
    PointsLot.objects.filter(pk__in=[lot.pk for lot, _ in movements]).update(
        remaining=F("remaining") + Case(*whens, default=Value(0), output_field=BigIntegerField())
    )
    for lot, delta in movements:
        lot.remaining += delta
