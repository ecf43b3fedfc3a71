"""The clock jobs called directly: pending points activated, expired locks released, lots expired, all idempotent."""

import datetime
import itertools

import pytest
import time_machine
from django.db import transaction

from rewards.ledger_check import ledger_differences
from rewards.models import EntryKind, LedgerEntry, LockStatus, PointsBalance, PointsLock
from rewards.services import clock
from rewards.services.ledger import balance_lock
from rewards.services.points import points_adjust, points_lock
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


def lock(program, member, points: int, expires_in: datetime.timedelta) -> PointsLock:
    reference = f"K-{next(_refs)}"
    return points_lock(
        program=program, member=member, points=points, reference=reference, expires_in=int(expires_in.total_seconds())
    ).lock


def row(member) -> tuple[int, int, int]:
    b = PointsBalance.objects.get(member=member)
    return b.available, b.pending, b.locked


def entries() -> int:
    return LedgerEntry.objects.count()


def test_activate_due_points_makes_due_pending_points_available(program, member):
    later = MemberFactory(program=program, member_id="M-2")
    credit_pending(member, 40, T0 + 14 * DAY)
    credit_pending(later, 25, T0 + 20 * DAY)
    with time_machine.travel(T0 + 14 * DAY, tick=False):
        assert clock.activate_due_points() == 1
    assert row(member) == (40, 0, 0)
    assert row(later) == (0, 25, 0)
    assert LedgerEntry.objects.get(member=member, kind=EntryKind.ACTIVATION).available_delta == 40
    assert ledger_differences() == []


def test_activate_due_points_twice_changes_nothing_more(member):
    credit_pending(member, 40, T0 + DAY)
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        clock.activate_due_points()
        count = entries()
        assert clock.activate_due_points() == 0
    assert entries() == count
    assert row(member) == (40, 0, 0)
    assert ledger_differences() == []


def test_activate_due_points_at_the_given_moment(member):
    credit_pending(member, 40, T0 + 14 * DAY)
    assert clock.activate_due_points(now=T0 + 13 * DAY) == 0
    clock.activate_due_points(now=T0 + 14 * DAY)
    assert row(member) == (40, 0, 0)
    assert ledger_differences() == []


def test_release_expired_locks_gives_points_back(program, member):
    fund(member, 100)
    expired = lock(program, member, 30, datetime.timedelta(minutes=10))
    still_open = lock(program, member, 20, datetime.timedelta(hours=1))
    with time_machine.travel(T0 + datetime.timedelta(minutes=10), tick=False):
        assert clock.release_expired_locks() == 1
        count = entries()
        assert clock.release_expired_locks() == 0
    assert entries() == count
    assert PointsLock.objects.get(pk=expired.pk).status == LockStatus.RELEASED
    assert PointsLock.objects.get(pk=still_open.pk).status == LockStatus.LOCKED
    assert row(member) == (80, 0, 20)
    assert ledger_differences() == []


def test_release_expired_locks_at_the_given_moment(program, member):
    fund(member, 100)
    held = lock(program, member, 30, datetime.timedelta(minutes=10))
    clock.release_expired_locks(now=T0 + datetime.timedelta(minutes=10))
    assert PointsLock.objects.get(pk=held.pk).status == LockStatus.RELEASED
    assert row(member) == (100, 0, 0)
    assert ledger_differences() == []


def test_expire_points_posts_what_remains_of_due_lots(program, member):
    other = MemberFactory(program=program, member_id="M-2")
    fund(member, 100, expires_at=T0 + 30 * DAY)
    fund(member, 10)
    fund(other, 50, expires_at=T0 + 60 * DAY)
    points_adjust(program=program, member=member, points=-30, reference="SPENT", reason="spent")
    with time_machine.travel(T0 + 30 * DAY, tick=False):
        assert clock.expire_points() == 70
        count = entries()
        assert clock.expire_points() == 0
    assert entries() == count
    assert row(member) == (10, 0, 0)
    assert row(other) == (50, 0, 0)
    expiry = LedgerEntry.objects.get(member=member, kind=EntryKind.EXPIRY)
    assert (expiry.points, expiry.balance_after, expiry.occurred_at) == (-70, 10, T0 + 30 * DAY)
    assert ledger_differences() == []


def test_expire_points_at_the_given_moment(member):
    fund(member, 100, expires_at=T0 + 30 * DAY)
    assert clock.expire_points(now=T0 + 29 * DAY) == 0
    assert clock.expire_points(now=T0 + 30 * DAY) == 100
    assert row(member) == (0, 0, 0)
    assert ledger_differences() == []


def test_expire_points_in_batches_reports_progress(program):
    members = [MemberFactory(program=program, member_id=f"B-{n}") for n in range(3)]
    for points, member in enumerate(members, start=1):
        fund(member, points * 10, expires_at=T0 + DAY)
    done: list[int] = []
    assert clock.expire_points(now=T0 + DAY, batch=2, progress=done.append) == 60
    assert done == [2, 3]
    assert [row(m) for m in members] == [(0, 0, 0)] * 3
    assert ledger_differences() == []


def test_expire_points_spares_locked_points_until_the_lock_ends(program, member):
    fund(member, 100, expires_at=T0 + DAY)
    lock(program, member, 60, 2 * DAY)
    with time_machine.travel(T0 + DAY, tick=False):
        assert clock.expire_points() == 40
        assert clock.expire_points() == 0
    assert row(member) == (0, 0, 60)
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        assert clock.release_expired_locks() == 1
    assert row(member) == (0, 0, 0)
    assert ledger_differences() == []


def test_expire_points_leaves_points_that_do_not_expire(program, member):
    fund(member, 100, expires_at=T0 + DAY)
    fund(member, 50)
    # A lock is a debit: it holds the soonest-expiring points, so 60 of the 100 due are held, 40 expire.
    lock(program, member, 60, 2 * DAY)
    assert clock.expire_points(now=T0 + DAY) == 40
    assert row(member) == (50, 0, 60)
    assert ledger_differences() == []


def test_clock_jobs_agree_with_settle(program, member):
    twin = MemberFactory(program=program, member_id="M-2")
    for someone in (member, twin):
        fund(someone, 100, expires_at=T0 + DAY)
        credit_pending(someone, 20, T0 + DAY)
        lock(program, someone, 30, DAY)
    with time_machine.travel(T0 + DAY, tick=False):
        clock.activate_due_points()
        clock.release_expired_locks()
        clock.expire_points()
        with transaction.atomic():
            balance_lock(member=twin)
    assert row(member) == row(twin) == (20, 0, 0)
    assert ledger_differences() == []
