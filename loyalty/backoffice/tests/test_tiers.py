"""Tiers in the admin: edited with their program (a name per language, `tiers_changed` in the page's
transaction), the tier window on the program form, a tier picker on the promotion form, and the member's tier
shown read-only on the member page."""

import datetime

import pytest
from django.contrib.auth.models import Permission

from loyalty.backoffice.tests.helpers import admin_url, staff_user
from members.models import Member
from programs.models import Program, Tier
from programs.services import tier_save
from rewards.models import PointsBalance, Promotion
from rewards.rules import clear_cache
from rewards.services.points import points_adjust
from rewards.services.promotions import promotion_create
from tests.factories import MemberFactory, PromotionFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "fr", "nl", "it")


@pytest.fixture(autouse=True)
def _fresh_rules():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def manager(program):
    return staff_user("manager", program)


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def silver(program):
    return tier_save(program=program, code="SILVER", name={"en": "Silver", "fr": "Argent"}, threshold=1000)


@pytest.fixture
def gold(program):
    return tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=5000)


def rules_version(program) -> int:
    return Program.objects.get(pk=program.pk).rules_version


def positions(program) -> list[tuple[str, int, int]]:
    return list(Tier.objects.filter(program=program).order_by("position").values_list("code", "threshold", "position"))


def tier_row(tier: Tier | None = None, **values) -> dict:
    """One row of the tiers inline: a stored tier's values, or a new one's."""
    row = {"id": "", "code": "", "threshold": "", **{f"name_{lang}": "" for lang in LANGUAGES}}
    if tier is not None:
        row |= {"id": str(tier.pk), "code": tier.code, "threshold": str(tier.threshold)}
        row |= {f"name_{lang}": text for lang, text in tier.name.items()}
    return row | values


def program_data(program, rows: list[dict] = (), **overrides) -> dict:
    """The program change form as a manager posts it (no code, no staff), with the tiers inline's rows."""
    data = {
        "name": program.name,
        "currency": program.currency,
        "timezone": program.timezone,
        "languages": '["en", "fr", "nl", "it"]',
        "default_language": program.default_language,
        "expiry_months": "" if program.expiry_months is None else str(program.expiry_months),
        "pending_days": str(program.pending_days),
        "tier_window_months": str(program.tier_window_months),
        "tiers-TOTAL_FORMS": str(len(rows)),
        "tiers-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
    }
    for index, row in enumerate(rows):
        data |= {f"tiers-{index}-{key}": value for key, value in row.items()}
        data[f"tiers-{index}-program"] = str(program.pk)
    data.update(overrides)
    return data


def errors_of(response) -> dict:
    assert response.status_code == 200, "the form was accepted"
    formset = response.context["inline_admin_formsets"][0].formset
    return {
        "form": dict(response.context["adminform"].form.errors),
        "rows": [dict(form.errors) for form in formset.forms],
        "tiers": list(formset.non_form_errors()),
    }


# ---- the program page ------------------------------------------------------------------------------------------


def test_the_program_page_shows_tiers_with_a_name_input_per_language(web, program, silver, gold):
    response = web.get(admin_url(Program, "change", program.pk))

    assert response.status_code == 200
    assert "tier_window_months" in response.context["adminform"].form.fields
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.model is Tier
    assert [form.instance.code for form in formset.initial_forms] == ["SILVER", "GOLD"]  # lowest first
    assert {f"name_{lang}" for lang in LANGUAGES} <= set(formset.forms[0].fields)
    assert formset.forms[0].initial["name_fr"] == "Argent"
    page = response.content.decode()
    assert 'name="tiers-0-name_fr"' in page and 'value="Argent"' in page
    # Form fields of the project's own, styled like the model's (they were bare inputs, hard to see as fields).
    assert "border" in response.context["adminform"].form["tier_window_months"].as_widget()
    assert "border" in formset.forms[0]["threshold"].as_widget()


def test_a_manager_adds_tiers_with_the_program_and_the_positions_and_rules_follow(web, program):
    before = rules_version(program)
    rows = [
        tier_row(code="GOLD", threshold="5000", name_en="Gold", name_fr="Or"),
        tier_row(code="SILVER", threshold="1000", name_en="Silver"),
    ]

    response = web.post(admin_url(Program, "change", program.pk), program_data(program, rows, tier_window_months="6"))

    assert response.status_code == 302, errors_of(response)
    assert positions(program) == [("SILVER", 1000, 1), ("GOLD", 5000, 2)]
    assert Tier.objects.get(program=program, code="GOLD").name == {"en": "Gold", "fr": "Or"}
    program.refresh_from_db()
    assert program.tier_window_months == 6
    assert program.rules_version == before + 1  # tiers_changed, once, in the page's transaction


