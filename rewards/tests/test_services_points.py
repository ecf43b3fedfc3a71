"""Locks, transfers and adjustments called directly: balances, lots, expiry dates and every refusal."""

import datetime

import pytest
import time_machine
from django.db import transaction

from members.errors import MemberBlocked
from members.models import Member
from rewards.errors import CaptureExceedsLock, InsufficientPoints, InvalidTransition, LockNotFound
from rewards.ledger_check import ledger_differences
from rewards.models import EntryKind, LedgerEntry, LockStatus, PointsBalance, PointsLock, PointsLot
from rewards.services.ledger import balance_lock, entry_post
from rewards.services.points import lock_capture, lock_release, points_adjust, points_lock, points_transfer
from tests.factories import MemberFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def locked(program, member):
    """100 points, 60 of them locked for 15 minutes."""
    fund(member, 100)
    return points_lock(program=program, member=member, points=60, reference="K1", expires_in=900).lock


@pytest.fixture
def receiver(program):
    return MemberFactory(program=program, member_id="M-2")


def row(member) -> tuple[int, int, int]:
    b = PointsBalance.objects.get(member=member)
    return b.available, b.pending, b.locked


def lots(member) -> list[tuple[datetime.datetime | None, int]]:
    return [(lot.expires_at, lot.remaining) for lot in PointsLot.objects.filter(member=member).order_by("id")]


def block(member) -> None:
    Member.objects.filter(pk=member.pk).update(status=Member.BLOCKED)
    member.status = Member.BLOCKED


def test_lock_moves_points_from_available_to_locked(program, member):
    fund(member, 100)
    outcome = points_lock(program=program, member=member, points=60, reference="K1", expires_in=900)
    assert (outcome.lock.status, outcome.lock.points, outcome.lock.captured_points) == (LockStatus.LOCKED, 60, 0)
    assert outcome.lock.expires_at == T0 + datetime.timedelta(seconds=900)
    assert outcome.balance.as_dict() == {"available": 40, "pending": 0, "locked": 60, "total": 100}
    assert row(member) == (40, 0, 60)
    assert ledger_differences() == []


def test_lock_beyond_available_is_insufficient(program, member, locked):
    with pytest.raises(InsufficientPoints):
        points_lock(program=program, member=member, points=41, reference="K2", expires_in=900)
    assert not PointsLock.objects.filter(reference="K2").exists()
    assert row(member) == (40, 0, 60)


def test_blocked_member_cannot_lock(program, member):
    fund(member, 100)
    block(member)
    with pytest.raises(MemberBlocked):
        points_lock(program=program, member=member, points=10, reference="K1", expires_in=900)
    assert row(member) == (100, 0, 0)


def test_capture_without_points_captures_the_whole_lock(program, member, locked):
    outcome = lock_capture(program=program, reference="K1")
    assert (outcome.lock.status, outcome.lock.captured_points) == (LockStatus.CAPTURED, 60)
    assert outcome.balance.as_dict() == {"available": 40, "pending": 0, "locked": 0, "total": 40}
    assert LedgerEntry.objects.get(member=member, kind=EntryKind.CAPTURE).points == -60
    assert lots(member) == [(None, 40)]
    assert ledger_differences() == []


def test_capture_fewer_points_returns_the_rest(program, member, locked):
    outcome = lock_capture(program=program, reference="K1", points=25)
    assert (outcome.lock.status, outcome.lock.captured_points) == (LockStatus.CAPTURED, 25)
    assert row(member) == (75, 0, 0)
    assert lots(member) == [(None, 75)]
    assert ledger_differences() == []


def test_capture_all_locked_points_by_number(program, member, locked):
    lock_capture(program=program, reference="K1", points=60)
    assert row(member) == (40, 0, 0)
    assert ledger_differences() == []


def test_capture_more_than_locked_is_refused_and_changes_nothing(program, member, locked):
    with pytest.raises(CaptureExceedsLock) as caught:
        lock_capture(program=program, reference="K1", points=61)
    assert caught.value.code == "invalid_request"
    assert list(caught.value.fields) == ["points"]
    assert PointsLock.objects.get(reference="K1").status == LockStatus.LOCKED
    assert row(member) == (40, 0, 60)
    assert ledger_differences() == []


def test_release_gives_the_points_back(program, member, locked):
    outcome = lock_release(program=program, reference="K1")
    assert (outcome.lock.status, outcome.lock.captured_points) == (LockStatus.RELEASED, 0)
    assert outcome.balance.as_dict() == {"available": 100, "pending": 0, "locked": 0, "total": 100}
    assert lots(member) == [(None, 100)]
    assert ledger_differences() == []


@pytest.mark.parametrize("first", ["capture", "release"])
@pytest.mark.parametrize("second", ["capture", "release"])
def test_second_capture_or_release_is_an_invalid_transition(program, member, locked, first, second):
    finish = {"capture": lock_capture, "release": lock_release}
    finish[first](program=program, reference="K1")
    after_first = row(member)
    with pytest.raises(InvalidTransition):
        finish[second](program=program, reference="K1")
    assert row(member) == after_first
    assert PointsLock.objects.get(reference="K1").status == ("captured" if first == "capture" else "released")
    assert ledger_differences() == []


