"""Basket evaluation and earn over the API."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import SegmentMembership
from rewards.models import Earn, IdempotencyRecord, LedgerEntry, PointsBalance, PointsLot, Promotion
from rewards.rules import clear_cache, promotions_changed
from rewards.selectors import earn_rules
from tests.factories import MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import basket, earn, line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rules():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def base(program):
    return PromotionFactory(program=program, code="BASE", kind="spend", rate="1", name={"en": "Base", "fr": "Base FR"})


def test_evaluate_guest_and_member(api, program, member, base):
    vip = SegmentFactory(program=program, code="VIP")
    promo = PromotionFactory(program=program, code="VIPX", kind="quantity", points=5, rate=None)
    promo.segments.add(vip)
    SegmentMembership.objects.create(segment=vip, member=member)
    lines = [line("1", quantity=2, unit_price="4.50"), line("2", sku="TEA", category="tea", unit_price="3.25")]
    guest = api.post("/api/v1/baskets/evaluate", {"lines": lines})
    assert guest.status_code == 200, guest.content
    # 9.00 + 3.25 = 12.25 at 1 point per euro -> 12 (rounded down once).
    assert guest.json()["points"] == 12
    assert [p["code"] for p in guest.json()["promotions"]] == ["BASE"]
    as_member = api.post("/api/v1/baskets/evaluate", {"member_id": "M-1", "lines": lines})
    body = as_member.json()
    # VIPX: 5 points per unit on 3 units = 15.
    assert body["points"] == 27
    assert {p["code"]: p["points"] for p in body["promotions"]} == {"BASE": 12, "VIPX": 15}
    assert body["lines"][0] == {"line_id": "1", "points": 19, "promotions": ["BASE", "VIPX"]}
    assert LedgerEntry.objects.count() == 0


def test_evaluate_explain_and_language(api, program, base):
    PromotionFactory(program=program, code="WEB", channels=["web"])
    r = api.post("/api/v1/baskets/evaluate?explain=true&lang=fr", {"channel": "store", "lines": [line()]})
    body = r.json()
    assert body["promotions"] == [{"code": "BASE", "name": "Base FR", "points": 10}]
    assert {"code": "WEB", "reason": "channel"} in body["not_applied"]


def test_earn_posts_once_and_replays(api, program, member, base):
    payload = basket(reference="POS-1", lines=[line(quantity=3, unit_price="2.50")])
    first = api.post("/api/v1/transactions/earn", payload)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["points"] == 7
    assert body["status"] == "posted"
    assert body["balance"] == {"available": 7, "pending": 0, "locked": 0, "total": 7}
    assert body["promotions"] == [{"code": "BASE", "name": "Base", "points": 7}]
    again = api.post("/api/v1/transactions/earn", payload)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert LedgerEntry.objects.filter(kind="earn").count() == 1
    assert PointsBalance.objects.get(member=member).available == 7


def test_replay_without_occurred_at_is_a_replay(api, member, base):
    payload = basket(reference="POS-NOW")
    assert api.post("/api/v1/transactions/earn", payload).status_code == 201
    assert api.post("/api/v1/transactions/earn", payload).status_code == 200


def test_same_reference_other_body_is_a_mismatch(api, member, base):
    api.post("/api/v1/transactions/earn", basket(reference="POS-2"))
    other = api.post("/api/v1/transactions/earn", basket(reference="POS-2", lines=[line(unit_price="99.00")]))
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_mismatch"
    assert LedgerEntry.objects.count() == 1


def test_earn_stores_basket_snapshot_and_expiry(api, program, member, base):
    program.expiry_months = 24
    program.save()
    body = earn(api, reference="POS-3", occurred_at="2026-01-31T10:00:00+01:00")
    assert body["expires_at"] == "2028-01-31T09:00:00+00:00"
    e = Earn.objects.get(reference="POS-3")
    assert [(r.code, r.version) for r in earn_rules(e)] == [("BASE", 1)]
    assert e.lines[0]["amount"] == "10.00"
    lot = PointsLot.objects.get(entry__earn=e)
    assert (lot.points, lot.remaining) == (10, 10)


def test_expiry_on_a_shorter_month(api, program, member, base):
    program.expiry_months = 1
    program.save()
    body = earn(api, occurred_at="2026-01-31T12:00:00Z")
    assert body["expires_at"] == "2026-02-28T12:00:00+00:00"


def test_pending_points(api, program, member, base):
    program.pending_days = 14
    program.save()
    body = earn(api, occurred_at="2026-11-25T10:00:00+00:00")
    if datetime.datetime.now(datetime.UTC) < datetime.datetime(2026, 12, 9, 10, tzinfo=datetime.UTC):
        assert body["status"] == "pending"
        assert body["available_at"] == "2026-12-09T10:00:00+00:00"
        assert body["balance"] == {"available": 0, "pending": 10, "locked": 0, "total": 10}
    old = earn(api, occurred_at="2020-01-01T10:00:00+00:00")
    assert old["status"] == "posted"


def test_blocked_member_cannot_earn(api, member, base):
    member.status = "blocked"
    member.save()
    r = api.post("/api/v1/transactions/earn", basket())
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "member_blocked"
    assert LedgerEntry.objects.count() == 0


@pytest.mark.parametrize(
    "change, field",
    [
        ({"lines": [line(quantity="2")]}, "lines.0.quantity"),
        ({"lines": [line(quantity=0)]}, "lines.0.quantity"),
        ({"lines": [line(quantity=-1)]}, "lines.0.quantity"),
        ({"lines": [line(quantity=10**30)]}, "lines.0.quantity"),
        ({"lines": [line(quantity=1.5)]}, "lines.0.quantity"),
        ({"lines": [line(unit_price=4.5)]}, "lines.0.unit_price"),
        ({"lines": [line(unit_price="4.555")]}, "lines.0.unit_price"),
        ({"lines": [line(unit_price="-1.00")]}, "lines.0.unit_price"),
        ({"lines": [line(unit_price="1" * 40)]}, "lines.0.unit_price"),
        ({"lines": [line(amount=9)]}, "lines.0.amount"),
        ({"lines": [{"line_id": "1", "sku": "X", "quantity": 1}]}, "lines.0.unit_price"),
        ({"lines": [line("1"), line("1")]}, "lines.1.line_id"),
        ({"lines": []}, "lines"),
        ({"lines": [line(str(i)) for i in range(501)]}, "lines"),
        ({"currency": "USD"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"occurred_at": "2026-11-25T10:31:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"reference": "has space"}, "reference"),
        ({"reference": "x" * 65}, "reference"),
        ({"member_id": 12}, "member_id"),
    ],
)
def test_bad_baskets_are_refused(api, member, base, change, field):
    payload = basket()
    payload.update(change)
    r = api.post("/api/v1/transactions/earn", payload)
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in error["fields"], error
    assert LedgerEntry.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_missing_reference_and_member(api, member, base):
    payload = basket()
    del payload["reference"]
    del payload["member_id"]
    r = api.post("/api/v1/transactions/earn", payload)
    assert r.status_code == 400
    assert {"reference", "member_id"} <= set(r.json()["error"]["fields"])


def test_malformed_json_and_non_object(api, member, base):
    assert api.post("/api/v1/transactions/earn", raw="{not json").status_code == 400
    assert api.post("/api/v1/transactions/earn", raw="[1, 2]").json()["error"]["code"] == "invalid_request"


def test_unknown_member_is_404_naming_the_field(api, base):
    r = api.post("/api/v1/transactions/earn", basket(member_id="NOPE"))
    assert r.status_code == 404
    assert r.json()["error"]["fields"] == {"member_id": ["Member NOPE not found."]}
    r = api.post("/api/v1/baskets/evaluate", {"member_id": "NOPE", "lines": [line()]})
    assert r.status_code == 404


def test_other_programs_member_is_404(api, other_program, base):
    MemberFactory(program=other_program, member_id="B-1")
    r = api.post("/api/v1/transactions/earn", basket(member_id="B-1"))
    assert r.status_code == 404


def test_amount_defaults_and_money_with_one_decimal(api, member, base):
    body = earn(api, lines=[line(quantity=3, unit_price="12.5")])
    assert body["points"] == 37
    body = earn(api, lines=[line(quantity=3, unit_price="12.50", amount="20.00")])
    assert body["points"] == 20


def _earn_queries(api, program, n_lines: int, committed) -> int:
    payload = basket(lines=[line(str(i), sku=f"SKU-{i}", category=f"c{i % 7}") for i in range(n_lines)])
    with committed(execute=True):  # the rule cache keeps what a committed request stored
        api.post("/api/v1/baskets/evaluate", payload)
        # An earn first: the program's webhook subscriptions (none) are cached from then on.
        api.post("/api/v1/transactions/earn", {**payload, "reference": f"WARM-{n_lines}-{payload['reference']}"})
    with CaptureQueriesContext(connection) as ctx:
        r = api.post("/api/v1/transactions/earn", payload)
    assert r.status_code == 201, r.content
    return len(ctx.captured_queries)


def test_earn_query_count_is_constant(api, program, member, django_capture_on_commit_callbacks):
    for i in range(10):
        PromotionFactory(program=program, code=f"P{i}", products=[f"SKU-{i}"])
    small = _earn_queries(api, program, 10, django_capture_on_commit_callbacks)
    large = _earn_queries(api, program, 100, django_capture_on_commit_callbacks)
    Promotion.objects.bulk_create(
        PromotionFactory.build(program=program, code=f"P{i}", products=[f"SKU-{i}"]) for i in range(10, 1000)
    )

    promotions_changed(program=program)
    many_promotions = _earn_queries(api, program, 100, django_capture_on_commit_callbacks)
    assert small == large == many_promotions
    assert small <= 15
