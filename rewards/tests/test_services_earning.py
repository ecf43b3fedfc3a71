"""Evaluation, earn and earn reversal services called directly: points, dates, snapshots, refusals."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError

from members.errors import MemberBlocked
from members.models import Member, SegmentMembership
from rewards.engine import Line
from rewards.errors import AlreadyReversed, EarnNotFound, InsufficientPoints, InvalidReturn, ReversalExceedsEarn
from rewards.ledger_check import ledger_differences
from rewards.models import Earn, EntryKind, LedgerEntry, PointsBalance, PointsLot, Promotion
from rewards.rules import clear_cache
from rewards.selectors import earn_rules
from rewards.services.earning import Basket, basket_evaluate, earn_reverse, points_earn
from rewards.services.points import points_adjust
from rewards.services.promotions import promotion_create, promotion_save
from tests.factories import MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture(autouse=True)
def base(program):
    clear_cache()
    yield PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    clear_cache()


def ln(line_id="1", quantity=1, amount="10.00", sku="COF-250", category="coffee") -> Line:
    return Line(line_id=line_id, sku=sku, product_category=category, quantity=quantity, amount=Decimal(amount))


def basket(*lines: Line, occurred_at=T0, channel="store") -> Basket:
    return Basket(lines=lines or (ln(),), occurred_at=occurred_at, channel=channel, store="BRU-01")


def earn(program, member, *lines: Line, reference="E1", occurred_at=T0):
    return points_earn(
        program=program, member=member, basket=basket(*lines, occurred_at=occurred_at), reference=reference
    )


def reverse(program, reference="R1", earn_reference="E1", returns=None):
    return earn_reverse(program=program, earn_reference=earn_reference, reference=reference, returns=returns)


def row(member) -> tuple[int, int, int]:
    b = PointsBalance.objects.get(member=member)
    return b.available, b.pending, b.locked


def test_evaluate_posts_nothing(program, member):
    evaluation = basket_evaluate(program=program, member=member, basket=basket(ln(quantity=2, amount="12.75")))
    assert evaluation.points == 12
    assert [(p.code, p.points) for p in evaluation.promotions] == [("BASE", 12)]
    assert not Earn.objects.exists() and not LedgerEntry.objects.exists()


def test_guest_gets_only_unsegmented_promotions(program, member):
    vip = SegmentFactory(program=program, code="VIP")
    bonus = PromotionFactory(program=program, code="VIPX", kind="quantity", points=5, rate=None)
    bonus.segments.add(vip)
    SegmentMembership.objects.create(segment=vip, member=member)
    lines = basket(ln(quantity=2, amount="10.00"))
    assert basket_evaluate(program=program, member=None, basket=lines).points == 10
    assert basket_evaluate(program=program, member=member, basket=lines).points == 20


def test_earn_posts_available_points_with_their_lot(program, member):
    outcome = earn(program, member, ln(quantity=2, amount="25.50"))
    assert outcome.earn.points == 25
    assert (outcome.earn.available_at, outcome.earn.expires_at) == (None, None)
    assert (outcome.entry.kind, outcome.entry.points, outcome.entry.available_delta) == ("earn", 25, 25)
    assert outcome.entry.earn == outcome.earn
    assert (outcome.balance.available, outcome.balance.pending) == (25, 0)
    assert row(member) == (25, 0, 0)
    lot = PointsLot.objects.get(entry=outcome.entry)
    assert (lot.points, lot.remaining, lot.pending, lot.expires_at) == (25, 25, False, None)
    assert ledger_differences() == []


def test_earn_is_pending_until_available_at_and_expires_from_occurred_at(program, member):
    program.pending_days = 14
    program.expiry_months = 12
    program.save()
    outcome = earn(program, member, ln(amount="40.00"))
    assert outcome.earn.available_at == T0 + datetime.timedelta(days=14)
    assert outcome.earn.expires_at == datetime.datetime(2027, 1, 10, 9, 0, tzinfo=datetime.UTC)
    assert (outcome.entry.available_delta, outcome.entry.pending_delta) == (0, 40)
    assert row(member) == (0, 40, 0)
    lot = PointsLot.objects.get(entry=outcome.entry)
    assert (lot.pending, lot.available_at, lot.expires_at) == (True, outcome.earn.available_at, outcome.earn.expires_at)
    assert ledger_differences() == []


def test_earn_whose_pending_days_have_passed_is_posted(program, member):
    program.pending_days = 14
    program.save()
    outcome = earn(program, member, occurred_at=T0 - datetime.timedelta(days=15))
    assert outcome.earn.available_at is None
    assert row(member) == (10, 0, 0)
    assert ledger_differences() == []


@pytest.mark.parametrize(
    ("occurred_at", "expires_at"),
    [
        ("2026-01-31T10:00:00+00:00", "2026-02-28T10:00:00+00:00"),  # a shorter month: its last day
        ("2026-03-31T00:30:00+02:00", "2026-04-30T22:30:00+00:00"),  # counted at the UTC time
    ],
)
def test_expiry_is_calendar_months_after_occurred_at_in_utc(program, member, occurred_at, expires_at):
    program.expiry_months = 1
    program.save()
    with time_machine.travel("2026-06-01T00:00:00+00:00", tick=False):
        outcome = earn(program, member, occurred_at=datetime.datetime.fromisoformat(occurred_at))
    assert outcome.earn.expires_at == datetime.datetime.fromisoformat(expires_at)


def test_earn_stores_the_basket_rules_with_versions_and_segments(program, member, base):
    promotion_save(promotion=base, values={"rate": Decimal("2")})
    PromotionFactory(program=program, code="TEA", kind="quantity", points=3, rate=None, product_categories=["tea"])
    for code in ("VIP", "GOLD"):
        SegmentMembership.objects.create(segment=SegmentFactory(program=program, code=code), member=member)
    member = Member.objects.get(pk=member.pk)
    outcome = earn(program, member, ln(quantity=2, amount="9.00"))
    earn_row = Earn.objects.get(pk=outcome.earn.pk)
    assert earn_row.lines == [
        {"line_id": "1", "sku": "COF-250", "product_category": "coffee", "quantity": 2, "amount": "9.00"}
    ]
    assert [(r.code, r.version, r.kind, r.rate) for r in earn_rules(earn_row)] == [("BASE", 2, "spend", Decimal(2))]
    assert earn_row.segments == ["GOLD", "VIP"]
    assert (earn_row.channel, earn_row.store, earn_row.occurred_at, earn_row.points) == ("store", "BRU-01", T0, 18)


def test_a_reference_is_posted_once(program, member):
    earn(program, member)
    with pytest.raises(IntegrityError):
        earn(program, member, ln(amount="99.00"))
    assert Earn.objects.count() == 1
    assert row(member) == (10, 0, 0)
    assert ledger_differences() == []


def test_blocked_member_cannot_earn(program, member):
    member.status = Member.BLOCKED
    member.save()
    with pytest.raises(MemberBlocked):
        earn(program, member)
    assert not Earn.objects.exists()
    assert row(member) == (0, 0, 0)


def test_full_reversal_takes_back_every_point(program, member):
    earn(program, member, ln(quantity=2, amount="20.00"))
    outcome = reverse(program)
    assert outcome.points == 20
    assert (outcome.entry.kind, outcome.entry.points, outcome.entry.earn_id) == ("reversal", -20, outcome.earn.pk)
    assert (outcome.earn.reversed_points, outcome.earn.returned) == (20, {"1": 2})
    assert row(member) == (0, 0, 0)
    with pytest.raises(AlreadyReversed):
        reverse(program, reference="R2")
    assert ledger_differences() == []


def test_partial_reversals_use_the_earn_time_rules_after_the_promotion_changed(program, member, base):
    earn(program, member, ln("1", quantity=4, amount="10.00"), ln("2", sku="TEA", category="tea", amount="5.00"))
    promotion_save(promotion=base, values={"rate": Decimal("10")})
    promotion_create(program=program, code="NEW", values={"kind": "quantity", "points": 100, "status": "live"})
    # Kept: 3 x 2.50 + 5.00 = 12.50 -> 12 points at the earn's rate of 1; 15 - 12 = 3.
    assert reverse(program, "R1", returns=[("1", 1)]).points == 3
    assert reverse(program, "R2", returns=[("1", 3)]).points == 7
    final = reverse(program, "R3")
    assert (final.points, final.earn.reversed_points, final.earn.returned) == (5, 15, {"1": 4, "2": 1})
    assert row(member) == (0, 0, 0)
    with pytest.raises(AlreadyReversed):
        reverse(program, "R4", returns=[("2", 1)])
    assert ledger_differences() == []


def test_partial_return_below_a_basket_threshold_takes_back_the_bonus(program, member):
    PromotionFactory(program=program, code="BIG", kind="basket", threshold="50.00", points=30, rate=None)
    earn(program, member, ln("1", quantity=2, amount="40.00"), ln("2", sku="MUG", amount="20.00"))
    assert row(member) == (90, 0, 0)
    # Kept 40.00: below the threshold, so 40 points of 90 stay.
    assert reverse(program, returns=[("2", 1)]).points == 50
    assert row(member) == (40, 0, 0)
    assert ledger_differences() == []


def test_partial_reversal_uses_the_segments_of_the_earn(program, member):
    vip = SegmentFactory(program=program, code="VIP")
    PromotionFactory(program=program, code="VIPX", kind="quantity", points=5, rate=None).segments.add(vip)
    SegmentMembership.objects.create(segment=vip, member=member)
    earn(program, member, ln(quantity=2, amount="20.00"))
    SegmentMembership.objects.filter(member=member).delete()
    # Kept: 1 unit, 10.00 -> 10 + 5 (still VIP at earn time) = 15 of 30.
    assert reverse(program, returns=[("1", 1)]).points == 15
    assert ledger_differences() == []


def test_returning_more_units_than_remain_exceeds_the_earn(program, member):
    earn(program, member, ln(quantity=3, amount="30.00"))
    reverse(program, "R1", returns=[("1", 2)])
    with pytest.raises(ReversalExceedsEarn):
        reverse(program, "R2", returns=[("1", 2)])
    earn_row = Earn.objects.get(reference="E1")
    assert (earn_row.reversed_points, earn_row.returned) == (20, {"1": 2})
    assert row(member) == (10, 0, 0)
    assert ledger_differences() == []


def test_invalid_return_names_each_wrong_line(program, member):
    earn(program, member, ln("1", quantity=2, amount="20.00"), ln("2", amount="5.00"))
    with pytest.raises(InvalidReturn) as caught:
        reverse(program, returns=[("9", 1), ("1", 3), ("2", 1), ("2", 1)])
    assert caught.value.code == "invalid_request"
    assert set(caught.value.fields) == {"lines.0.line_id", "lines.1.quantity", "lines.3.line_id"}
    assert not LedgerEntry.objects.filter(kind=EntryKind.REVERSAL).exists()
    assert row(member) == (25, 0, 0)


def test_reversal_of_an_unknown_or_foreign_earn_is_not_found(program, other_program, member):
    earn(program, member)
    with pytest.raises(EarnNotFound) as caught:
        reverse(program, earn_reference="NOPE")
    assert caught.value.code == "not_found"
    with pytest.raises(EarnNotFound):
        reverse(other_program)
    assert row(member) == (10, 0, 0)


def test_reversal_of_spent_points_is_refused_without_negative_balance(program, member):
    earn(program, member, ln(amount="20.00"))
    points_adjust(program=program, member=member, points=-15, reference="SPEND", reason="spent")
    with pytest.raises(InsufficientPoints):
        reverse(program)
    assert Earn.objects.get(reference="E1").reversed_points == 0
    assert row(member) == (5, 0, 0)
    assert ledger_differences() == []


def test_reversal_of_spent_points_goes_negative_where_allowed(program, member):
    program.allow_negative_balance = True
    program.save()
    earn(program, member, ln(amount="20.00"))
    points_adjust(program=program, member=member, points=-15, reference="SPEND", reason="spent")
    assert reverse(program).points == 20
    assert row(member) == (-15, 0, 0)
    assert ledger_differences() == []
    # The next credit repays the debt first.
    earn(program, member, ln(amount="40.00"), reference="E2")
    assert row(member) == (25, 0, 0)
    assert PointsLot.objects.get(entry__earn__reference="E2").remaining == 25
    assert ledger_differences() == []


def test_reversal_of_a_pending_earn_takes_from_pending(program, member):
    program.pending_days = 14
    program.save()
    earn(program, member, ln(quantity=4, amount="40.00"))
    assert reverse(program, "R1", returns=[("1", 1)]).points == 10
    assert row(member) == (0, 30, 0)
    assert reverse(program, "R2").points == 30
    assert row(member) == (0, 0, 0)
    assert PointsLot.objects.get(entry__kind=EntryKind.EARN).remaining == 0
    assert ledger_differences() == []


def test_reversal_takes_the_earn_lot_before_sooner_expiring_points(program, member):
    soon = fund(member, 50, expires_at=T0 + datetime.timedelta(days=3)).lots.get()
    earn(program, member, ln(amount="20.00"))
    reverse(program)
    assert PointsLot.objects.get(pk=soon.pk).remaining == 50
    assert PointsLot.objects.get(entry__earn__reference="E1").remaining == 0
    assert ledger_differences() == []


def test_blocked_member_earn_can_still_be_reversed(program, member):
    earn(program, member, ln(amount="20.00"))
    Member.objects.filter(pk=member.pk).update(status=Member.BLOCKED)
    assert reverse(program).points == 20
    assert row(member) == (0, 0, 0)
    assert ledger_differences() == []


def test_earns_of_two_members_stay_apart(program, member):
    other = MemberFactory(program=program, member_id="M-2")
    earn(program, member, ln(amount="20.00"))
    earn(program, other, ln(amount="7.00"), reference="E2")
    reverse(program, earn_reference="E2")
    assert (row(member), row(other)) == ((20, 0, 0), (0, 0, 0))
    assert ledger_differences() == []


def test_promotion_paused_after_earn_still_counts_for_its_reversal(program, member, base):
    earn(program, member, ln(quantity=2, amount="20.00"))
    promotion_save(promotion=base, values={"status": Promotion.PAUSED})
    assert basket_evaluate(program=program, member=member, basket=basket(ln(amount="10.00"))).points == 0
    assert reverse(program, returns=[("1", 1)]).points == 10
    assert ledger_differences() == []
