"""rewards.services.events called directly: accept, reward once, per-day and lifetime limits."""

import datetime

import pytest
import time_machine

from members.errors import MemberBlocked
from rewards.ledger_check import ledger_differences
from rewards.models import Event, LedgerEntry, PointsBalance, PointsLot
from rewards.rules import live_rules
from rewards.services.events import event_accept, event_reward, events_waiting
from tests.factories import EventTypeFactory, MemberFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Europe/Brussels is UTC+1 in early March: 23:30 UTC is already the next day there.
LATE_MARCH_1 = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # local 2026-03-02 00:30
EARLY_MARCH_1 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=UTC)  # local 2026-03-01 10:00
MARCH_2 = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # local 2026-03-02 11:00


@pytest.fixture
def survey(program):
    return EventTypeFactory(program=program, code="SURVEY", points=50, per_day_limit=1, lifetime_limit=None)


def accept(program, member, event_type, reference, occurred_at=MARCH_2):
    return event_accept(
        program=program,
        member=member,
        event_type=event_type,
        reference=reference,
        occurred_at=occurred_at,
        attributes={"score": 9},
    )


def reward(program, member, event_type, reference, occurred_at=MARCH_2) -> Event:
    return event_reward(event_id=accept(program, member, event_type, reference, occurred_at).pk)


def available(member) -> int:
    return PointsBalance.objects.get(member=member).available


def test_accept_stores_the_event_as_accepted(program, member, survey):
    event = accept(program, member, survey, "E-1", LATE_MARCH_1)
    stored = Event.objects.get(pk=event.pk)
    assert (stored.status, stored.points, stored.reason) == ("accepted", None, "")
    assert stored.attributes == {"score": 9}
    assert stored.local_date == datetime.date(2026, 3, 2)  # the program's day, not UTC's
    assert not LedgerEntry.objects.exists()
    assert available(member) == 0


def test_accept_refuses_a_blocked_member(program, member, survey):
    member.status = member.BLOCKED
    member.save()
    with pytest.raises(MemberBlocked):
        accept(program, member, survey, "E-1")
    assert not Event.objects.exists()