@pytest.mark.parametrize("finish", [lock_capture, lock_release])
def test_finishing_an_expired_lock_is_an_invalid_transition(program, member, locked, finish):
    with time_machine.travel(T0 + datetime.timedelta(seconds=900), tick=False):
        with pytest.raises(InvalidTransition):
            finish(program=program, reference="K1")
        # Its points count as available from the moment it expired.
        with transaction.atomic():
            assert balance_lock(member=member).as_dict()["available"] == 100
    assert ledger_differences() == []


def test_unknown_or_foreign_lock_is_not_found(program, other_program, member, locked):
    with pytest.raises(LockNotFound) as caught:
        lock_capture(program=program, reference="NOPE")
    assert caught.value.code == "not_found"
    with pytest.raises(LockNotFound):
        lock_release(program=other_program, reference="K1")
    assert row(member) == (40, 0, 60)


def test_transfer_moves_points_with_their_expiry(program, member, receiver):
    fund(member, 30, expires_at=T0 + 30 * DAY)
    fund(member, 50)
    fund(member, 20, expires_at=T0 + 90 * DAY)
    outcome = points_transfer(program=program, sender=member, receiver=receiver, points=60, reference="T1")
    assert (outcome.from_balance.available, outcome.to_balance.available) == (40, 60)
    assert lots(member) == [(T0 + 30 * DAY, 0), (None, 40), (T0 + 90 * DAY, 0)]
    assert sorted(lots(receiver), key=lambda lot: lot[1]) == [(None, 10), (T0 + 90 * DAY, 20), (T0 + 30 * DAY, 30)]
    out, into = (
        LedgerEntry.objects.get(kind=EntryKind.TRANSFER_OUT),
        LedgerEntry.objects.get(kind=EntryKind.TRANSFER_IN),
    )
    assert (out.member, out.points, into.member, into.points) == (member, -60, receiver, 60)
    assert ledger_differences() == []


def test_transfer_beyond_available_is_insufficient(program, member, receiver, locked):
    with pytest.raises(InsufficientPoints):
        points_transfer(program=program, sender=member, receiver=receiver, points=41, reference="T1")
    assert (row(member), row(receiver)) == ((40, 0, 60), (0, 0, 0))
    assert ledger_differences() == []


@pytest.mark.parametrize("blocked", ["sender", "receiver"])
def test_transfer_with_a_blocked_member_is_refused(program, member, receiver, blocked):
    fund(member, 100)
    block(member if blocked == "sender" else receiver)
    with pytest.raises(MemberBlocked):
        points_transfer(program=program, sender=member, receiver=receiver, points=10, reference="T1")
    assert (row(member), row(receiver)) == ((100, 0, 0), (0, 0, 0))


def test_transfer_to_a_member_in_debt_repays_the_debt(program, member, receiver):
    fund(member, 50)
    with transaction.atomic():
        balance = balance_lock(member=receiver)
        entry_post(balance=balance, kind=EntryKind.REVERSAL, reference="DEBT", available=-15)
    points_transfer(program=program, sender=member, receiver=receiver, points=40, reference="T1")
    assert row(receiver) == (25, 0, 0)
    assert sum(remaining for _, remaining in lots(receiver)) == 25
    assert ledger_differences() == []


def test_positive_adjustment_is_available_at_once_and_expires_from_now(program, member):
    program.pending_days = 14
    program.expiry_months = 12
    program.save()
    balance = points_adjust(program=program, member=member, points=70, reference="A1", reason="goodwill")
    assert balance.as_dict() == {"available": 70, "pending": 0, "locked": 0, "total": 70}
    assert lots(member) == [(datetime.datetime(2027, 1, 10, 9, 0, tzinfo=datetime.UTC), 70)]
    entry = LedgerEntry.objects.get(kind=EntryKind.ADJUSTMENT)
    assert (entry.points, entry.description) == (70, "goodwill")
    assert ledger_differences() == []


def test_negative_adjustment_takes_the_soonest_expiring_points(program, member):
    fund(member, 50)
    fund(member, 30, expires_at=T0 + 30 * DAY)
    balance = points_adjust(program=program, member=member, points=-40, reference="A1", reason="correction")
    assert balance.available == 40
    assert lots(member) == [(None, 40), (T0 + 30 * DAY, 0)]
    assert ledger_differences() == []


def test_negative_adjustment_beyond_available_is_insufficient(program, member, locked):
    with pytest.raises(InsufficientPoints):
        points_adjust(program=program, member=member, points=-41, reference="A1", reason="correction")
    assert row(member) == (40, 0, 60)
    assert not LedgerEntry.objects.filter(kind=EntryKind.ADJUSTMENT, reference="A1").exists()


def test_blocked_member_can_be_adjusted(program, member):
    block(member)
    points_adjust(program=program, member=member, points=25, reference="A1", reason="goodwill")
    points_adjust(program=program, member=member, points=-5, reference="A2", reason="correction")
    assert row(member) == (20, 0, 0)
    assert ledger_differences() == []
