"""Redemptions, their lifecycle, vouchers, and how history shows them."""

import datetime

import pytest
from django.utils import timezone

from catalog.models import Gift
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, Redemption, Voucher
from rewards.services.redemption import CODE_ALPHABET, voucher_issue
from tests.factories import CategoryFactory, GiftFactory, MemberFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(program):
    return GiftFactory(program=program, sku="MUG", points=500, stock=3, name={"en": "Mug", "fr": "Tasse"})


@pytest.fixture
def v10(program):
    return GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=1000, value="10.00", voucher_valid_days=90)


def redeem(api, gift="MUG", reference="RD-1", member_id="M-1", **extra):
    body = {"reference": reference, "member_id": member_id, "gift": gift, **extra}
    return api.post("/api/v1/redemptions", body)


def available(member):
    return PointsBalance.objects.get(member=member).available


def test_redeem_physical_gift(api, program, member, mug):
    fund(member, 1200)
    delivery = {
        "name": "Ann Peeters",
        "street": "Rue Neuve 1",
        "postal_code": "1000",
        "city": "Brussels",
        "country": "BE",
    }
    r = redeem(api, quantity=2, delivery=delivery)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "exchanged"
    assert body["points"] == 1000
    assert body["gift"]["sku"] == "MUG" and body["gift"]["name"] == "Mug"
    assert body["voucher"] is None
    assert body["delivery"] == delivery
    assert available(member) == 200
    mug.refresh_from_db()
    assert mug.stock == 1
    replay = redeem(api, quantity=2, delivery=delivery)
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == body
    assert redeem(api, quantity=1).json()["error"]["code"] == "idempotency_mismatch"
    assert api.get(f"/api/v1/redemptions/{body['id']}?lang=fr").json()["gift"]["name"] == "Tasse"
    assert ledger_differences() == []


def test_redeem_refusals(api, program, member, mug):
    fund(member, 400)
    r = redeem(api)
    assert r.status_code == 409 and r.json()["error"]["code"] == "insufficient_points"
    fund(member, 5000)
    assert redeem(api, quantity=4).json()["error"]["code"] == "out_of_stock"
    GiftFactory(program=program, sku="DRAFT", validated=False)
    assert redeem(api, gift="DRAFT", reference="RD-2").json()["error"]["code"] == "gift_unavailable"
    GiftFactory(program=program, sku="OLD", valid_until=timezone.now() - datetime.timedelta(days=1))
    assert redeem(api, gift="OLD", reference="RD-3").json()["error"]["code"] == "gift_unavailable"
    GiftFactory(program=program, sku="HIDDEN", category=CategoryFactory(program=program, active=False))
    assert redeem(api, gift="HIDDEN", reference="RD-4").json()["error"]["code"] == "gift_unavailable"
    r = redeem(api, gift="NOPE", reference="RD-5")
    assert r.status_code == 404 and "gift" in r.json()["error"]["fields"]
    r = redeem(api, member_id="NOPE", reference="RD-6")
    assert r.status_code == 404 and "member_id" in r.json()["error"]["fields"]
    member.status = "blocked"
    member.save()
    assert redeem(api, reference="RD-7").json()["error"]["code"] == "member_blocked"
    assert Redemption.objects.count() == 0
    assert LedgerEntry.objects.filter(kind="redemption").count() == 0


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 101}, "quantity"),
        ({"quantity": "1"}, "quantity"),
        ({"delivery": {"name": "A"}}, "delivery.street"),
        (
            {"delivery": {"name": "A", "street": "S", "postal_code": "1", "city": "C", "country": "be"}},
            "delivery.country",
        ),
        (
            {"delivery": {"name": "A", "street": "S", "postal_code": "1", "city": "C", "country": "XX"}},
            "delivery.country",
        ),
        (
            {
                "delivery": {
                    "name": "A",
                    "street": "S",
                    "postal_code": "1",
                    "city": "C",
                    "country": "BE",
                    "phone": "1" * 33,
                }
            },
            "delivery.phone",
        ),
        ({"gift": 5}, "gift"),
        ({"reference": ""}, "reference"),
    ],
)
def test_redeem_bad_input(api, member, mug, extra, field):
    fund(member, 5000)
    body = {"reference": "RD-X", "member_id": "M-1", "gift": "MUG", **extra}
    r = api.post("/api/v1/redemptions", body)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert Redemption.objects.count() == 0


def test_lifecycle_and_refunds(api, member, mug):
    fund(member, 5000)
    rid = redeem(api).json()["id"]
    path = f"/api/v1/redemptions/{rid}"
    bad = api.post(f"{path}/status", {"status": "delivered"})
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "invalid_transition"
    for status in ("in_preparation", "in_delivery", "delivered"):
        r = api.post(f"{path}/status", {"status": status})
        assert r.status_code == 200 and r.json()["status"] == status
    assert api.post(f"{path}/cancel").json()["error"]["code"] == "invalid_transition"
    r = api.post(f"{path}/status", {"status": "returned"})
    assert r.json()["status"] == "returned"
    assert available(member) == 5000
    assert api.post(f"{path}/status", {"status": "returned"}).status_code == 409
    mug.refresh_from_db()
    assert mug.stock == 3
    assert api.post(f"{path}/status", {"status": "lost"}).status_code == 400
    assert ledger_differences() == []


