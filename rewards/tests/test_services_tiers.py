"""Tiers on the ledger: qualifying points, immediate upgrades, reversals, the window's edges, the daily
assessment (with the clock moved), overrides and the threshold-0 tier."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from programs.services import tier_save
from rewards.engine import Line
from rewards.models import PointsBalance, TierChange
from rewards.services.earning import Basket, basket_evaluate, earn_reverse, points_earn
from rewards.services.events import event_accept, event_reward
from rewards.services.points import points_adjust, points_transfer
from rewards.services.promotions import promotion_create
from rewards.services.tiers import tier_override, tiers_assess
from rewards.tiers import counts, leaves_at, window_start
from tests.factories import EventTypeFactory, MemberFactory, PromotionFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def tiers(program):
    silver = tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=100)
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=500)
    PromotionFactory(program=program, code="BASE", rate="1")
    return silver, gold


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def buy(program, member, amount: str, reference: str, occurred_at=None):
    basket = Basket(lines=(Line("1", "X", None, 1, Decimal(amount)),), occurred_at=occurred_at or timezone.now())
    return points_earn(program=program, member=member, basket=basket, reference=reference)


def state(member) -> PointsBalance:
    return PointsBalance.objects.select_related("tier").get(member=member)


def test_window_arithmetic_counts_calendar_months_like_expiry():
    assert window_start(NOW, 12) == datetime.datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
    edge = NOW - datetime.timedelta(days=365)  # 2025-06-15 12:00, exactly 12 months before
    assert not counts(edge, NOW, 12)
    assert counts(edge + datetime.timedelta(microseconds=1), NOW, 12)
    assert leaves_at(edge + datetime.timedelta(seconds=1), 12) == NOW + datetime.timedelta(seconds=1)
    # January 30 + 1 month is clamped to February 28, when the window still starts on January 28: the point
    # leaves when March begins (then the window starts on February 1).
    january_30 = datetime.datetime(2026, 1, 30, 10, 0, tzinfo=UTC)
    left = leaves_at(january_30, 1)
    assert left == datetime.datetime(2026, 3, 1, tzinfo=UTC)
    assert counts(january_30, left - datetime.timedelta(microseconds=1), 1)
    assert not counts(january_30, left, 1)


def test_an_earn_crossing_a_threshold_upgrades_in_its_own_transaction_valued_with_the_tier_before(
    program, member, tiers
):
    _silver, gold = tiers
    promotion_create(
        program=program, code="GOLD-BONUS", values={"kind": "quantity", "points": 1000, "status": "live"}, tiers=[gold]
    )
    buy(program, member, "90.00", "E-1")
    assert state(member).tier is None and state(member).qualifying_points == 90
    crossing = buy(program, member, "420.00", "E-2")  # 510 qualifying: Gold, but this earn is valued before it
    assert crossing.earn.points == 420
    row = state(member)
    assert (row.tier, row.qualifying_points, row.tier_since) == (gold, 510, NOW)
    assert row.tier_until == datetime.datetime(2027, 6, 15, 12, 0, tzinfo=UTC)
    change = TierChange.objects.get(member=member)
    assert (change.from_tier, change.to_tier, change.reason, change.qualifying_points) == (None, gold, "upgrade", 510)
    # The next basket is valued with Gold.
    assert buy(program, member, "10.00", "E-3").earn.points == 1010
    assert state(member).qualifying_points == 1520


def test_a_guest_or_a_member_without_the_tier_does_not_get_a_tier_promotion(program, member, tiers):
    _silver, gold = tiers
    promotion_create(
        program=program, code="GOLD-BONUS", values={"kind": "quantity", "points": 5, "status": "live"}, tiers=[gold]
    )
    basket = Basket(lines=(Line("1", "X", None, 1, Decimal("10.00")),), occurred_at=NOW)
    guest = basket_evaluate(program=program, member=None, basket=basket, explain=True)
    assert guest.points == 10 and ("GOLD-BONUS", "tier") in guest.not_applied
    evaluated = basket_evaluate(program=program, member=member, basket=basket, explain=True)
    assert evaluated.points == 10 and ("GOLD-BONUS", "tier") in evaluated.not_applied


def test_a_multiplier_restricted_to_a_tier(program, member, tiers):
    silver, _gold = tiers
    promotion_create(
        program=program,
        code="SILVER-X2",
        values={"kind": "multiplier", "factor": "2", "status": "live"},
        tiers=[silver],
    )
    assert buy(program, member, "100.00", "E-1").earn.points == 100  # reaches Silver with this earn
    assert state(member).tier == silver
    assert buy(program, member, "100.00", "E-2").earn.points == 200


def test_a_reversal_lowers_qualifying_points_but_never_the_tier(program, member, tiers):
    silver, _gold = tiers
    buy(program, member, "150.00", "E-1")
    assert state(member).tier == silver
    earn_reverse(program=program, earn_reference="E-1", reference="R-1", returns=None)
    row = state(member)
    assert (row.tier, row.qualifying_points) == (silver, 0)
    assert TierChange.objects.filter(member=member).count() == 1


def test_adjustments_transfers_and_old_earns_do_not_count(program, member, tiers):
    other = MemberFactory(program=program, member_id="M-2")
    points_adjust(program=program, member=member, points=1000, reference="ADJ-1", reason="goodwill")
    points_transfer(program=program, sender=member, receiver=other, points=600, reference="T-1")
    old = NOW - datetime.timedelta(days=366)  # 12 months and a day ago
    buy(program, member, "300.00", "OLD", occurred_at=old)
    assert (state(member).qualifying_points, state(other).qualifying_points) == (0, 0)
    assert state(member).tier is None and state(other).tier is None


def test_an_earn_twelve_months_and_one_second_old_does_not_count(program, member, tiers):
    buy(program, member, "200.00", "E-1", occurred_at=NOW - datetime.timedelta(days=365, seconds=1))
    buy(program, member, "50.00", "E-2", occurred_at=NOW - datetime.timedelta(days=365) + datetime.timedelta(seconds=1))
    assert state(member).qualifying_points == 50


def test_events_count_and_upgrade(program, member, tiers):
    silver, _gold = tiers
    survey = EventTypeFactory(program=program, code="SURVEY", points=120, per_day_limit=None, lifetime_limit=None)
    event = event_accept(
        program=program, member=member, event_type=survey, reference="EV-1", occurred_at=NOW, attributes={}
    )
    event_reward(event_id=event.pk)
    row = state(member)
    assert (row.tier, row.qualifying_points) == (silver, 120)
    assert TierChange.objects.get(member=member).reason == "upgrade"


def test_points_leave_the_window_as_time_passes(program, member, tiers, clock):
    buy(program, member, "80.00", "E-1")
    clock.move_to(NOW + datetime.timedelta(days=200))
    buy(program, member, "30.00", "E-2")
    assert state(member).qualifying_points == 110  # both in the window: Silver
    clock.move_to(NOW + datetime.timedelta(days=366))  # E-1 has left the window
    buy(program, member, "5.00", "E-3")
    row = state(member)
    assert row.qualifying_points == 35
    assert row.qualifying_until == datetime.datetime(2028, 1, 1, 12, 0, tzinfo=UTC)  # when E-2 (2027-01-01) leaves


def test_the_daily_assessment_keeps_lowers_and_is_idempotent_for_a_day(program, tiers, clock):
    silver, gold = tiers
    keeper, faller, fresh = (MemberFactory(program=program, member_id=f"M-{n}") for n in (1, 2, 3))
    buy(program, keeper, "600.00", "K-1")
    buy(program, faller, "600.00", "F-1")
    clock.move_to(NOW + datetime.timedelta(days=300))
    buy(program, keeper, "550.00", "K-2")  # still Gold-worthy when its tier's until comes
    buy(program, fresh, "120.00", "N-1")  # Silver, reached later: not due yet
    clock.move_to(NOW + datetime.timedelta(days=366))  # one day past the first tiers' until
    assert tiers_assess() == 2
    kept, fell, later = state(keeper), state(faller), state(fresh)
    assert (kept.tier, kept.tier_until) == (gold, datetime.datetime(2028, 6, 15, 12, 0, tzinfo=UTC))
    assert kept.qualifying_points == 550
    assert (fell.tier, fell.qualifying_points, fell.tier_since, fell.tier_until) == (None, 0, None, None)
    assert later.tier == silver
    change = TierChange.objects.get(member=faller, reason="assessment")
    assert (change.from_tier, change.to_tier) == (gold, None)
    assert not TierChange.objects.filter(member=keeper, reason="assessment").exists()
    assert tiers_assess() == 0  # the same day again: nothing left


def test_the_assessment_moves_down_one_step_when_points_still_reach_a_lower_tier(program, member, tiers, clock):
    silver, _gold = tiers
    buy(program, member, "600.00", "E-1")
    clock.move_to(NOW + datetime.timedelta(days=200))
    buy(program, member, "150.00", "E-2")
    clock.move_to(NOW + datetime.timedelta(days=366))
    tiers_assess(batch=1)
    row = state(member)
    assert (row.tier, row.qualifying_points, row.tier_since) == (silver, 150, NOW + datetime.timedelta(days=366))


def test_the_assessment_runs_in_batches_and_can_be_restarted(program, tiers, clock):
    members = [MemberFactory(program=program, member_id=f"B-{n}") for n in range(7)]
    for n, m in enumerate(members):
        buy(program, m, "200.00", f"E-{n}")
    clock.move_to(NOW + datetime.timedelta(days=366))
    with pytest.raises(RuntimeError), transaction.atomic():
        tiers_assess(batch=3)
        raise RuntimeError("the worker is killed")  # everything above rolls back
    assert tiers_assess(batch=3) == 7
    assert not PointsBalance.objects.filter(tier__isnull=False).exists()
    assert TierChange.objects.filter(reason="assessment").count() == 7


def test_an_override_holds_until_its_end_then_the_assessment_decides(program, member, tiers, clock):
    _silver, gold = tiers
    balance = state(member)
    until = NOW + datetime.timedelta(days=30)
    tier_override(balance=balance, tier=gold, reason="VIP complaint", until=until)
    row = state(member)
    assert (row.tier, row.tier_override_reason, row.tier_until) == (gold, "VIP complaint", until)
    assert TierChange.objects.get(member=member).note == "VIP complaint"
    clock.move_to(NOW + datetime.timedelta(days=10))
    assert tiers_assess() == 0
    clock.move_to(NOW + datetime.timedelta(days=31))
    assert tiers_assess() == 1
    assert state(member).tier is None
    with pytest.raises(ValueError):
        tier_override(balance=balance, tier=gold, reason=" ", until=until + datetime.timedelta(days=60))


def test_a_threshold_zero_tier_is_everyone_s_without_a_change(program, member, tiers):
    base = tier_save(program=program, code="BASE", name={"en": "Member"}, threshold=0)
    assert [t.position for t in program.tiers.order_by("threshold")] == [1, 2, 3]
    promotion_create(
        program=program, code="BASE-ONLY", values={"kind": "quantity", "points": 3, "status": "live"}, tiers=[base]
    )
    assert buy(program, member, "10.00", "E-1").earn.points == 13
    assert state(member).tier is None
    assert not TierChange.objects.exists()


def test_an_adjusted_member_keeps_funds_separate_from_tiers(program, member, tiers):
    fund(member, 5000)
    buy(program, member, "10.00", "E-1")
    assert state(member).qualifying_points == 10 and state(member).tier is None