def test_a_new_threshold_renumbers_the_tiers(web, program, silver, gold):
    before = rules_version(program)
    rows = [tier_row(silver, threshold="8000"), tier_row(gold)]

    response = web.post(admin_url(Program, "change", program.pk), program_data(program, rows))

    assert response.status_code == 302, errors_of(response)
    assert positions(program) == [("GOLD", 5000, 1), ("SILVER", 8000, 2)]
    assert rules_version(program) == before + 1


def test_the_tier_window_alone_reloads_the_rules_and_an_unchanged_page_does_not(web, program, silver):
    before = rules_version(program)

    response = web.post(admin_url(Program, "change", program.pk), program_data(program, [tier_row(silver)]))
    assert response.status_code == 302, errors_of(response)
    assert rules_version(program) == before

    data = program_data(program, [tier_row(silver)], tier_window_months="24")
    response = web.post(admin_url(Program, "change", program.pk), data)
    assert response.status_code == 302, errors_of(response)
    assert rules_version(program) == before + 1
    assert Program.objects.get(pk=program.pk).tier_window_months == 24


@pytest.mark.parametrize("months", ["0", "121", "x"])
def test_the_tier_window_is_checked(web, program, months):
    response = web.post(admin_url(Program, "change", program.pk), program_data(program, tier_window_months=months))

    assert "tier_window_months" in errors_of(response)["form"]


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ({"code": "PLATINUM", "threshold": "-1", "name_en": "Platinum"}, "threshold", "greater than or equal to 0"),
        ({"code": "PLATINUM", "threshold": "", "name_en": "Platinum"}, "threshold", "required"),
        ({"code": "PLATINUM", "threshold": "9000", "name_fr": "Platine"}, "name_en", "default language"),
        ({"code": "HAS SPACE", "threshold": "9000", "name_en": "Platinum"}, "code", "must be a code"),
        ({"code": "GOLD", "threshold": "9000", "name_en": "Platinum"}, "code", "already has"),
        ({"code": "PLATINUM", "threshold": "5000", "name_en": "Platinum"}, "__all__", "duplicate"),
    ],
)
def test_a_tier_row_is_checked_like_the_program_file(web, program, gold, row, field, words):
    before = positions(program)
    rows = [tier_row(gold), tier_row(**row)]

    response = web.post(admin_url(Program, "change", program.pk), program_data(program, rows))

    errors = errors_of(response)["rows"][1]
    assert field in errors and words in " ".join(errors[field]), errors
    assert positions(program) == before


def test_two_new_tiers_with_one_threshold_are_refused(web, program):
    rows = [
        tier_row(code="A", threshold="100", name_en="A"),
        tier_row(code="B", threshold="100", name_en="B"),
    ]

    response = web.post(admin_url(Program, "change", program.pk), program_data(program, rows))

    assert response.status_code == 200
    assert not Tier.objects.filter(program=program).exists()


def test_an_unused_tier_is_deleted_and_a_used_one_is_kept(web, program, silver, gold):
    promotion_create(program=program, code="GOLD-ONLY", values={"kind": "spend", "rate": 2}, tiers=[gold])
    before = rules_version(program)
    rows = [tier_row(silver, DELETE="on"), tier_row(gold, DELETE="on")]

    response = web.post(admin_url(Program, "change", program.pk), program_data(program, rows))

    assert errors_of(response)["tiers"] == ["Tier GOLD cannot be deleted: promotions GOLD-ONLY use it."]
    assert positions(program) == [("SILVER", 1000, 1), ("GOLD", 5000, 2)]

    rows = [tier_row(silver, DELETE="on"), tier_row(gold)]
    response = web.post(admin_url(Program, "change", program.pk), program_data(program, rows))

    assert response.status_code == 302, errors_of(response)
    assert positions(program) == [("GOLD", 5000, 1)]
    assert rules_version(program) == before + 1


def test_a_tier_members_are_in_cannot_be_deleted(web, program, silver):
    member = MemberFactory(program=program)
    points_adjust(program=program, member=member, points=10, reference="W-1", reason="welcome")
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    PointsBalance.objects.filter(member=member).update(tier=silver, tier_since=now, tier_until=now)

    rows = [tier_row(silver, DELETE="on")]
    response = web.post(admin_url(Program, "change", program.pk), program_data(program, rows))

    errors = errors_of(response)["tiers"]
    assert len(errors) == 1 and "Deleting tier SILVER would require deleting" in errors[0]
    assert Tier.objects.filter(pk=silver.pk).exists()


