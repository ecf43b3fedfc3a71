"""Strict bodies: a key an endpoint does not define, at any depth, is a 400 naming it, and nothing changes."""

import importlib
import inspect
import pkgutil

import pytest
from rest_framework import serializers

import loyalty.api
from loyalty.api.fields import ClosedSerializer
from programs.models import EventType
from rewards.models import LedgerEntry, PointsBalance, PointsLock, Redemption
from tests.factories import GiftFactory, MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import basket, fund, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(program, member):
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    MemberFactory(program=program, member_id="M-2")
    GiftFactory(program=program, sku="MUG", points=100)
    SegmentFactory(program=program, code="VIP")
    EventType.objects.create(program=program, code="SURVEY", name={"en": "Survey"}, points=5)
    fund(member, 1000)
    return program


def snapshot() -> tuple:
    return (
        LedgerEntry.objects.count(),
        Redemption.objects.count(),
        PointsLock.objects.count(),
        sorted(PointsBalance.objects.values_list("available", flat=True)),
    )


def named(response, field: str) -> None:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["fields"] == {field: ["Unknown field."]}, error


DELIVERY = {"name": "Ann", "street": "Rue 1", "postal_code": "1000", "city": "Brussels", "country": "BE"}


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/transactions/earn", {**basket(), "ocurred_at": "2026-11-25T10:31:00+01:00"}, "ocurred_at"),
        ("/api/v1/transactions/earn", {**basket(), "chanel": "store"}, "chanel"),
        (
            "/api/v1/transactions/earn",
            basket(lines=[line(), {**line(line_id="2"), "product_categry": "coffee"}]),
            "lines.1.product_categry",
        ),
        ("/api/v1/baskets/evaluate", {**basket(), "memberid": "M-1"}, "memberid"),
        ("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG", "qty": 3}, "qty"),
        (
            "/api/v1/redemptions",
            {"reference": "R-1", "member_id": "M-1", "gift": "MUG", "delivery": {**DELIVERY, "floor": "2"}},
            "delivery.floor",
        ),
        ("/api/v1/events", {"reference": "E-1", "member_id": "M-1", "event_type": "SURVEY", "type": "x"}, "type"),
        ("/api/v1/points/locks", {"reference": "L-1", "member_id": "M-1", "points": 5, "expires": 60}, "expires"),
        (
            "/api/v1/points/transfers",
            {"reference": "T-1", "from_member_id": "M-1", "to_member_id": "M-2", "points": 5, "note": "x"},
            "note",
        ),
        ("/api/v1/members/M-1/adjustments", {"reference": "A-1", "points": 5, "reason": "x", "why": "y"}, "why"),
        ("/api/v1/segments/VIP/members", {"add": ["M-1"], "remve": ["M-2"]}, "remve"),
        ("/api/v1/members", {"member_id": "M-9", "e_mail": "a@b.c"}, "e_mail"),
        ("/api/v1/members/M-1/identification", {"ttl": 60}, "ttl"),
    ],
)
def test_an_unknown_key_is_refused_naming_it(api, world, path, body, field):
    before = snapshot()
    named(api.post(path, body), field)
    assert snapshot() == before


def test_a_reversal_line_has_only_line_id_and_quantity(api, world):
    assert api.post("/api/v1/transactions/earn", basket(reference="E-1")).status_code == 201
    before = snapshot()
    body = {"reference": "REV-1", "lines": [{"line_id": "1", "quantity": 1, "amount": "1.00"}]}
    named(api.post("/api/v1/transactions/E-1/reversal", body), "lines.0.amount")
    assert snapshot() == before


def test_endpoints_that_take_no_body_refuse_any_key(api, world):
    rid = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"}).json()["id"]
    api.post("/api/v1/points/locks", {"reference": "L-1", "member_id": "M-1", "points": 5})
    before = snapshot()
    named(api.post(f"/api/v1/redemptions/{rid}/cancel", {"reason": "x"}), "reason")
    named(api.post("/api/v1/points/locks/L-1/release", {"points": 5}), "points")
    named(api.put("/api/v1/segments/VIP/members/M-1", {"x": 1}), "x")
    named(api.put("/api/v1/promotions/BASE/segments/VIP", {"x": 1}), "x")
    assert snapshot() == before
    # Nothing, or an empty object, is what they take.
    assert api.post(f"/api/v1/redemptions/{rid}/cancel", {}).status_code == 200
    assert api.post("/api/v1/points/locks/L-1/release").status_code == 200


def test_a_delete_refuses_any_key_and_deletes_nothing(api, world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    from members.models import Member
    from programs.models import WebhookSubscription

    hook = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["points.earned"]}).json()["id"]
    assert api.put("/api/v1/segments/VIP/members/M-1").status_code == 200
    assert api.put("/api/v1/promotions/BASE/segments/VIP").status_code == 200
    paths = [
        "/api/v1/members/M-2",
        "/api/v1/segments/VIP/members/M-1",
        "/api/v1/promotions/BASE/segments/VIP",
        f"/api/v1/webhooks/{hook}",
    ]
    for path in paths:
        named(api.call("DELETE", path, {"x": 1}), "x")
    assert Member.objects.get(member_id="M-2").first_name  # not erased
    assert world.segments.get(code="VIP").memberships.count() == 1
    assert world.promotions.get(code="BASE").segments.count() == 1
    assert WebhookSubscription.objects.filter(pk=hook, deleted_at__isnull=True).exists()
    # A DELETE with a body where the endpoint has no DELETE is still 405.
    not_allowed = api.call("DELETE", "/api/v1/transactions/earn", {"x": 1})
    assert not_allowed.status_code == 405 and not_allowed.json()["error"]["code"] == "invalid_request"
    # No body, or an empty object, is what a DELETE takes.
    assert api.delete(paths[0]).status_code == 204
    assert [api.call("DELETE", path, {}).status_code for path in paths[1:]] == [204, 204, 204]


def test_capture_takes_only_points(api, world):
    api.post("/api/v1/points/locks", {"reference": "L-1", "member_id": "M-1", "points": 5})
    named(api.post("/api/v1/points/locks/L-1/capture", {"point": 5}), "point")


def test_a_voucher_use_and_a_status_move_are_strict_too(api, world, django_capture_on_commit_callbacks):
    rid = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"}).json()["id"]
    named(api.post(f"/api/v1/redemptions/{rid}/status", {"status": "in_preparation", "by": "me"}), "by")
    GiftFactory(program=world, sku="V5", type="voucher", points=10, value="5.00", voucher_valid_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        voucher_rid = api.post("/api/v1/redemptions", {"reference": "R-2", "member_id": "M-1", "gift": "V5"}).json()
    code = api.get(f"/api/v1/redemptions/{voucher_rid['id']}").json()["voucher"]["code"]
    named(api.post(f"/api/v1/vouchers/{code}/use", {"order_reference": "O-1", "x": 1}), "x")
    assert api.get(f"/api/v1/vouchers/{code}").json()["status"] == "issued"


def test_every_input_serializer_of_the_api_is_closed():
    """One shared mechanism: every request body is read by a ClosedSerializer (nested ones included)."""
    found = []
    for module_info in pkgutil.iter_modules(loyalty.api.__path__):
        if module_info.name == "tests":
            continue
        module = importlib.import_module(f"loyalty.api.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, serializers.Serializer) and name.endswith("Input") and cls.__module__ == module.__name__:
                found.append(cls)
                assert issubclass(cls, ClosedSerializer), name
    assert len(found) >= 15
