"""Per-program staff in the admin: the groups, every page for a program manager, and a manager of program A
finding nothing of program B — in lists, by URL, in choices, filters and autocompletes."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from loyalty.backoffice.groups import (
    CUSTOMER_SERVICE,
    FULFILMENT,
    GROUP_PERMISSIONS,
    PROGRAM_MANAGER,
    staff_groups_sync,
)
from loyalty.backoffice.tests.helpers import admin_url, staff_user
from members.models import Member, Segment, SegmentMembership
from programs.models import ApiClient, EventType, Program
from programs.services import api_client_create
from rewards.models import LedgerEntry, PointsBalance, Promotion
from rewards.services.points import points_adjust
from tests.factories import EventTypeFactory, MemberFactory, PromotionFactory, SegmentFactory

pytestmark = pytest.mark.django_db

# The admins of this part of the back office (the catalog, redemptions and dashboard have their own tests).
MODELS = [Program, EventType, ApiClient, Member, Segment, Promotion, PointsBalance, LedgerEntry]


def populate(program, prefix: str) -> dict:
    """One object of each model in `program`, codes starting with `prefix`."""
    member = MemberFactory(program=program, member_id=f"{prefix}-MEMBER", email=f"{prefix.lower()}@example.com")
    segment = SegmentFactory(program=program, code=f"{prefix}-SEG")
    SegmentMembership.objects.create(segment=segment, member=member)
    promotion = PromotionFactory(program=program, code=f"{prefix}-PROMO")
    promotion.segments.add(segment)
    points_adjust(program=program, member=member, points=10, reference=f"{prefix}-REF", reason="welcome")
    client, _ = api_client_create(program=program, name=f"{prefix}-CLIENT", scopes="program:read")
    return {
        Program: program,
        EventType: EventTypeFactory(program=program, code=f"{prefix}-EVENT"),
        ApiClient: client,
        Member: member,
        Segment: segment,
        Promotion: promotion,
        PointsBalance: PointsBalance.objects.get(member=member),
        LedgerEntry: LedgerEntry.objects.get(member=member),
    }


@pytest.fixture
def mine(program):
    return populate(program, "MINE")


@pytest.fixture
def theirs(other_program):
    return populate(other_program, "THEIRS")


@pytest.fixture
def manager(program):
    return staff_user("manager", program)


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


# ---- groups -----------------------------------------------------------------------------------------------------


def test_groups_exist_after_migrate_and_sync_is_idempotent():
    # Created by the post_migrate handler when the test database was migrated.
    assert set(Group.objects.values_list("name", flat=True)) >= {PROGRAM_MANAGER, CUSTOMER_SERVICE, FULFILMENT}
    before = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}

    counts = staff_groups_sync()
    staff_groups_sync()

    after = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    assert after == before
    assert counts == {name: len(after[name]) for name in GROUP_PERMISSIONS}
    assert Group.objects.filter(name=PROGRAM_MANAGER).count() == 1


def test_sync_restores_the_groups_permissions():
    group = Group.objects.get(name=FULFILMENT)
    group.permissions.clear()
    staff_groups_sync()
    assert set(group.permissions.values_list("codename", flat=True)) == {
        "view_redemption",
        "change_redemption",
        "view_redemptionstatuschange",
        "view_voucher",
        "view_gift",
        "view_giftcategory",
    }


def test_what_each_group_may_do(program):
    manager = staff_user("pm", program)
    service = staff_user("cs", program, group=CUSTOMER_SERVICE)
    fulfilment = staff_user("ff", program, group=FULFILMENT)
    User = get_user_model()
    manager, service, fulfilment = (User.objects.get(pk=u.pk) for u in (manager, service, fulfilment))  # fresh cache

    assert manager.has_perms(["rewards.change_promotion", "members.change_segment", "catalog.add_gift"])
    assert manager.has_perm("rewards.add_ledgerentry") and manager.has_perm("programs.view_apiclient")
    assert not manager.has_perm("programs.add_apiclient") and not manager.has_perm("programs.add_program")
    assert not manager.has_perm("members.delete_member")

    assert service.has_perms(["members.change_member", "rewards.add_ledgerentry", "rewards.view_redemption"])
    assert not service.has_perm("rewards.change_promotion") and not service.has_perm("rewards.change_redemption")

    assert fulfilment.has_perms(["rewards.change_redemption", "catalog.view_gift"])
    assert not fulfilment.has_perm("members.view_member") and not fulfilment.has_perm("rewards.add_ledgerentry")


def test_groups_see_only_their_part_of_the_admin(client, program, mine):
    client.force_login(staff_user("cs", program, group=CUSTOMER_SERVICE))
    assert client.get(admin_url(Member, "changelist")).status_code == 200
    assert client.get(admin_url(Promotion, "changelist")).status_code == 403
    assert client.get(admin_url(Promotion, "preview", mine[Promotion].pk)).status_code == 403

    client.force_login(staff_user("ff", program, group=FULFILMENT))
    assert client.get(admin_url(Member, "changelist")).status_code == 403
    assert client.get(admin_url(LedgerEntry, "changelist")).status_code == 403


# ---- every page answers for a manager ---------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=[m._meta.label for m in MODELS])
def test_every_list_and_change_page_answers_for_a_program_manager(web, mine, theirs, model):
    assert web.get(admin_url(model, "changelist")).status_code == 200
    response = web.get(admin_url(model, "change", mine[model].pk))
    assert response.status_code == 200
    if admin.site._registry[model].search_fields:
        assert web.get(admin_url(model, "changelist"), {"q": "MINE"}).status_code == 200


def test_the_admin_index_lists_the_managers_models(web):
    page = web.get("/admin/").content.decode()
    for model in (Promotion, Member, Segment, EventType, LedgerEntry):
        assert admin_url(model, "changelist") in page


# ---- scoping ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=[m._meta.label for m in MODELS])
def test_a_manager_sees_none_of_another_programs_rows(web, mine, theirs, model):
    response = web.get(admin_url(model, "changelist"))
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert mine[model].pk in shown
    assert theirs[model].pk not in shown
    assert "THEIRS" not in response.content.decode()


@pytest.mark.parametrize("model", MODELS, ids=[m._meta.label for m in MODELS])
@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_another_programs_objects_are_not_found_by_url(web, theirs, model, view):
    response = web.get(admin_url(model, view, theirs[model].pk))
    assert response.status_code == 404  # like an id that does not exist
    assert "THEIRS" not in response.content.decode()


def test_changes_by_url_to_another_programs_objects_do_nothing(web, theirs):
    member, segment = theirs[Member], theirs[Segment]
    web.post(admin_url(Member, "change", member.pk), {"email": "hacked@example.com", "status": "blocked"})
    web.post(admin_url(Segment, "change", segment.pk), {"name_en": "Hacked"})
    web.post(admin_url(Segment, "delete", segment.pk), {"post": "yes"})
    member.refresh_from_db()
    segment.refresh_from_db()
    assert member.email == "theirs@example.com" and member.status == "active"
    assert segment.name == {"en": "Segment THEIRS-SEG"}


# The member and segment pages added with the theme: customer-service actions and a segment's members.
NEW_VIEWS = [
    (Member, "status", {"status": "blocked"}),
    (Member, "login_link", {"how": "show"}),
    (Segment, "member", {"action": "remove", "member_id": "THEIRS-MEMBER"}),
    (Segment, "upload", {"confirm": "1", "token": "x"}),
]


@pytest.mark.parametrize(("model", "view", "data"), NEW_VIEWS, ids=[f"{m.__name__}-{v}" for m, v, _ in NEW_VIEWS])
def test_the_new_member_and_segment_views_find_nothing_of_another_program(web, theirs, model, view, data):
    assert web.post(admin_url(model, view, theirs[model].pk), data).status_code == 404
    if view != "status":
        assert web.get(admin_url(model, view, theirs[model].pk)).status_code in (404, 405)
    member = Member.objects.get(pk=theirs[Member].pk)
    assert member.status == "active" and member.memberships.exists()
    assert not member.login_links.exists()


def test_a_manager_adds_no_member_of_another_program_to_a_segment(web, mine, theirs):
    web.post(admin_url(Segment, "member", mine[Segment].pk), {"action": "add", "member_id": "THEIRS-MEMBER"})
    assert list(mine[Segment].memberships.values_list("member__member_id", flat=True)) == ["MINE-MEMBER"]


def test_the_sidebar_and_index_show_nothing_of_another_program(web, mine, theirs):
    response = web.get("/admin/")
    page = response.content.decode()
    assert "THEIRS" not in page and "Other Rewards" not in page
    links = [item["link"] for group in response.context["sidebar_navigation"] for item in group["items"]]
    for link in links:
        assert "THEIRS" not in web.get(link).content.decode(), link


def test_foreign_key_choices_are_the_managers_programs(web, program, mine, theirs):
    for model in (Member, Segment, EventType, Promotion):
        form = web.get(admin_url(model, "add")).context["adminform"].form
        assert list(form.fields["program"].queryset) == [program], model
    form = web.get(admin_url(Promotion, "change", mine[Promotion].pk)).context["adminform"].form
    assert list(form.fields["segments"].queryset) == [mine[Segment]]


def test_autocompletes_return_the_managers_rows_only(web, mine, theirs):
    response = web.get(
        "/admin/autocomplete/",
        {"app_label": "rewards", "model_name": "promotion", "field_name": "segments", "term": "SEG"},
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(mine[Segment].pk)]


def offered(choice: dict) -> str:
    """The text of a filter choice: Django's link, or every option of unfold's dropdown form."""
    if "display" in choice:
        return str(choice["display"])
    return " ".join(str(label) for field in choice["form"].fields.values() for _, label in field.choices)


def test_list_filters_offer_only_the_managers_programs(client, program, other_program, mine, theirs):
    third = Program.objects.create(code="THIRD", name="Third", currency="EUR", languages=["en"])
    populate(third, "THIRD")
    client.force_login(staff_user("two", program, other_program))

    for model in (Member, Segment, Promotion, LedgerEntry):
        response = client.get(admin_url(model, "changelist"))
        assert response.status_code == 200
        choices = " ".join(
            offered(choice)
            for spec in response.context["cl"].filter_specs
            for choice in spec.choices(response.context["cl"])
        )
        assert "THIRD" not in choices and "Third" not in choices, model
        assert "Other Rewards" in choices and "Demo Rewards" in choices, model  # both of theirs


def test_a_one_program_manager_gets_no_program_filter(web, mine):
    response = web.get(admin_url(Promotion, "changelist"))
    assert "program" not in [spec.title for spec in response.context["cl"].filter_specs]


def test_a_staff_user_without_programs_sees_nothing(client, mine):
    client.force_login(staff_user("nobody"))
    for model in MODELS:
        response = client.get(admin_url(model, "changelist"))
        assert response.context["cl"].result_count == 0, model


def test_a_superuser_sees_every_program(admin_client, mine, theirs):
    for model in MODELS:
        response = admin_client.get(admin_url(model, "changelist"))
        shown = {obj.pk for obj in response.context["cl"].result_list}
        assert {mine[model].pk, theirs[model].pk} <= shown, model


# ---- programs ---------------------------------------------------------------------------------------------------


def test_a_manager_cannot_add_programs_nor_change_their_staff(web, program):
    assert web.get(admin_url(Program, "add")).status_code == 403
    form = web.get(admin_url(Program, "change", program.pk)).context["adminform"].form
    assert "staff" not in form.fields and "code" not in form.fields
    assert web.get(admin_url(Program, "delete", program.pk)).status_code == 403


def test_a_superuser_attaches_staff_to_a_program(admin_client, program, other_program):
    user = get_user_model().objects.create_user("newcomer", password="pw", is_staff=True)
    page = admin_client.get(admin_url(Program, "change", other_program.pk))
    form = page.context["adminform"].form
    assert "staff" in form.fields and user in form.fields["staff"].queryset

    data = {
        "code": "OTHER",
        "name": "Other Rewards",
        "currency": "EUR",
        "timezone": "Europe/Brussels",
        "languages": '["en", "fr", "nl", "it"]',
        "default_language": "en",
        "expiry_months": "",
        "pending_days": "0",
        "tier_window_months": "12",
        "staff": [user.pk],
        "tiers-TOTAL_FORMS": "0",
        "tiers-INITIAL_FORMS": "0",
    }
    response = admin_client.post(admin_url(Program, "change", other_program.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(other_program.staff.all()) == [user]
    assert list(Program.objects.filter(staff=user)) == [other_program]


def test_a_manager_edits_an_event_type_with_one_name_per_language(web, program):
    event_type = EventTypeFactory(program=program, code="SURVEY", name={"en": "Survey"})
    data = {
        "name_en": "Survey",
        "name_fr": "Enquête",
        "name_nl": "",
        "name_it": "",
        "active": "on",
        "points": "50",
        "per_day_limit": "1",
        "lifetime_limit": "",
    }
    assert web.post(admin_url(EventType, "change", event_type.pk), data).status_code == 302
    event_type.refresh_from_db()
    assert event_type.name == {"en": "Survey", "fr": "Enquête"}

    response = web.post(admin_url(EventType, "change", event_type.pk), {**data, "points": "0", "per_day_limit": "0"})
    errors = response.context["adminform"].form.errors
    assert "points" in errors and "per_day_limit" in errors


def test_a_manager_views_api_clients_but_cannot_mint_or_rotate_secrets(web, mine):
    client = mine[ApiClient]
    assert web.get(admin_url(ApiClient, "add")).status_code == 403
    response = web.get(admin_url(ApiClient, "changelist"))
    assert "rotate_secret" not in response.content.decode()
    web.post(admin_url(ApiClient, "changelist"), {"action": "rotate_secret", "_selected_action": [client.pk]})
    web.post(admin_url(ApiClient, "changelist"), {"action": "revoke", "_selected_action": [client.pk]})
    client.refresh_from_db()
    assert client.active


# ---- audit ------------------------------------------------------------------------------------------------------


def test_history_shows_who_changed_what_and_when(web, admin_client, mine):
    from django.contrib.admin.models import LogEntry

    from loyalty.backoffice.tests.test_promotions import change_data

    promotion, member = mine[Promotion], mine[Member]
    web.post(admin_url(Promotion, "change", promotion.pk), change_data(promotion, rate="3", max_points="50"))
    web.post(admin_url(Promotion, "changelist"), {"action": "pause", "_selected_action": [promotion.pk]})
    web.post(admin_url(Member, "changelist"), {"action": "block", "_selected_action": [member.pk]})

    page = web.get(admin_url(Promotion, "history", promotion.pk)).content.decode()
    assert "manager" in page and "Changed Rate and Max points." in page and "Status live → paused" in page
    assert "Status → blocked." in web.get(admin_url(Member, "history", member.pk)).content.decode()

    # The whole log, for superusers only.
    response = admin_client.get(admin_url(LogEntry, "changelist"))
    assert response.status_code == 200 and response.context["cl"].result_count == 3
    assert web.get(admin_url(LogEntry, "changelist")).status_code == 403


def test_a_one_program_manager_finds_the_program_chosen_on_add_pages(client, program, other_program):
    import re

    from catalog.models import Gift
    from loyalty.backoffice.tests.helpers import admin_url, staff_user
    from members.models import Segment
    from rewards.models import Promotion

    def chosen(url: str) -> list[str]:
        html = client.get(url).content.decode()
        select = re.search(r'<select name="program".*?</select>', html, re.S)
        assert select, url
        return re.findall(r'<option value="(\d+)"[^>]*selected', select.group(0))

    client.force_login(staff_user("one", program))
    for model in (Promotion, Gift, Segment):
        assert chosen(admin_url(model, "add")) == [str(program.pk)], model
    client.force_login(staff_user("two", program, other_program))
    assert chosen(admin_url(Promotion, "add")) == []  # two programs: the manager picks one
