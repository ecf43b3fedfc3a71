"""The ledger helpers called directly: entries move the balance, lots are consumed by expiry, the clock settles."""

import datetime
import itertools

import pytest
import time_machine
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from rewards.ledger_check import ledger_differences
from rewards.lots import expirable_points, plan_takes
from rewards.models import EntryKind, LedgerEntry, LockStatus, LotMovement, PointsBalance, PointsLock, PointsLot
from rewards.services.ledger import (
    balance_lock,
    balance_settle,
    balances_lock,
    entry_post,
    lock_close,
    lots_consume,
    lots_restore,
)
from tests.factories import MemberFactory
from tests.helpers import credit_pending, fund

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)
_refs = itertools.count(1)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(T0, tick=False):
        yield


def ref() -> str:
    return f"L-{next(_refs)}"


def lot_of(entry: LedgerEntry) -> PointsLot:
    return entry.lots.get()


def remaining(*lots: PointsLot) -> list[int]:
    return [PointsLot.objects.get(pk=lot.pk).remaining for lot in lots]


def row(member) -> tuple[int, int, int]:
    b = PointsBalance.objects.get(member=member)
    return b.available, b.pending, b.locked


def debit(member, points: int, first_lot: PointsLot | None = None) -> tuple[LedgerEntry, int]:
    with transaction.atomic():
        balance = balance_lock(member=member)
        entry = entry_post(balance=balance, kind=EntryKind.REDEMPTION, reference=ref(), available=-points)
        covered = lots_consume(entry=entry, points=points, first_lot=first_lot)
    return entry, covered


def lock(member, points: int, expires_at: datetime.datetime) -> PointsLock:
    with transaction.atomic():
        balance = balance_lock(member=member)
        reference = ref()
        entry_post(
            balance=balance,
            kind=EntryKind.LOCK,
            reference=reference,
            available=-points,
            locked=points,
            due=(expires_at,),
        )
        return PointsLock.objects.create(
            program=member.program, member=member, reference=reference, points=points, expires_at=expires_at
        )


def test_entry_post_moves_the_row_by_its_deltas(member):
    fund(member, 50)
    with transaction.atomic():
        balance = balance_lock(member=member)
        entry = entry_post(balance=balance, kind=EntryKind.LOCK, reference="K1", available=-20, locked=20)
    assert row(member) == (30, 0, 20)
    assert (entry.points, entry.available_delta, entry.locked_delta, entry.balance_after) == (0, -20, 20, 50)
    entries = LedgerEntry.objects.filter(member=member)
    assert sum(e.available_delta for e in entries) == 30
    assert sum(e.locked_delta for e in entries) == 20
    assert ledger_differences() == []


@pytest.mark.django_db(transaction=True)
def test_entry_post_refuses_to_run_outside_a_transaction(member):
    balance = PointsBalance.objects.get(member=member)
    with pytest.raises(AssertionError, match="inside a transaction"):
        entry_post(balance=balance, kind=EntryKind.ADJUSTMENT, reference="OUT", available=10)
    assert not LedgerEntry.objects.exists()
    assert row(member) == (0, 0, 0)


@pytest.mark.postgres  # SQLite has no FOR UPDATE: Django drops it there, and with it the check
@pytest.mark.django_db(transaction=True)
def test_balance_lock_refuses_to_run_outside_a_transaction(member):
    with pytest.raises(TransactionManagementError):
        balance_lock(member=member)


def test_lots_consume_takes_the_soonest_expiry_first_and_never_expiring_last(member):
    late = lot_of(fund(member, 10, expires_at=T0 + 90 * DAY))
    never = lot_of(fund(member, 10))
    soon = lot_of(fund(member, 10, expires_at=T0 + 30 * DAY))
    middle = lot_of(fund(member, 10, expires_at=T0 + 60 * DAY))
    entry, covered = debit(member, 25)
    assert covered == 25
    assert remaining(soon, middle, late, never) == [0, 0, 5, 10]
    assert sorted(m.points for m in entry.lot_movements.all()) == [-10, -10, -5]
    entry, covered = debit(member, 10)
    assert remaining(late, never) == [0, 5]
    assert row(member) == (5, 0, 0)
    assert ledger_differences() == []


def test_lots_consume_takes_the_first_lot_before_the_others(member):
    soon = lot_of(fund(member, 10, expires_at=T0 + 30 * DAY))
    never = lot_of(fund(member, 10))
    debit(member, 15, first_lot=never)
    assert remaining(never, soon) == [0, 5]
    assert ledger_differences() == []