def test_accept_rewards_after_commit(program, member, survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        event = accept(program, member, survey, "E-1")
    event.refresh_from_db()
    assert (event.status, event.points, event.attempts) == ("rewarded", 50, 1)
    assert available(member) == 50
    assert ledger_differences() == []


def test_reward_posts_points_with_their_lot(program, member, survey):
    program.expiry_months = 12
    program.save()
    with time_machine.travel(MARCH_2 + datetime.timedelta(hours=1), tick=False):
        event = reward(program, member, survey, "E-1")
    assert (event.status, event.points, event.reason) == ("rewarded", 50, "")
    assert event.processed_at == MARCH_2 + datetime.timedelta(hours=1)
    entry = LedgerEntry.objects.get(kind="event", reference="E-1")
    assert (entry.points, entry.event_id, entry.occurred_at) == (50, event.pk, MARCH_2)
    lot = PointsLot.objects.get(entry=entry)
    assert (lot.points, lot.remaining) == (50, 50)
    assert lot.expires_at == datetime.datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert available(member) == 50
    assert ledger_differences() == []


def test_rewarding_twice_posts_once(program, member, survey):
    event = accept(program, member, survey, "E-1")
    first = event_reward(event_id=event.pk)
    second = event_reward(event_id=event.pk)
    assert first.status == second.status == "rewarded"
    assert Event.objects.get(pk=event.pk).attempts == 1
    assert LedgerEntry.objects.filter(kind="event").count() == 1
    assert available(member) == 50
    assert ledger_differences() == []


def test_per_day_limit_rejects_with_limit_reached(program, member, survey):
    assert reward(program, member, survey, "E-1").status == "rewarded"
    rejected = reward(program, member, survey, "E-2")
    assert (rejected.status, rejected.reason, rejected.points) == ("rejected", "limit_reached", 0)
    assert not LedgerEntry.objects.filter(reference="E-2").exists()
    assert available(member) == 50
    assert ledger_differences() == []


def test_per_day_counts_the_program_day_not_the_utc_day(program, member, survey):
    # Same UTC day (March 1), two local days (March 1 and March 2): both rewarded.
    assert reward(program, member, survey, "E-1", EARLY_MARCH_1).status == "rewarded"
    assert reward(program, member, survey, "E-2", LATE_MARCH_1).status == "rewarded"
    # Another UTC day (March 2), same local day as E-2: rejected.
    third = reward(program, member, survey, "E-3", MARCH_2)
    assert (third.status, third.reason) == ("rejected", "limit_reached")
    assert available(member) == 100
    assert ledger_differences() == []


def test_per_day_limit_follows_the_program_timezone(program, member, survey):
    program.timezone = "America/New_York"  # UTC-5: 23:30 UTC on March 1 is still March 1 there
    program.save()
    assert reward(program, member, survey, "E-1", EARLY_MARCH_1).status == "rewarded"
    second = reward(program, member, survey, "E-2", LATE_MARCH_1)
    assert (second.status, second.reason) == ("rejected", "limit_reached")
    assert Event.objects.get(reference="E-2").local_date == datetime.date(2026, 3, 1)


def test_lifetime_limit_rejects_with_limit_reached(program, member):
    review = EventTypeFactory(program=program, code="REVIEW", points=10, per_day_limit=None, lifetime_limit=2)
    days = [MARCH_2 + datetime.timedelta(days=n) for n in range(3)]
    statuses = [reward(program, member, review, f"E-{n}", day).status for n, day in enumerate(days)]
    assert statuses == ["rewarded", "rewarded", "rejected"]
    assert Event.objects.get(reference="E-2").reason == "limit_reached"
    assert available(member) == 20
    assert ledger_differences() == []


def test_limits_count_per_member(program, member, survey):
    other = MemberFactory(program=program, member_id="M-2")
    assert reward(program, member, survey, "E-1").status == "rewarded"
    assert reward(program, other, survey, "E-2").status == "rewarded"
    assert (available(member), available(other)) == (50, 50)
    assert ledger_differences() == []


def test_rejected_events_do_not_use_up_the_limit(program, member):
    review = EventTypeFactory(program=program, code="REVIEW", points=10, per_day_limit=1, lifetime_limit=2)
    assert reward(program, member, review, "E-1").status == "rewarded"
    assert reward(program, member, review, "E-2").status == "rejected"
    assert reward(program, member, review, "E-3", MARCH_2 + datetime.timedelta(days=1)).status == "rewarded"
    assert available(member) == 20


def test_member_blocked_after_accept_is_rejected(program, member, survey):
    event = accept(program, member, survey, "E-1")
    member.status = member.BLOCKED
    member.save()
    rejected = event_reward(event_id=event.pk)
    assert (rejected.status, rejected.reason, rejected.points) == ("rejected", "member_blocked", 0)
    assert available(member) == 0
    assert ledger_differences() == []


def test_inactive_event_type_is_rejected(program, member, survey):
    event = accept(program, member, survey, "E-1")
    survey.active = False
    survey.save()
    assert event_reward(event_id=event.pk).reason == "event_type_inactive"
    assert not LedgerEntry.objects.exists()


def test_events_waiting_lists_old_accepted_events_only(program, member, survey):
    with time_machine.travel(MARCH_2, tick=False):
        old = accept(program, member, survey, "E-1")
        done = accept(program, member, survey, "E-2")
        event_reward(event_id=done.pk)
    with time_machine.travel(MARCH_2 + datetime.timedelta(seconds=50), tick=False):
        recent = accept(program, member, survey, "E-3")
        assert events_waiting(older_than=datetime.timedelta(seconds=30)) == [old.pk]
        assert events_waiting(older_than=datetime.timedelta(seconds=0)) == [old.pk, recent.pk]


def test_a_batch_rewards_the_oldest_waiting_events_with_the_same_limits_as_one_by_one(program, member):
    """One task settles its event and the oldest others waiting, in event order: the limits (per day, for
    life), the points and the lots come out as if each had been rewarded alone."""
    other = MemberFactory(program=program, member_id="M-2")
    review = EventTypeFactory(program=program, code="REVIEW", points=10, per_day_limit=2, lifetime_limit=3)
    survey = EventTypeFactory(program=program, code="SURVEY", points=7, per_day_limit=None, lifetime_limit=None)
    day2 = MARCH_2 + datetime.timedelta(days=1)
    plan = [
        (member, review, MARCH_2),  # rewarded
        (member, review, MARCH_2),  # rewarded
        (member, review, MARCH_2),  # over the day
        (other, review, MARCH_2),  # another member: rewarded
        (member, survey, MARCH_2),  # no limit
        (member, review, day2),  # rewarded: the third for life
        (member, review, day2),  # over the lifetime limit
    ]
    events = [accept(program, who, kind, f"E-{n}", when) for n, (who, kind, when) in enumerate(plan)]
    done = event_reward(event_id=events[3].pk, batch=10)
    assert done.reference == "E-3" and done.status == "rewarded"
    statuses = dict(Event.objects.values_list("reference", "status"))
    assert statuses == {
        "E-0": "rewarded",
        "E-1": "rewarded",
        "E-2": "rejected",
        "E-3": "rewarded",
        "E-4": "rewarded",
        "E-5": "rewarded",
        "E-6": "rejected",
    }
    assert (available(member), available(other)) == (37, 10)
    assert PointsLot.objects.filter(member=member).count() == 4
    assert ledger_differences() == []
    # The tasks of the others find them done.
    assert event_reward(event_id=events[0].pk, batch=10).status == "rewarded"
    assert LedgerEntry.objects.count() == 5


def test_a_batch_takes_a_constant_number_of_statements(
    program, survey, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    members = [MemberFactory(program=program, member_id=f"M-{n}") for n in range(40)]
    events = [accept(program, m, survey, f"E-{n}") for n, m in enumerate(members)]
    with django_capture_on_commit_callbacks(execute=True):
        live_rules(program)  # the program's rules and tiers, cached as in a running worker
    # Claim, balances, the members' statuses after the locks, limits, entries, lots, events, balances: 11 at most.
    with django_assert_max_num_queries(11):
        event_reward(event_id=events[0].pk, batch=100)
    assert Event.objects.filter(status="rewarded").count() == 40
    assert ledger_differences() == []


def test_a_batch_is_capped(program, member):
    share = EventTypeFactory(program=program, code="SHARE", points=1, per_day_limit=None, lifetime_limit=None)
    events = [accept(program, member, share, f"E-{n}") for n in range(5)]
    event_reward(event_id=events[4].pk, batch=3)
    # Its own event, and the two oldest others.
    assert sorted(Event.objects.filter(status="rewarded").values_list("reference", flat=True)) == [
        "E-0",
        "E-1",
        "E-4",
    ]
