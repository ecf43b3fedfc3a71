"""Earn reversal over the API: full, partial, with snapshot rules, and every refusal."""

import pytest

from programs.models import Tier
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance
from rewards.rules import clear_cache
from tests.factories import PromotionFactory
from tests.helpers import earn, line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(program):
    clear_cache()
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    yield
    clear_cache()


def reverse(api, original, reference, lines=None):
    body = {"reference": reference}
    if lines is not None:
        body["lines"] = lines
    return api.post(f"/api/v1/transactions/{original}/reversal", body)


def balance(member):
    return PointsBalance.objects.get(member=member).available


def test_full_reversal(api, member):
    earn(api, reference="E1", lines=[line(quantity=2, unit_price="10.00")])
    r = reverse(api, "E1", "R1")
    assert r.status_code == 201, r.content
    assert r.json() == {
        "reference": "R1",
        "original_reference": "E1",
        "points": -20,
        "balance": {"available": 0, "pending": 0, "locked": 0, "total": 0},
    }
    again = reverse(api, "E1", "R1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == r.json()
    double = reverse(api, "E1", "R2")
    assert double.status_code == 409
    assert double.json()["error"]["code"] == "already_reversed"
    assert ledger_differences() == []


def test_partial_reversals_then_full(api, member):
    earn(api, reference="E2", lines=[line("1", quantity=4, unit_price="2.50"), line("2", sku="TEA", unit_price="5.00")])
    assert balance(member) == 15
    r = reverse(api, "E2", "R1", [{"line_id": "1", "quantity": 1}])
    # Kept basket: 3 x 2.50 + 5.00 = 12.50 -> 12 points; 15 - 12 = 3 reversed.
    assert r.json()["points"] == -3
    r = reverse(api, "E2", "R2", [{"line_id": "1", "quantity": 3}])
    assert r.json()["points"] == -7
    too_many = reverse(api, "E2", "R3", [{"line_id": "1", "quantity": 1}])
    assert too_many.status_code == 409
    assert too_many.json()["error"]["code"] == "reversal_exceeds_earn"
    rest = reverse(api, "E2", "R4")
    assert rest.json()["points"] == -5
    assert balance(member) == 0
    assert reverse(api, "E2", "R5").json()["error"]["code"] == "already_reversed"
    assert ledger_differences() == []


def test_partial_reversal_uses_the_rules_of_the_earn(api, program, member):
    promo = PromotionFactory(program=program, code="BONUS", kind="basket", threshold="30.00", points=100, rate=None)
    earn(api, reference="E3", lines=[line("1", quantity=2, unit_price="10.00"), line("2", unit_price="15.00")])
    assert balance(member) == 35 + 100
    # The promotion changes and ends after the earn: the reversal must not notice.
    promo.points = 1000
    promo.status = "paused"
    promo.version += 1
    promo.save()
    clear_cache()
    r = reverse(api, "E3", "R1", [{"line_id": "1", "quantity": 1}])
    # Kept: 10.00 + 15.00 = 25.00, below the 30.00 threshold: 25 points kept, 110 reversed.
    assert r.json()["points"] == -110
    assert balance(member) == 25


def test_partial_reversal_keeps_a_tier_promotion_on_kept_units(api, program, member):
    """A tier-only promotion that applied at earn time still applies to the kept units, whatever the member's
    tier is at reversal time (the earn stores no tier)."""
    gold = Tier.objects.create(program=program, code="GOLD", name={"en": "Gold"}, threshold=5, position=1)
    PromotionFactory(program=program, code="GOLDX", kind="quantity", points=5, rate=None).tiers.add(gold)
    clear_cache()
    earn(api, reference="E0")  # 10 qualifying points: the member reaches GOLD
    body = earn(api, reference="E1", lines=[line(quantity=2, unit_price="10.00")])
    assert body["points"] == 20 + 10
    r = reverse(api, "E1", "R1", [{"line_id": "1", "quantity": 1}])
    assert r.status_code == 201, r.content
    # Kept: one unit, 10 (BASE) + 5 (GOLDX); reversed: 15.
    assert r.json()["points"] == -15
    assert reverse(api, "E1", "R2").json()["points"] == -15


def test_bad_returns_are_400(api, member):
    earn(api, reference="E4", lines=[line("1", quantity=2)])
    for lines, field in [
        ([{"line_id": "9", "quantity": 1}], "lines.0.line_id"),
        ([{"line_id": "1", "quantity": 3}], "lines.0.quantity"),
        ([{"line_id": "1", "quantity": 0}], "lines.0.quantity"),
        ([{"line_id": "1", "quantity": "1"}], "lines.0.quantity"),
        ([{"line_id": "1", "quantity": 1}, {"line_id": "1", "quantity": 1}], "lines.1.line_id"),
        ([], "lines"),
    ]:
        r = reverse(api, "E4", "RX", lines)
        assert r.status_code == 400, (lines, r.content)
        assert field in r.json()["error"]["fields"], r.json()
    assert api.post("/api/v1/transactions/E4/reversal", {}).status_code == 400
    assert LedgerEntry.objects.filter(kind="reversal").count() == 0


def test_unknown_earn_is_404(api, other_api, member):
    earn(api, reference="E5")
    assert reverse(api, "NOPE", "R1").status_code == 404
    assert reverse(other_api, "E5", "R1").status_code == 404


def test_reversal_reference_reused_with_other_body(api, member):
    earn(api, reference="E6", lines=[line(quantity=3)])
    reverse(api, "E6", "R1", [{"line_id": "1", "quantity": 1}])
    r = reverse(api, "E6", "R1", [{"line_id": "1", "quantity": 2}])
    assert r.json()["error"]["code"] == "idempotency_mismatch"


def test_reversal_of_spent_points(api, program, member):
    from django.db import transaction

    from rewards.services.ledger import balance_lock, entry_post, lots_consume

    earn(api, reference="E7")
    with transaction.atomic():
        b = balance_lock(member=member)
        entry = entry_post(balance=b, kind="adjustment", reference="SPEND", available=-8)
        lots_consume(entry=entry, points=8)
    r = reverse(api, "E7", "R1")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "insufficient_points"
    program.allow_negative_balance = True
    program.save()
    r = reverse(api, "E7", "R1")
    assert r.status_code == 201
    assert r.json()["balance"]["available"] == -8
    # The next earn first repays the debt.
    earn(api, reference="E8", lines=[line(unit_price="20.00")])
    assert balance(member) == 12
    assert ledger_differences() == []


def test_blocked_member_can_still_be_reversed(api, member):
    earn(api, reference="E9")
    member.status = "blocked"
    member.save()
    assert reverse(api, "E9", "R1").status_code == 201


def test_pending_earn_is_reversed_from_pending(api, program, member):
    program.pending_days = 30
    program.save()
    earn(api, reference="E10", lines=[line(quantity=2)])
    r = reverse(api, "E10", "R1", [{"line_id": "1", "quantity": 1}])
    assert r.json()["balance"] == {"available": 0, "pending": 10, "locked": 0, "total": 10}
    assert ledger_differences() == []