def test_lots_consume_skips_pending_lots_and_returns_what_it_covered(member):
    open_lot = lot_of(fund(member, 10))
    pending_lot = credit_pending(member, 40, T0 + 10 * DAY)
    _, covered = debit(member, 25)
    assert covered == 10
    assert remaining(open_lot, pending_lot) == [0, 40]
    assert row(member) == (-15, 40, 0)
    assert ledger_differences() == []


def test_lots_restore_gives_back_to_the_same_lots(member):
    soon = lot_of(fund(member, 10, expires_at=T0 + 30 * DAY))
    late = lot_of(fund(member, 10, expires_at=T0 + 60 * DAY))
    never = lot_of(fund(member, 10))
    spent, _ = debit(member, 15)
    with transaction.atomic():
        balance = balance_lock(member=member)
        refund = entry_post(balance=balance, kind=EntryKind.REFUND, reference=ref(), available=15)
        movements = [(m.lot, -m.points) for m in spent.lot_movements.select_related("lot")]
        lots_restore(entry=refund, movements=movements)
    assert remaining(soon, late, never) == [10, 10, 10]
    assert sorted(m.points for m in LotMovement.objects.filter(entry=refund)) == [5, 10]
    assert row(member) == (30, 0, 0)
    assert ledger_differences() == []


def test_lot_open_repays_the_debt_first(member):
    with transaction.atomic():
        balance = balance_lock(member=member)
        entry_post(balance=balance, kind=EntryKind.REVERSAL, reference=ref(), available=-30)
    lot = lot_of(fund(member, 100))
    assert (lot.points, lot.remaining) == (100, 70)
    assert row(member) == (70, 0, 0)
    assert ledger_differences() == []


def test_activation_of_pending_points_repays_the_debt(member):
    lot = credit_pending(member, 100, T0 + 7 * DAY)
    with transaction.atomic():
        balance = balance_lock(member=member)
        entry_post(balance=balance, kind=EntryKind.REVERSAL, reference=ref(), available=-30)
    assert remaining(lot) == [100]
    with transaction.atomic():
        balance = balance_lock(member=member, settle=False)
        balance_settle(balance=balance, now=T0 + 7 * DAY)
    assert row(member) == (70, 0, 0)
    assert remaining(lot) == [70]
    assert ledger_differences() == []


def test_settle_activates_pending_points_once_due(member):
    lot = credit_pending(member, 40, T0 + 7 * DAY)
    with transaction.atomic():
        balance_settle(
            balance=balance_lock(member=member, settle=False), now=T0 + 7 * DAY - datetime.timedelta(seconds=1)
        )
    assert row(member) == (0, 40, 0)
    with transaction.atomic():
        balance_settle(balance=balance_lock(member=member, settle=False), now=T0 + 7 * DAY)
    assert row(member) == (40, 0, 0)
    assert PointsLot.objects.get(pk=lot.pk).pending is False
    activation = LedgerEntry.objects.get(member=member, kind=EntryKind.ACTIVATION)
    assert (activation.points, activation.available_delta, activation.pending_delta) == (0, 40, -40)
    assert ledger_differences() == []


def test_balance_lock_settles_unless_told_not_to(member):
    credit_pending(member, 40, T0 + DAY)
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        with transaction.atomic():
            unsettled = balance_lock(member=member, settle=False)
            assert (unsettled.available, unsettled.pending) == (0, 40)
        with transaction.atomic():
            settled = balance_lock(member=member)
            assert (settled.available, settled.pending) == (40, 0)
    assert ledger_differences() == []


def test_balances_lock_settles_every_member(program):
    first, second = (MemberFactory(program=program, member_id=code) for code in ("A-1", "A-2"))
    credit_pending(first, 10, T0 + DAY)
    credit_pending(second, 20, T0 + DAY)
    with time_machine.travel(T0 + DAY, tick=False), transaction.atomic():
        balances = balances_lock(members=[second, first])
    assert {pk: b.available for pk, b in balances.items()} == {first.pk: 10, second.pk: 20}
    assert row(first) == (10, 0, 0) and row(second) == (20, 0, 0)
    assert ledger_differences() == []


@pytest.mark.postgres  # SQLite has no FOR UPDATE in its SQL
def test_balances_lock_takes_the_rows_for_update_in_member_order(program):
    first, second = (MemberFactory(program=program, member_id=code) for code in ("A-1", "A-2"))
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        balances_lock(members=[second, first])
    (select,) = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert 'ORDER BY "rewards_pointsbalance"."member_id" ASC' in select


