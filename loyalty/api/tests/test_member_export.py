"""GET /members/{id}/export: one document, each part equal to what the individual endpoints answer."""

import datetime

import pytest
from django.test import TestCase
from django.utils import timezone

from catalog.models import Gift
from loyalty.api.member_export import EXPORT_KEYS
from members.models import MemberLoginLink, MemberSession
from programs.models import Tier
from rewards.models import TierChange
from tests.factories import EventTypeFactory, GiftFactory, MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import earn, fund, line

pytestmark = pytest.mark.django_db

ADDRESS = {
    "name": "Ann Peeters",
    "street": "Kerkstraat 2",
    "postal_code": "9000",
    "city": "Gent",
    "country": "BE",
    "phone": None,
}
DELIVERY = {"name": "Ann Peeters", "street": "Rue Neuve 1", "postal_code": "1000", "city": "Brussels", "country": "BE"}


def all_pages(api, path: str) -> list[dict]:
    rows, url = [], f"{path}?limit=2"
    while url:
        body = api.get(url).json()
        rows += body["results"]
        url = f"{path}?limit=2&cursor={body['next']}" if body["next"] else None
    return rows


@pytest.fixture
def busy_member(api, program, member):
    """A member with a bit of everything: segments, earns, a transfer, redemptions with a delivery and a voucher,
    events, a tier change, a webshop session and a login link."""
    from members.services import segment_add_member
    from rewards.services.events import event_accept

    segment_add_member(segment=SegmentFactory(program=program, code="VIP"), member=member)
    Tier.objects.create(program=program, code="SILVER", name={"en": "Silver"}, threshold=0)
    address = {key: value for key, value in ADDRESS.items() if value is not None}
    assert api.patch("/api/v1/members/M-1", {"address": address}).status_code == 200
    PromotionFactory(program=program)
    fund(member, 3000)
    for n in range(3):
        earn(api, reference=f"E-{n}", lines=[line(unit_price="12.00")])
    GiftFactory(program=program, sku="MUG", points=500)
    GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=1000, value="10.00", voucher_valid_days=90)
    body = {"reference": "RD-1", "member_id": "M-1", "gift": "MUG", "delivery": DELIVERY}
    assert api.post("/api/v1/redemptions", body).status_code == 201
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert (
            api.post("/api/v1/redemptions", {"reference": "RD-2", "member_id": "M-1", "gift": "V10"}).status_code == 201
        )
    event_type = EventTypeFactory(program=program, code="REVIEW")
    with TestCase.captureOnCommitCallbacks(execute=True):
        event_accept(
            program=program,
            member=member,
            event_type=event_type,
            reference="EV-1",
            occurred_at=timezone.now(),
            attributes={"product": "COF-250"},
        )
    TierChange.objects.create(program=program, member=member, reason="override", qualifying_points=10, note="VIP")
    now = timezone.now()
    later = now + datetime.timedelta(days=1)
    MemberSession.objects.create(
        program=program, member=member, token_hash="a" * 64, created_at=now, expires_at=later, language="fr"
    )
    MemberLoginLink.objects.create(
        program=program, member=member, token_hash="b" * 64, created_at=now, expires_at=later
    )
    return member


def test_export_holds_what_every_endpoint_shows(api, busy_member):
    response = api.get("/api/v1/members/M-1/export")

    assert response.status_code == 200, response.content
    doc = response.json()
    assert tuple(doc) == EXPORT_KEYS
    profile = api.get("/api/v1/members/M-1").json()
    assert doc["member"] == profile
    assert doc["status"] == "active" and doc["merged_into"] is None
    # Every part API.md names is at the top: profile (`member`), address, status, tier, segments, balance...
    assert doc["address"] == profile["address"] == ADDRESS
    assert doc["tier"] == profile["tier"] and doc["tier"]["code"] == "SILVER"
    assert doc["segments"] == ["VIP"] == profile["segments"]
    assert doc["balance"] == profile["balance"]
    assert doc["transactions"] == all_pages(api, "/api/v1/members/M-1/transactions")
    assert len(doc["transactions"]) == 7  # fund, three earns, two redemptions, the event
    redemptions = [api.get(f"/api/v1/redemptions/{r['id']}").json() for r in doc["redemptions"]]
    assert doc["redemptions"] == redemptions
    assert [r["reference"] for r in redemptions] == ["RD-1", "RD-2"]
    assert redemptions[0]["delivery"] == DELIVERY
    assert redemptions[1]["voucher"]["status"] == "issued"
    event = api.get("/api/v1/events/EV-1").json()
    assert doc["events"] == [
        {
            **event,
            "type": "REVIEW",
            "occurred_at": doc["events"][0]["occurred_at"],
            "attributes": {"product": "COF-250"},
        }
    ]
    assert event["status"] == "rewarded"
    assert sum(lot["remaining"] for lot in doc["lots"]) == profile["balance"]["total"]
    assert {lot["transaction_id"] for lot in doc["lots"]} <= {t["id"] for t in doc["transactions"]}
    assert doc["tier_changes"][0]["reason"] == "override" and doc["tier_changes"][0]["note"] == "VIP"
    assert doc["webshop_sessions"][0]["language"] == "fr"
    assert doc["login_links"][0]["used_at"] is None
    assert doc["program"] == {"code": "DEMO", "name": "Demo Rewards"}


def test_export_of_a_new_member_is_empty_but_whole(api, program):
    MemberFactory(program=program, member_id="M-2")

    doc = api.get("/api/v1/members/M-2/export").json()

    assert tuple(doc) == EXPORT_KEYS
    for key in ("transactions", "lots", "redemptions", "events", "tier_changes", "webshop_sessions", "login_links"):
        assert doc[key] == [], key


def test_export_shows_only_this_member(api, program, busy_member):
    MemberFactory(program=program, member_id="M-2")

    doc = api.get("/api/v1/members/M-2/export").json()

    assert doc["transactions"] == doc["redemptions"] == doc["events"] == doc["lots"] == []


def test_export_of_an_unknown_member_or_another_programs_is_404(api, other_program):
    MemberFactory(program=other_program, member_id="M-9")

    assert api.get("/api/v1/members/M-9/export").status_code == 404
    assert api.get("/api/v1/members/M-404/export").status_code == 404


def test_export_needs_members_read(api_for, program, member):
    assert api_for(program, "points:read").get("/api/v1/members/M-1/export").status_code == 403
    assert api_for(program, "members:read").get("/api/v1/members/M-1/export").status_code == 200


def test_export_reads_in_a_bounded_number_of_queries(api, busy_member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/members/M-1/export")
    for n in range(5):
        earn(api, reference=f"MORE-{n}", lines=[line(unit_price="3.00")])
    with CaptureQueriesContext(connection) as more:
        api.get("/api/v1/members/M-1/export")
    assert len(more) == len(few)