def test_a_read_only_user_sees_tier_names_in_every_language(client, program, silver):
    user = staff_user("reader", program)
    user.groups.clear()
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_program", "view_tier"]))
    client.force_login(user)

    response = client.get(admin_url(Program, "change", program.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert "English: Silver · Français: Argent" in page


# ---- the promotion form ------------------------------------------------------------------------------------------


def promotion_data(program, **overrides) -> dict:
    data = {
        "program": program.pk,
        "code": "NEW",
        **{f"name_{lang}": "" for lang in LANGUAGES},
        "name_en": "New promotion",
        "kind": "spend",
        "status": "draft",
        "rate": "1",
        **{key: "" for key in ("points", "threshold", "factor", "min_amount", "max_points")},
        **{key: "" for key in ("products", "product_categories", "channels")},
        **{key: "" for key in ("starts_at_0", "starts_at_1", "ends_at_0", "ends_at_1")},
    }
    return data | overrides


def test_the_promotion_form_picks_among_the_programs_tiers(web, program, other_program, silver, gold):
    theirs = tier_save(program=other_program, code="BRONZE", name={"en": "Bronze"}, threshold=10)
    promotion = PromotionFactory(program=program, code="BASE")

    field = web.get(admin_url(Promotion, "change", promotion.pk)).context["adminform"].form.fields["tiers"]
    assert list(field.queryset) == [silver, gold]
    assert [label for _, label in field.choices] == [
        "SILVER — Silver (from 1000 points)",
        "GOLD — Gold (from 5000 points)",
    ]
    field = web.get(admin_url(Promotion, "add")).context["adminform"].form.fields["tiers"]
    assert theirs not in field.queryset  # the manager's programs only


def test_a_promotion_is_created_and_changed_with_its_tiers(web, program, silver, gold):
    before = rules_version(program)

    response = web.post(admin_url(Promotion, "add"), promotion_data(program, tiers=[gold.pk]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    promotion = Promotion.objects.get(program=program, code="NEW")
    assert list(promotion.tiers.all()) == [gold] and promotion.version == 1
    assert rules_version(program) == before + 1

    data = promotion_data(program, tiers=[silver.pk, gold.pk])
    del data["program"], data["code"]
    response = web.post(admin_url(Promotion, "change", promotion.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    promotion.refresh_from_db()
    assert sorted(promotion.tiers.values_list("code", flat=True)) == ["GOLD", "SILVER"]
    assert promotion.version == 2

    response = web.post(admin_url(Promotion, "change", promotion.pk), data)  # unchanged: same version
    assert response.status_code == 302
    promotion.refresh_from_db()
    assert promotion.version == 2


def test_another_programs_tier_is_refused(admin_client, program, other_program):
    theirs = tier_save(program=other_program, code="BRONZE", name={"en": "Bronze"}, threshold=10)

    response = admin_client.post(admin_url(Promotion, "add"), promotion_data(program, tiers=[theirs.pk]))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["tiers"] == ["Not tiers of DEMO: BRONZE."]
    assert not Promotion.objects.filter(code="NEW").exists()


# ---- the member page ----------------------------------------------------------------------------------------------


def test_the_member_page_shows_the_tier_read_only(web, program, silver):
    member = MemberFactory(program=program, member_id="ANN-1")
    points_adjust(program=program, member=member, points=10, reference="W-1", reason="welcome")
    since = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)
    until = datetime.datetime(2027, 3, 1, 9, 30, tzinfo=datetime.UTC)
    PointsBalance.objects.filter(member=member).update(
        tier=silver, tier_since=since, tier_until=until, qualifying_points=1200
    )

    response = web.get(admin_url(Member, "change", member.pk))

    page = response.content.decode()
    assert "tier_state" not in response.context["adminform"].form.fields
    assert '<table id="member-tier">' in page
    assert "<th>name</th><td>Silver (SILVER)</td>" in page
    assert "<th>since</th><td>2026-03-01 10:30</td>" in page  # in the program's time zone
    assert "<th>until</th><td>2027-03-01 10:30</td>" in page
    assert "<th>qualifying points</th><td>1200</td>" in page


def test_a_member_without_a_tier(web, program, silver):
    member = MemberFactory(program=program, member_id="BOB-2")

    page = web.get(admin_url(Member, "change", member.pk)).content.decode()
    assert "<th>name</th><td>No tier</td>" in page and "<th>qualifying points</th><td>0</td>" in page

    tier_save(program=program, code="BASE", name={"en": "Member"}, threshold=0)
    page = web.get(admin_url(Member, "change", member.pk)).content.decode()
    assert "<th>name</th><td>Member (BASE)</td>" in page
