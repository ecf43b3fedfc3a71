"""The member's postal address (API.md): enrolment, GET, PATCH, and the copy a physical redemption keeps."""

import pytest

from members.models import Member
from tests.factories import GiftFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db

HOME = {"name": "Ana Peeters", "street": "Rue Haute 12", "postal_code": "1000", "city": "Bruxelles", "country": "BE"}


def test_enrol_with_an_address_then_read_it_with_every_key(api):
    created = api.post("/api/v1/members", {"member_id": "A-1", "address": HOME})
    assert created.status_code == 201, created.content
    assert created.json()["address"] == {**HOME, "phone": None}
    assert list(created.json())[:8] == [
        "member_id",
        "email",
        "first_name",
        "last_name",
        "language",
        "birth_date",
        "status",
        "enrolled_at",
    ]
    assert api.get("/api/v1/members/A-1").json()["address"] == {**HOME, "phone": None}


def test_a_member_without_an_address_has_null(api, member):
    assert api.get("/api/v1/members/M-1").json()["address"] is None


def test_patch_changes_and_null_clears_the_address(api, member):
    moved = {**HOME, "street": "Avenue Louise 1", "phone": "+32 2 123 45 67"}
    assert api.patch("/api/v1/members/M-1", {"address": moved}).json()["address"] == moved
    assert api.patch("/api/v1/members/M-1", {"email": "a@example.com"}).json()["address"] == moved  # kept
    assert api.patch("/api/v1/members/M-1", {"address": None}).json()["address"] is None
    assert Member.objects.get(member_id="M-1").address is None


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ({**HOME, "country": "XX"}, "address.country"),
        ({**HOME, "country": "be"}, "address.country"),
        ({**HOME, "phone": "call me"}, "address.phone"),
        ({k: v for k, v in HOME.items() if k != "city"}, "address.city"),
        ({**HOME, "floor": "2"}, "address.floor"),
        ("Rue Haute 12, Bruxelles", "address.non_field_errors"),
    ],
)
def test_a_bad_address_is_refused_with_its_path_and_changes_nothing(api, member, address, field):
    response = api.patch("/api/v1/members/M-1", {"address": address})
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert any(key == field or key.startswith(field.split(".non_field")[0]) for key in fields), fields
    assert Member.objects.get(member_id="M-1").address is None


def test_a_physical_gift_without_delivery_goes_to_the_member_s_address_as_it_was(api, member):
    fund(member, 500)
    GiftFactory(program=member.program, sku="MUG", points=100, stock=5)
    GiftFactory(program=member.program, sku="V5", type="voucher", points=100, value="5.00", voucher_valid_days=30)
    api.patch("/api/v1/members/M-1", {"address": HOME})
    mug = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"})
    assert mug.status_code == 201, mug.content
    assert mug.json()["delivery"] == {**HOME, "phone": None}
    api.patch("/api/v1/members/M-1", {"address": {**HOME, "street": "Elsewhere 9"}})
    kept = api.get(f"/api/v1/redemptions/{mug.json()['id']}").json()
    assert kept["delivery"]["street"] == "Rue Haute 12"  # a copy, as it was at that moment
    given = {**HOME, "name": "A friend", "phone": None}
    other = api.post("/api/v1/redemptions", {"reference": "R-2", "member_id": "M-1", "gift": "MUG", "delivery": given})
    assert other.json()["delivery"]["name"] == "A friend"
    voucher = api.post("/api/v1/redemptions", {"reference": "R-3", "member_id": "M-1", "gift": "V5"})
    assert voucher.json()["delivery"] is None  # nothing to ship


def test_without_an_address_the_physical_redemption_has_no_delivery(api, member):
    fund(member, 500)
    GiftFactory(program=member.program, sku="MUG", points=100, stock=5)
    mug = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"})
    assert mug.status_code == 201 and mug.json()["delivery"] is None