def test_settle_releases_expired_locks(member):
    fund(member, 50)
    held = lock(member, 30, T0 + DAY)
    with transaction.atomic():
        balance_settle(balance=balance_lock(member=member, settle=False), now=T0 + DAY)
    held.refresh_from_db()
    assert (held.status, held.captured_points) == (LockStatus.RELEASED, 0)
    assert row(member) == (50, 0, 0)
    assert LedgerEntry.objects.get(member=member, kind=EntryKind.RELEASE).points == 0
    assert ledger_differences() == []


def test_settle_expires_due_lots_but_not_the_points_a_lock_holds(member):
    lot = lot_of(fund(member, 100, expires_at=T0 + 30 * DAY))
    lock(member, 60, T0 + 40 * DAY)
    with transaction.atomic():
        balance_settle(balance=balance_lock(member=member, settle=False), now=T0 + 30 * DAY)
    assert row(member) == (0, 0, 60)
    assert remaining(lot) == [60]
    assert LedgerEntry.objects.get(member=member, kind=EntryKind.EXPIRY).points == -40
    # Once the lock expires, its points come back and expire with their lot in the same settle.
    with transaction.atomic():
        balance_settle(balance=balance_lock(member=member, settle=False), now=T0 + 40 * DAY)
    assert row(member) == (0, 0, 0)
    assert remaining(lot) == [0]
    assert ledger_differences() == []


def test_settle_never_expires_points_without_expiry_when_a_lock_holds_due_points(member):
    due = lot_of(fund(member, 100, expires_at=T0 + 30 * DAY))
    never = lot_of(fund(member, 50))
    # A lock is a debit, and debits take the soonest-expiring points: it holds 60 of the due lot.
    held = lock(member, 60, T0 + 40 * DAY)
    with transaction.atomic():
        balance = balance_lock(member=member, settle=False)
        balance_settle(balance=balance, now=T0 + 30 * DAY)
        assert LedgerEntry.objects.get(member=member, kind=EntryKind.EXPIRY).points == -40
        lock_close(balance=balance, lock=held, captured=60, status=LockStatus.CAPTURED, now=T0 + 30 * DAY)
    assert row(member) == (50, 0, 0)
    assert remaining(due, never) == [0, 50]
    assert ledger_differences() == []


def test_settle_expires_soonest_lots_and_leaves_the_rest(member):
    soon = lot_of(fund(member, 10, expires_at=T0 + 30 * DAY))
    late = lot_of(fund(member, 20, expires_at=T0 + 60 * DAY))
    with transaction.atomic():
        balance_settle(balance=balance_lock(member=member, settle=False), now=T0 + 30 * DAY)
        balance_settle(balance=balance_lock(member=member, settle=False), now=T0 + 30 * DAY)
    assert remaining(soon, late) == [0, 20]
    assert row(member) == (20, 0, 0)
    assert LedgerEntry.objects.filter(member=member, kind=EntryKind.EXPIRY).count() == 1
    assert ledger_differences() == []


def test_lock_close_captures_part_and_returns_the_rest(member):
    soon = lot_of(fund(member, 40, expires_at=T0 + 30 * DAY))
    never = lot_of(fund(member, 60))
    held = lock(member, 70, T0 + DAY)
    with transaction.atomic():
        balance = balance_lock(member=member)
        entry = lock_close(balance=balance, lock=held, captured=50, status=LockStatus.CAPTURED, now=T0)
    assert (entry.kind, entry.points, entry.available_delta, entry.locked_delta) == ("capture", -50, 20, -70)
    assert (held.status, held.captured_points) == (LockStatus.CAPTURED, 50)
    assert row(member) == (50, 0, 0)
    assert remaining(soon, never) == [0, 50]
    assert ledger_differences() == []


@pytest.mark.parametrize(
    ("due", "available", "locked", "expected"),
    [(100, 90, 60, 40), (100, 40, 60, 40), (60, 0, 60, 0), (30, 100, 0, 30), (50, -10, 0, 0), (0, 5, 0, 0)],
)
def test_expirable_points_never_takes_locked_points_nor_goes_below_zero(due, available, locked, expected):
    assert expirable_points(due, available, locked) == expected


def test_plan_takes_in_order_skipping_empty_lots():
    assert plan_takes([("a", 5), ("b", 0), ("c", 10), ("d", 4)], 8) == [("a", 5), ("c", 3)]
    assert plan_takes([("a", 5), ("c", 10)], 50) == [("a", 5), ("c", 10)]
    assert plan_takes([("a", 5)], 0) == []