def test_cancel_refunds_and_history_shows_current_status(api, member, mug):
    fund(member, 800)
    rid = redeem(api).json()["id"]
    assert available(member) == 300
    api.post(f"/api/v1/redemptions/{rid}/status", {"status": "in_preparation"})
    r = api.post(f"/api/v1/redemptions/{rid}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert available(member) == 800
    rows = api.get("/api/v1/members/M-1/transactions").json()["results"]
    assert [(row["type"], row["points"], row["balance_after"], row["status"]) for row in rows[:2]] == [
        ("refund", 500, 800, "posted"),
        ("redemption", -500, 300, "cancelled"),
    ]
    assert rows[1]["redemption"] == {
        "id": rid,
        "status": "cancelled",
        "gift": {"sku": "MUG", "name": "Mug", "type": "physical"},
    }
    assert ledger_differences() == []


def test_voucher_gift_is_issued_and_used_once(api, program, member, v10, django_capture_on_commit_callbacks):
    fund(member, 2500)
    with django_capture_on_commit_callbacks(execute=True):
        r = redeem(api, gift="V10")
    assert r.status_code == 201, r.content
    body = r.json()
    # The answer is the state at commit; the task (eager here) issues right after.
    assert body["status"] == "exchanged"
    assert body["voucher"]["status"] == "pending"
    detail = api.get(f"/api/v1/redemptions/{body['id']}").json()
    assert detail["status"] == "delivered"
    voucher = detail["voucher"]
    assert voucher["status"] == "issued" and voucher["value"] == "10.00" and voucher["currency"] == "EUR"
    code = voucher["code"]
    assert len(code.replace("-", "")) == 20 and set(code.replace("-", "")) <= set(CODE_ALPHABET)
    expires = datetime.datetime.fromisoformat(voucher["expires_at"])
    assert abs((expires - timezone.now()) - datetime.timedelta(days=90)) < datetime.timedelta(minutes=1)
    assert api.get(f"/api/v1/vouchers/{code}").json()["status"] == "issued"
    used = api.post(f"/api/v1/vouchers/{code}/use", {"order_reference": "WEB-1"})
    assert used.status_code == 200 and used.json()["status"] == "used"
    again = api.post(f"/api/v1/vouchers/{code}/use", {"order_reference": "WEB-1"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    # A used voucher cannot be returned for points.
    assert api.post(f"/api/v1/redemptions/{body['id']}/status", {"status": "returned"}).status_code == 409
    rows = api.get("/api/v1/members/M-1/transactions?type=redemption").json()["results"]
    assert rows[0]["status"] == "delivered"


def test_voucher_task_twice_issues_one(member, program, v10, api, django_capture_on_commit_callbacks):
    fund(member, 1000)
    with django_capture_on_commit_callbacks(execute=True):
        rid = redeem(api, gift="V10").json()["id"]
    first = Voucher.objects.get(redemption_id=rid)
    again = voucher_issue(redemption_id=rid)
    assert again.pk == first.pk
    assert Voucher.objects.count() == 1


def test_expired_and_void_vouchers(api, member, v10, django_capture_on_commit_callbacks):
    fund(member, 3000)
    with django_capture_on_commit_callbacks(execute=True):
        rid = redeem(api, gift="V10").json()["id"]
        rid2 = redeem(api, gift="V10", reference="RD-2").json()["id"]
    voucher = Voucher.objects.get(redemption_id=rid)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api.get(f"/api/v1/vouchers/{voucher.code}").json()["status"] == "expired"
    assert api.post(f"/api/v1/vouchers/{voucher.code}/use", {"order_reference": "W"}).status_code == 409
    r = api.post(f"/api/v1/redemptions/{rid2}/status", {"status": "returned"})
    assert r.status_code == 200
    assert r.json()["voucher"]["status"] == "void"
    assert available(member) == 2000


def test_isolation(api, other_api, other_program, member, mug):
    fund(member, 1000)
    rid = redeem(api).json()["id"]
    MemberFactory(program=other_program, member_id="M-1")
    assert other_api.get(f"/api/v1/redemptions/{rid}").status_code == 404
    assert other_api.post(f"/api/v1/redemptions/{rid}/cancel").status_code == 404
    assert (
        other_api.post("/api/v1/redemptions", {"reference": "X", "member_id": "M-1", "gift": "MUG"}).status_code == 404
    )
    assert api.get("/api/v1/redemptions/abc").status_code == 404
    assert api.get("/api/v1/vouchers/NOPE").status_code == 404
