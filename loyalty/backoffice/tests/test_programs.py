"""The admin: every page answers, API clients go through the services and show their secret once."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from loyalty.backoffice.tests.helpers import cell
from members.models import Member, SegmentMembership
from programs.models import ApiClient, Program, WebhookDelivery, WebhookEvent
from programs.services import api_client_create
from programs.webhook_services import webhook_subscribe
from rewards.models import Notification, NotificationSettings, NotificationText, PointsBalance, Promotion
from rewards.services.points import points_adjust
from rewards.services.redemption import redeem
from tests.factories import (
    CategoryFactory,
    EventTypeFactory,
    GiftFactory,
    MemberFactory,
    PromotionFactory,
    SegmentFactory,
)

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
IDS = [m._meta.label for m in REGISTERED]
OURS = [m for m in REGISTERED if m._meta.app_label in {"programs", "members", "catalog", "rewards"}]
SECRET_RE = re.compile(r"client secret: <code>([^<]+)</code>")
CLIENT_ID_RE = re.compile(r"Client id: <code>([^<]+)</code>")


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def catalog(program, other_program):
    """A little of everything, so that changelists render real rows."""
    member = MemberFactory(program=program, member_id="M-1")
    MemberFactory(program=other_program, member_id="M-1")
    segment = SegmentFactory(program=program, code="VIP")
    SegmentMembership.objects.create(segment=segment, member=member)
    category = CategoryFactory(program=program, code="HOME")
    CategoryFactory(program=program, code="KITCHEN", parent=category)
    mug = GiftFactory(program=program, category=category, sku="MUG")
    buyer = MemberFactory(program=program, member_id="M-2")
    points_adjust(program=program, member=buyer, points=500, reference="FUND-M-2", reason="For a redemption")
    redeem(program=program, member=buyer, gift=mug, quantity=1, reference="RD-1")
    promotion = PromotionFactory(program=program, code="BASE")
    promotion.segments.add(segment)
    EventTypeFactory(program=program, code="SURVEY")
    points_adjust(program=program, member=member, points=10, reference="WELCOME", reason="Welcome points")
    client, secret = api_client_create(program=program, name="Till", scopes="program:read members:read")
    Client().post(
        "/oauth/token/",
        data={"grant_type": "client_credentials", "client_id": client.application.client_id, "client_secret": secret},
    )
    hook, _ = webhook_subscribe(api_client=client, url="https://1.1.1.1/hooks", events=["points.earned"])
    event = WebhookEvent.objects.create(id="msg_1", program=program, type="points.earned", data={"points": 10})
    WebhookDelivery.objects.create(subscription=hook, event=event, status=WebhookDelivery.FAILED, attempts=12)
    NotificationSettings.objects.create(program=program, welcome=True)
    NotificationText.objects.create(program=program, kind="welcome", language="en", subject="Hi", text_body="Hi")
    Notification.objects.create(program=program, member=member, kind="welcome", subject="enrolment", key="k1")
    return {"member": member, "segment": segment, "promotion": promotion, "client": client}


def token_response(client_id: str, secret: str, **extra):
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, **extra}
    return Client().post("/oauth/token/", data=data)


# --- every page answers -----------------------------------------------------------------------


def test_our_models_are_registered():
    labels = set(IDS)
    for label in (
        "programs.Program",
        "programs.EventType",
        "programs.ApiClient",
        "members.Member",
        "members.Segment",
        "catalog.GiftCategory",
        "catalog.Gift",
        "rewards.Promotion",
        "rewards.PointsBalance",
    ):
        assert label in labels


@pytest.mark.parametrize("model", REGISTERED, ids=IDS)
def test_changelist_answers(admin_client, catalog, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    if admin.site._registry[model].search_fields:
        assert admin_client.get(admin_url(model, "changelist"), {"q": "M-1"}).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=IDS)
def test_add_page_answers(admin_client, admin_user, rf, model):
    request = rf.get("/")
    request.user = admin_user
    # Read-only admins (balances, django-oauth-toolkit's tokens) refuse the add page.
    expected = 200 if admin.site._registry[model].has_add_permission(request) else 403
    assert admin_client.get(admin_url(model, "add")).status_code == expected


def test_balances_have_no_add_page(admin_client, db):
    assert admin_client.get(admin_url(PointsBalance, "add")).status_code == 403


@pytest.mark.parametrize("model", OURS, ids=[m._meta.label for m in OURS])
def test_change_page_answers(admin_client, catalog, model):
    obj = model._default_manager.order_by("pk").first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


def test_the_dashboard_answers(admin_client, db):
    assert admin_client.get("/admin/").status_code == 200


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(admin_url(Member, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- API clients ------------------------------------------------------------------------------


def test_add_form_asks_program_name_and_scopes(admin_client, db):
    form = admin_client.get(admin_url(ApiClient, "add")).context["adminform"].form
    assert list(form.fields) == ["program", "name", "scopes"]
    assert [value for value, _ in form.fields["scopes"].choices] == [
        "program:read",
        "members:read",
        "members:write",
        "points:read",
        "points:write",
        "redeem",
        "segments:write",
        "catalog:read",
        "webhooks:write",
    ]


def test_creating_an_api_client_shows_the_secret_once(admin_client, program, member):
    response = admin_client.post(
        admin_url(ApiClient, "add"),
        {"program": program.pk, "name": "Webshop", "scopes": ["members:read", "program:read"]},
        follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    secret = SECRET_RE.search(page).group(1)
    client_id = CLIENT_ID_RE.search(page).group(1)
    client = ApiClient.objects.get(name="Webshop")
    assert client.program == program
    assert client.scopes == "program:read members:read"
    assert client.application.client_id == client_id
    assert client.application.client_secret != secret  # stored hashed

    # Never shown again: neither on the next page nor on the client's own page.
    for url in (admin_url(ApiClient, "changelist"), admin_url(ApiClient, "change", client.pk)):
        later = admin_client.get(url).content.decode()
        assert secret not in later
        assert client.application.client_secret not in later
        assert client_id in later

    token = token_response(client_id, secret)
    assert token.status_code == 200, token.content
    assert set(token.json()["scope"].split()) == {"program:read", "members:read"}
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token.json()['access_token']}"}
    assert Client().get("/api/v1/members/M-1", **bearer).status_code == 200


@pytest.mark.parametrize("data", [{"name": "Webshop"}, {"name": "Webshop", "scopes": ["root"]}, {"scopes": ["redeem"]}])
def test_add_form_refuses_incomplete_clients(admin_client, program, data):
    response = admin_client.post(admin_url(ApiClient, "add"), {"program": program.pk, **data})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not ApiClient.objects.exists()


def test_change_form_keeps_the_program_and_edits_scopes(admin_client, program, other_program, catalog):
    client = catalog["client"]

    response = admin_client.post(
        admin_url(ApiClient, "change", client.pk),
        {"program": other_program.pk, "name": "Till 2", "scopes": ["program:read"]},
    )

    assert response.status_code == 302, response.content
    client.refresh_from_db()
    assert client.program == program
    assert client.name == "Till 2"
    assert client.scopes == "program:read"


def test_api_clients_cannot_be_deleted_only_revoked(admin_client, catalog):
    client = catalog["client"]
    assert admin_client.get(admin_url(ApiClient, "delete", client.pk)).status_code == 403


def _action(admin_client, action: str, clients):
    return admin_client.post(
        admin_url(ApiClient, "changelist"),
        {"action": action, "_selected_action": [c.pk for c in clients]},
        follow=True,
    )


def test_revoke_action(admin_client, program):
    client, secret = api_client_create(program=program, name="Till", scopes="program:read")
    token = token_response(client.application.client_id, secret).json()["access_token"]

    response = _action(admin_client, "revoke", [client])

    assert response.status_code == 200
    assert "1 API client(s) revoked." in response.content.decode()
    client.refresh_from_db()
    assert client.active is False
    assert client.revoked_at is not None
    assert Client().get("/api/v1/program", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert token_response(client.application.client_id, secret).status_code == 401


def test_rotate_secret_action_shows_the_new_secret_once(admin_client, program):
    client, old_secret = api_client_create(program=program, name="Till", scopes="program:read")

    response = _action(admin_client, "rotate_secret", [client])

    assert response.status_code == 200
    new_secret = SECRET_RE.search(response.content.decode()).group(1)
    assert new_secret != old_secret
    assert new_secret not in admin_client.get(admin_url(ApiClient, "changelist")).content.decode()
    assert token_response(client.application.client_id, old_secret).status_code == 401
    assert token_response(client.application.client_id, new_secret).status_code == 200


def test_rotate_secret_skips_revoked_clients(admin_client, program):
    client, _secret = api_client_create(program=program, name="Till", scopes="program:read")
    _action(admin_client, "revoke", [client])

    response = _action(admin_client, "rotate_secret", [client])

    assert "was not rotated" in response.content.decode()
    assert not SECRET_RE.search(response.content.decode())


# --- members, segments, promotions, balances ---------------------------------------------------


def test_adding_a_member_enrols_it_with_a_balance(admin_client, program):
    response = admin_client.post(
        admin_url(Member, "add"),
        {"program": program.pk, "member_id": "M-7", "email": "m7@example.com", "language": "", "birth_date": ""},
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    member = Member.objects.get(program=program, member_id="M-7")
    assert member.language == "en"
    assert PointsBalance.objects.filter(member=member, program=program).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [({"member_id": "M-1"}, "__all__"), ({"member_id": "a/b"}, "member_id"), ({"language": "de"}, "language")],
)
def test_member_add_form_validates(admin_client, program, member, data, field):
    before = Member.objects.count()
    post = {"program": program.pk, "member_id": "M-8", "language": "", "birth_date": "", **data}

    response = admin_client.post(admin_url(Member, "add"), post)

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert Member.objects.count() == before


def test_member_change_updates_profile_but_never_the_balance(admin_client, program, other_program, member):
    PointsBalance.objects.filter(member=member).update(available=120)
    response = admin_client.post(
        admin_url(Member, "change", member.pk),
        {
            "program": other_program.pk,
            "member_id": "HACKED",
            "email": "new@example.com",
            "first_name": "Anna",
            "last_name": "Peeters",
            "language": "fr",
            "birth_date": "1980-01-02",
            "status": "blocked",
            "available": "99999",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.member_id, member.program) == ("M-1", program)
    assert (member.email, member.first_name, member.language, member.status) == (
        "new@example.com",
        "Anna",
        "fr",
        "blocked",
    )
    assert member.balance.available == 120


def test_member_change_page_shows_the_balance(admin_client, member):
    PointsBalance.objects.filter(member=member).update(available=120, pending=30)
    page = admin_client.get(admin_url(Member, "change", member.pk))
    form = page.context["adminform"].form
    assert "available" not in form.fields
    assert "150" in page.content.decode()  # total


def test_segment_changelist_counts_members(admin_client, program):
    segment = SegmentFactory(program=program, code="VIP")
    for i in range(3):
        SegmentMembership.objects.create(segment=segment, member=MemberFactory(program=program, member_id=f"M-{i}"))

    response = admin_client.get(admin_url(segment.__class__, "changelist"))

    row = next(r for r in response.context["cl"].result_list if r.pk == segment.pk)
    assert row.member_count == 3
    assert cell(response.content.decode(), "member_count") == "3"


def _promotion_post(promotion, **changes):
    data = {
        "name_en": "1 point per euro",
        "kind": promotion.kind,
        "status": promotion.status,
        "rate": "1",
        "points": "",
        "threshold": "",
        "factor": "",
        "min_amount": "",
        "max_points": "",
        "products": "",
        "product_categories": "",
        "channels": "",
        "segments": [s.pk for s in promotion.segments.all()],
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
    }
    data.update(changes)
    return data


def test_promotion_change_bumps_its_version_and_the_programs_rules(admin_client, program):
    promotion = PromotionFactory(program=program, code="BASE")
    rules_version = Program.objects.get(pk=program.pk).rules_version

    response = admin_client.post(admin_url(Promotion, "change", promotion.pk), _promotion_post(promotion, rate="2"))

    assert response.status_code == 302, response.context["adminform"].form.errors
    promotion.refresh_from_db()
    assert promotion.rate == 2
    assert promotion.version == 2
    assert Program.objects.get(pk=program.pk).rules_version == rules_version + 1


def test_promotion_refuses_another_programs_segment_and_foreign_keys(admin_client, program, other_program):
    promotion = PromotionFactory(program=program, code="BASE")
    foreign = SegmentFactory(program=other_program, code="VIP")

    response = admin_client.post(
        admin_url(Promotion, "change", promotion.pk), _promotion_post(promotion, segments=[foreign.pk], factor="2")
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "segments" in errors
    assert "factor" in errors
    promotion.refresh_from_db()
    assert promotion.version == 1
    assert not promotion.segments.exists()


def test_deleting_a_segment_changes_its_promotions(admin_client, program):
    segment = SegmentFactory(program=program, code="VIP")
    promotion = PromotionFactory(program=program, code="BASE")
    promotion.segments.add(segment)
    rules_version = Program.objects.get(pk=program.pk).rules_version

    response = admin_client.post(admin_url(segment.__class__, "delete", segment.pk), {"post": "yes"})

    assert response.status_code == 302
    promotion.refresh_from_db()
    assert promotion.version == 2
    assert Program.objects.get(pk=program.pk).rules_version == rules_version + 1


def test_balances_are_read_only(admin_client, member):
    balance = PointsBalance.objects.get(member=member)
    page = admin_client.get(admin_url(PointsBalance, "change", balance.pk))
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields  # everything read-only

    response = admin_client.post(admin_url(PointsBalance, "change", balance.pk), {"available": "5000"})

    assert response.status_code == 403
    balance.refresh_from_db()
    assert balance.available == 0
    assert admin_client.get(admin_url(PointsBalance, "delete", balance.pk)).status_code == 403
