"""Member merge: the service and the API (API.md, Member merge and data rights)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from members.models import Member, SegmentMembership
from programs.services import tier_save
from rewards.engine import Line
from rewards.errors import InvalidTransition
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, PointsLot, TierChange
from rewards.services.earning import Basket, earn_reverse, points_earn
from rewards.services.merge import member_merge
from rewards.services.points import points_adjust, points_lock
from tests.factories import MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import credit_pending, earn, fund, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(program):
    PromotionFactory(program=program, code="BASE", rate="1")
    return MemberFactory(program=program, member_id="KEEP"), MemberFactory(program=program, member_id="DUP")


def balance(member) -> PointsBalance:
    return PointsBalance.objects.get(member=member)


def test_points_move_with_their_own_dates_and_both_histories_say_so(program, pair):
    keep, dup = pair
    soon = timezone.now() + datetime.timedelta(days=10)
    later = timezone.now() + datetime.timedelta(days=400)
    available_at = timezone.now() + datetime.timedelta(days=5)
    fund(keep, 30, expires_at=later)
    fund(dup, 40, expires_at=soon)
    fund(dup, 60, expires_at=None)
    credit_pending(dup, 25, available_at)
    outcome = member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    assert (outcome.available, outcome.pending) == (100, 25)
    assert (balance(keep).available, balance(keep).pending, balance(dup).total) == (130, 25, 0)
    lots = sorted(
        PointsLot.objects.filter(member=keep, remaining__gt=0).values_list("remaining", "expires_at", "pending"),
        key=str,
    )
    assert (40, soon, False) in lots and (60, None, False) in lots and (30, later, False) in lots
    pending_lot = PointsLot.objects.get(member=keep, pending=True)
    assert (pending_lot.remaining, pending_lot.available_at) == (25, available_at)
    out = LedgerEntry.objects.get(member=dup, kind="merge_out")
    into = LedgerEntry.objects.get(member=keep, kind="merge_in")
    assert (out.reference, out.points, into.reference, into.points) == ("MRG-1", -125, "MRG-1", 125)
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into) == ("merged", keep)
    assert ledger_differences() == []
    # The pending points become available at their own date.
    with time_machine.travel(available_at + datetime.timedelta(seconds=1)):
        fund(keep, 1)
        assert (balance(keep).available, balance(keep).pending) == (156, 0)
    assert ledger_differences() == []


@pytest.mark.parametrize("case", ["itself", "blocked target", "merged target", "merged source", "locks"])
def test_refused_merges_change_nothing(program, pair, case):
    keep, dup = pair
    fund(dup, 50)
    target, source = keep, dup
    if case == "itself":
        source = keep
    elif case == "blocked target":
        Member.objects.filter(pk=keep.pk).update(status="blocked")
    elif case == "merged target":
        other = MemberFactory(program=program, member_id="THIRD")
        member_merge(program=program, target=other, source=keep, reference="FIRST")
    elif case == "merged source":
        other = MemberFactory(program=program, member_id="THIRD")
        member_merge(program=program, target=other, source=dup, reference="FIRST")
    elif case == "locks":
        points_lock(program=program, member=dup, points=10, reference="L-1", expires_in=600)
    before = list(LedgerEntry.objects.values_list("id", flat=True))
    with pytest.raises(InvalidTransition):
        member_merge(program=program, target=target, source=source, reference="MRG-X")
    assert list(LedgerEntry.objects.values_list("id", flat=True)) == before
    assert ledger_differences() == []


def test_a_source_in_debt_passes_its_debt_on(program, pair):
    keep, dup = pair
    program.allow_negative_balance = True
    program.save()
    fund(keep, 100)
    basket = Basket(lines=(Line("1", "X", None, 1, Decimal("30.00")),), occurred_at=timezone.now())
    points_earn(program=program, member=dup, basket=basket, reference="E-1")
    # The 30 points are spent, then the purchase is returned: the member owes 30.
    points_adjust(program=program, member=dup, points=-30, reference="SPEND", reason="spent")
    earn_reverse(program=program, earn_reference="E-1", reference="R-1", returns=None)
    assert balance(dup).available == -30
    member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    assert (balance(keep).available, balance(dup).available) == (70, 0)
    assert ledger_differences() == []


def test_qualifying_points_and_the_higher_tier_go_to_the_target_and_stay_counted(program, pair):
    keep, dup = pair
    silver = tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=100)
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=300)
    basket = Basket(lines=(Line("1", "X", None, 1, Decimal("120.00")),), occurred_at=timezone.now())
    points_earn(program=program, member=keep, basket=basket, reference="K-1")
    points_earn(program=program, member=dup, basket=basket, reference="D-1")
    assert balance(keep).tier == silver
    member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    row = balance(keep)
    assert (row.qualifying_points, row.tier) == (240, silver)
    points_earn(program=program, member=keep, basket=basket, reference="K-2")  # 360: Gold
    assert balance(keep).tier == gold
    # When the window has to be counted again, the duplicate's earns still count for the target.
    PointsBalance.objects.filter(member=keep).update(qualifying_until=timezone.now() - datetime.timedelta(seconds=1))
    fund(keep, 1)
    small = Basket(lines=(Line("1", "X", None, 1, Decimal("1.00")),), occurred_at=timezone.now())
    points_earn(program=program, member=keep, basket=small, reference="K-3")
    assert balance(keep).qualifying_points == 361


def test_the_target_keeps_the_higher_tier_of_the_two(program, pair):
    keep, dup = pair
    tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=100)
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=300)
    basket = Basket(lines=(Line("1", "X", None, 1, Decimal("350.00")),), occurred_at=timezone.now())
    points_earn(program=program, member=dup, basket=basket, reference="D-1")
    until = balance(dup).tier_until
    member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    row = balance(keep)
    assert (row.tier, row.tier_until, row.qualifying_points) == (gold, until, 350)
    assert balance(dup).tier is None
    assert TierChange.objects.filter(member=keep, to_tier=gold).exists()


def test_segments_are_united(program, pair):
    keep, dup = pair
    vip, family = SegmentFactory(program=program, code="VIP"), SegmentFactory(program=program, code="FAMILY")
    SegmentMembership.objects.create(segment=vip, member=keep)
    SegmentMembership.objects.create(segment=vip, member=dup)
    SegmentMembership.objects.create(segment=family, member=dup)
    member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    assert set(keep.segments.values_list("code", flat=True)) == {"VIP", "FAMILY"}


# --- over the API -----------------------------------------------------------------------------------------------


def test_merge_over_the_api_replays_and_blocks_the_duplicate(api, program, pair):
    earn(api, member_id="DUP", lines=[line(unit_price="40.00")])
    body = {"reference": "MRG-1", "from_member_id": "DUP"}
    first = api.post("/api/v1/members/KEEP/merge", body)
    assert first.status_code == 201, first.content
    assert first.json() == {
        "reference": "MRG-1",
        "member_id": "KEEP",
        "from_member_id": "DUP",
        "points": {"available": 40, "pending": 0},
        "balance": {"available": 40, "pending": 0, "locked": 0, "total": 40},
    }
    replay = api.post("/api/v1/members/KEEP/merge", body)
    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (200, first.json(), "true")
    MemberFactory(program=program, member_id="OTHER")
    clash = api.post("/api/v1/members/OTHER/merge", body)
    assert (clash.status_code, clash.json()["error"]["code"]) == (409, "idempotency_mismatch")
    shown = api.get("/api/v1/members/DUP").json()
    assert (shown["status"], shown["merged_into"], shown["balance"]["total"]) == ("merged", "KEEP", 0)
    assert "merged_into" not in api.get("/api/v1/members/KEEP").json()
    history = api.get("/api/v1/members/DUP/transactions").json()["results"]
    assert history[0]["type"] == "merge_out" and history[0]["points"] == -40 and history[0]["status"] == "posted"
    assert api.get("/api/v1/members/KEEP/transactions").json()["results"][0]["type"] == "merge_in"
    # The duplicate moves no points and cannot log in any more; its status stays.
    blocked = api.post("/api/v1/transactions/earn", {"reference": "E-9", "member_id": "DUP", "lines": [line()]})
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (409, "member_blocked")
    identify = api.post("/api/v1/members/DUP/identification")
    assert (identify.status_code, identify.json()["error"]["code"]) == (409, "member_blocked")
    patched = api.patch("/api/v1/members/DUP", {"status": "active"})
    assert (patched.status_code, patched.json()["error"]["code"]) == (409, "invalid_transition")
    again = api.post("/api/v1/members/OTHER/merge", {"reference": "MRG-2", "from_member_id": "DUP"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")


def test_api_refusals(api, pair):
    assert api.post("/api/v1/members/KEEP/merge", {"reference": "M", "from_member_id": "KEEP"}).status_code == 409
    missing = api.post("/api/v1/members/KEEP/merge", {"reference": "M", "from_member_id": "NOPE"})
    assert missing.status_code == 404 and "from_member_id" in missing.json()["error"]["fields"]
    assert api.post("/api/v1/members/NOPE/merge", {"reference": "M", "from_member_id": "DUP"}).status_code == 404
    bad = api.post("/api/v1/members/KEEP/merge", {"reference": "M", "from_member_id": "DUP", "extra": 1})
    assert bad.status_code == 400
    assert not LedgerEntry.objects.filter(kind__in=["merge_in", "merge_out"]).exists()


def _earn_on(program, member, reference: str, amount: str, when=None) -> None:
    basket = Basket(lines=(Line("1", "X", None, 2, Decimal(amount)),), occurred_at=when or timezone.now())
    points_earn(program=program, member=member, basket=basket, reference=reference)


def test_an_earn_of_a_merged_duplicate_is_reversed_from_the_member_holding_its_points(api, program, pair):
    keep, dup = pair
    program.allow_negative_balance = False
    program.save()
    _earn_on(program, dup, "D-1", "80.00")
    fund(keep, 20)
    member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    assert (balance(keep).available, balance(dup).total) == (100, 0)

    answer = api.post(
        "/api/v1/transactions/D-1/reversal", {"reference": "R-1", "lines": [{"line_id": "1", "quantity": 1}]}
    )
    assert answer.status_code == 201, answer.content
    assert (answer.json()["points"], answer.json()["balance"]["available"]) == (-40, 60)
    answer = api.post("/api/v1/transactions/D-1/reversal", {"reference": "R-2"})
    assert answer.status_code == 201, answer.content
    assert (answer.json()["points"], answer.json()["balance"]["available"]) == (-40, 20)
    assert (balance(keep).available, balance(dup).total) == (20, 0)
    rows = api.get("/api/v1/members/KEEP/transactions").json()["results"]
    assert [(r["type"], r["reference"], r["points"], r["balance_after"]) for r in rows[:2]] == [
        ("reversal", "R-2", -40, 20),
        ("reversal", "R-1", -40, 60),
    ]
    # The merged lot gave the points back, not the target's own.
    assert sorted(PointsLot.objects.filter(member=keep, remaining__gt=0).values_list("remaining", flat=True)) == [20]
    assert ledger_differences() == []


def test_a_pending_earn_of_a_merged_duplicate_is_reversed_from_the_target_s_pending_points(program, pair):
    keep, dup = pair
    program.pending_days = 14
    program.save()
    _earn_on(program, dup, "D-1", "50.00")
    fund(keep, 10)
    member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    assert (balance(keep).available, balance(keep).pending) == (10, 50)
    outcome = earn_reverse(program=program, earn_reference="D-1", reference="R-1", returns=None)
    assert (outcome.balance.member_id, outcome.points) == (keep.pk, 50)
    assert (balance(keep).available, balance(keep).pending, balance(dup).total) == (10, 0, 0)
    assert ledger_differences() == []


def test_a_reversal_follows_a_chain_of_merges(program, pair):
    keep, dup = pair
    third = MemberFactory(program=program, member_id="THIRD")
    _earn_on(program, dup, "D-1", "30.00")
    member_merge(program=program, target=keep, source=dup, reference="MRG-1")
    member_merge(program=program, target=third, source=keep, reference="MRG-2")
    outcome = earn_reverse(program=program, earn_reference="D-1", reference="R-1", returns=None)
    assert (outcome.balance.member_id, outcome.points) == (third.pk, 30)
    assert (balance(third).total, balance(keep).total, balance(dup).total) == (0, 0, 0)
    assert ledger_differences() == []
