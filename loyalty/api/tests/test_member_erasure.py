"""DELETE /members/{id}: erasure of a member's personal data (API.md, Member merge and data rights)."""

import json

import pytest
from django.apps import apps
from django.db import models
from django.db.models.functions import Cast
from django.test import TestCase

from members.models import Member, MemberErasure, MemberLoginLink, MemberSession, SegmentMembership
from programs.models import WebhookEvent
from rewards.ledger_check import ledger_differences
from rewards.models import Event, LedgerEntry, PointsBalance, PointsLot, Redemption
from tests.factories import EventTypeFactory, GiftFactory, SegmentFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("programs", "members", "catalog", "rewards", "loyalty", "backoffice", "shop", "programfile", "demo")
DELIVERY = {
    "name": "Zoltan Quibblesworth",
    "street": "Rue Improbable 77",
    "postal_code": "1000",
    "city": "Brussels",
    "country": "BE",
}
PROFILE = {"email": "zoltan.q@example.org", "first_name": "Zoltan", "last_name": "Quibblesworth"}
NEEDLES = ("zoltan.q@example.org", "Zoltan", "Quibblesworth", "Rue Improbable 77", "secret-allergy")


def rows_holding(needle: str) -> list[str]:
    """Every text or JSON column of every project table, searched for `needle` (case-insensitive)."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)):
                hits = model._default_manager.filter(**{f"{field.name}__icontains": needle}).count()
            elif isinstance(field, models.JSONField):
                hits = (
                    model._default_manager.annotate(_text=Cast(field.name, models.TextField()))
                    .filter(_text__icontains=needle)
                    .count()
                )
            else:
                continue
            if hits:
                found.append(f"{model._meta.label}.{field.name}")
    return found


@pytest.fixture
def subscribed(api):
    body = {
        "url": "https://crm.example.com/hooks",
        "events": ["member.erased", "member.enrolled", "redemption.created"],
    }
    response = api.post("/api/v1/webhooks", body)
    assert response.status_code == 201, response.content


@pytest.fixture
def customer(api, program, subscribed):
    """Enrolled over the API, in a segment, with a delivered physical redemption, an event with personal
    attributes, a webshop session and a login link."""
    from members.services import segment_add_member
    from rewards.services.events import event_accept
    from rewards.services.redemption import redemption_transition

    response = api.post(
        "/api/v1/members", {"member_id": "M-7", **PROFILE, "birth_date": "1980-02-03", "language": "fr"}
    )
    assert response.status_code == 201, response.content
    member = Member.objects.get(program=program, member_id="M-7")
    segment_add_member(segment=SegmentFactory(program=program, code="VIP"), member=member)
    fund(member, 3000)
    GiftFactory(program=program, sku="MUG", points=500)
    answer = api.post(
        "/api/v1/redemptions", {"reference": "RD-7", "member_id": "M-7", "gift": "MUG", "delivery": DELIVERY}
    )
    assert answer.status_code == 201, answer.content
    redemption = Redemption.objects.get(pk=answer.json()["id"])
    for step in ("in_preparation", "in_delivery", "delivered"):
        redemption_transition(redemption=redemption, status=step)
    with TestCase.captureOnCommitCallbacks(execute=True):
        event_accept(
            program=program,
            member=member,
            event_type=EventTypeFactory(program=program, code="REVIEW"),
            reference="EV-7",
            occurred_at=member.enrolled_at,
            attributes={"note": "secret-allergy", "name": "Zoltan"},
        )
    now, later = member.enrolled_at, member.enrolled_at.replace(year=member.enrolled_at.year + 1)
    MemberSession.objects.create(program=program, member=member, token_hash="a" * 64, created_at=now, expires_at=later)
    MemberLoginLink.objects.create(
        program=program, member=member, token_hash="b" * 64, created_at=now, expires_at=later
    )
    return member


def test_erasure_leaves_no_personal_datum_in_the_database(api, customer):
    for needle in NEEDLES:
        assert rows_holding(needle), needle  # the search finds them before

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api.delete("/api/v1/members/M-7")

    assert response.status_code == 204, response.content
    for needle in NEEDLES:
        assert rows_holding(needle) == [], needle
    member = Member.objects.get(pk=customer.pk)
    assert member.member_id.startswith("erased-") and len(member.member_id) == len("erased-") + 32
    assert (member.email, member.first_name, member.last_name, member.language, member.birth_date) == (
        "",
        "",
        "",
        "",
        None,
    )
    assert member.erased_at is not None and member.status == "blocked"
    assert not MemberSession.objects.filter(member=member).exists()
    assert not MemberLoginLink.objects.filter(member=member).exists()
    assert not SegmentMembership.objects.filter(member=member).exists()
    assert Event.objects.get(reference="EV-7").attributes == {}


def test_erasure_keeps_the_figures(api, program, customer):
    entries = list(LedgerEntry.objects.filter(member=customer).order_by("pk").values("pk", "points", "kind"))
    lots = list(PointsLot.objects.filter(member=customer).order_by("pk").values("pk", "points", "remaining"))
    balance = PointsBalance.objects.get(member=customer).as_dict()

    assert api.delete("/api/v1/members/M-7").status_code == 204

    assert list(LedgerEntry.objects.filter(member=customer).order_by("pk").values("pk", "points", "kind")) == entries
    assert list(PointsLot.objects.filter(member=customer).order_by("pk").values("pk", "points", "remaining")) == lots
    assert PointsBalance.objects.get(member=customer).as_dict() == balance
    assert ledger_differences() == []


def test_the_old_id_is_gone_and_can_be_enrolled_again(api, customer):
    redemption_id = Redemption.objects.get(reference="RD-7").pk
    assert api.delete("/api/v1/members/M-7").status_code == 204

    for path in ("", "/export", "/transactions", "/expiring", "/promotions"):
        assert api.get(f"/api/v1/members/M-7{path}").status_code == 404, path
    assert api.delete("/api/v1/members/M-7").status_code == 404
    redemption = api.get(f"/api/v1/redemptions/{redemption_id}").json()
    assert redemption["delivery"] is None and redemption["points"] == 500
    assert redemption["member_id"].startswith("erased-")

    again = api.post("/api/v1/members", {"member_id": "M-7"})
    assert again.status_code == 201, again.content
    assert again.json()["balance"]["total"] == 0 and again.json()["segments"] == []
    assert api.get("/api/v1/members/M-7/transactions").json()["results"] == []
    assert api.get("/api/v1/members/M-7/export").json()["redemptions"] == []


def test_the_erasure_is_recorded_without_personal_data_and_reported(api, program, customer):
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert api.delete("/api/v1/members/M-7").status_code == 204

    member = Member.objects.get(pk=customer.pk)
    record = MemberErasure.objects.get()
    assert record.program == program and record.pseudonym == member.member_id
    assert record.erased_at == member.erased_at
    assert record.actor.startswith("api-client:") and len(record.actor) > len("api-client:")
    event = WebhookEvent.objects.get(type="member.erased")
    assert event.data == {"member_id": member.member_id}
    enrolled = WebhookEvent.objects.get(type="member.enrolled")
    assert enrolled.data["member_id"] == member.member_id and enrolled.data["email"] == ""


def test_a_replayed_redemption_answers_without_the_address(api, customer):
    assert api.delete("/api/v1/members/M-7").status_code == 204

    replay = api.post(
        "/api/v1/redemptions", {"reference": "RD-7", "member_id": "M-7", "gift": "MUG", "delivery": DELIVERY}
    )

    assert "Rue Improbable" not in json.dumps(replay.json())


@pytest.mark.parametrize("status", ["exchanged", "in_preparation", "in_delivery"])
def test_refused_while_a_physical_gift_is_on_its_way(api, program, member, status):
    fund(member, 1000)
    GiftFactory(program=program, sku="MUG", points=500)
    answer = api.post(
        "/api/v1/redemptions", {"reference": "RD-1", "member_id": "M-1", "gift": "MUG", "delivery": DELIVERY}
    )
    redemption = Redemption.objects.get(pk=answer.json()["id"])
    from rewards.services.redemption import redemption_transition

    for step in ("in_preparation", "in_delivery")[: ("exchanged", "in_preparation", "in_delivery").index(status)]:
        redemption_transition(redemption=redemption, status=step)

    response = api.delete("/api/v1/members/M-1")

    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_transition"
    member.refresh_from_db()
    assert member.member_id == "M-1" and member.erased_at is None and member.email
    assert not MemberErasure.objects.exists()
    redemption_transition(redemption=redemption, status="cancelled" if status != "in_delivery" else "delivered")
    assert api.delete("/api/v1/members/M-1").status_code == 204


def test_erasure_needs_members_write_and_stays_in_the_program(api_for, program, other_api, member):
    assert api_for(program, "members:read").delete("/api/v1/members/M-1").status_code == 403
    assert other_api.delete("/api/v1/members/M-1").status_code == 404
    assert api_for(program, "members:write").delete("/api/v1/members/M-1").status_code == 204
