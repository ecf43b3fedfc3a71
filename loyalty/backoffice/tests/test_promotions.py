"""The promotions admin: one validated form saved through the services, status actions, duplicate,
the basket preview and the simulation over past earns, all scoped to the manager's programs."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.utils import timezone

from loyalty.backoffice.tests.helpers import admin_url, messages_of, staff_user
from members.models import SegmentMembership
from programs.models import Program
from rewards.engine import Line
from rewards.models import Promotion
from rewards.rules import clear_cache
from rewards.services.earning import Basket, points_earn
from tests.factories import MemberFactory, PromotionFactory, SegmentFactory

pytestmark = pytest.mark.django_db


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
def vip(program):
    return SegmentFactory(program=program, code="VIP")


@pytest.fixture
def theirs(other_program):
    segment = SegmentFactory(program=other_program, code="THEIR-SEG")
    promotion = PromotionFactory(program=other_program, code="THEIR-PROMO")
    promotion.segments.add(segment)
    return promotion


def add_data(program, **overrides) -> dict:
    data = {
        "program": program.pk,
        "code": "NEW",
        "name_en": "New promotion",
        "name_fr": "",
        "name_nl": "",
        "name_it": "",
        "kind": "spend",
        "status": "draft",
        "rate": "1",
        "points": "",
        "threshold": "",
        "factor": "",
        "min_amount": "",
        "max_points": "",
        "products": "",
        "product_categories": "",
        "channels": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def change_data(promotion: Promotion, **overrides) -> dict:
    """The change form's data for the promotion as stored."""

    def text(value) -> str:
        return "" if value is None else str(value)

    data = {
        **{f"name_{lang}": promotion.name.get(lang, "") for lang in promotion.program.languages},
        "kind": promotion.kind,
        "status": promotion.status,
        **{key: text(getattr(promotion, key)) for key in ("rate", "points", "threshold", "factor")},
        "min_amount": text(promotion.min_amount),
        "max_points": text(promotion.max_points),
        "products": "\n".join(promotion.products),
        "product_categories": "\n".join(promotion.product_categories),
        "channels": "\n".join(promotion.channels),
        "segments": [s.pk for s in promotion.segments.all()],
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def form_errors(response) -> dict:
    assert response.status_code == 200, "the form was accepted"
    return {key: [str(e) for e in errors] for key, errors in response.context["adminform"].form.errors.items()}


def rules_version(program) -> int:
    return Program.objects.get(pk=program.pk).rules_version


# ---- pages ------------------------------------------------------------------------------------------------------


def test_every_promotion_page_answers_for_a_manager(web, program, vip):
    promotion = PromotionFactory(program=program, code="BASE", status="draft")
    promotion.segments.add(vip)
    for url in (
        admin_url(Promotion, "changelist"),
        admin_url(Promotion, "add"),
        admin_url(Promotion, "change", promotion.pk),
        admin_url(Promotion, "history", promotion.pk),
        admin_url(Promotion, "preview", promotion.pk),
        admin_url(Promotion, "simulate", promotion.pk),
    ):
        assert web.get(url).status_code == 200, url
    page = web.get(admin_url(Promotion, "change", promotion.pk)).content.decode()
    assert admin_url(Promotion, "preview", promotion.pk) in page
    assert admin_url(Promotion, "simulate", promotion.pk) in page
    # One input per language of the program, instead of a JSON dict.
    assert all(f'name="name_{lang}"' in page for lang in ("en", "fr", "nl", "it"))


def test_list_shows_status_kind_dates_and_segments_and_filters(web, program, vip):
    promotion = PromotionFactory(program=program, code="VIPONLY", kind="quantity", rate=None, points=5)
    promotion.segments.add(vip)
    PromotionFactory(program=program, code="PAUSED1", status="paused")

    page = web.get(admin_url(Promotion, "changelist")).content.decode()
    assert "VIPONLY" in page and "VIP" in page and "Points per item" in page

    for query, present, absent in (
        ({"status": "paused"}, "PAUSED1", "VIPONLY"),
        ({"kind": "quantity"}, "VIPONLY", "PAUSED1"),
        ({"status__exact": "paused"}, "PAUSED1", "VIPONLY"),  # a link bookmarked before the labelled filters
        ({"segments__id__exact": vip.pk}, "VIPONLY", "PAUSED1"),
        ({"q": "viponly"}, "VIPONLY", "PAUSED1"),
    ):
        page = web.get(admin_url(Promotion, "changelist"), query).content.decode()
        assert present in page and absent not in page, query


# ---- create and validate ------------------------------------------------------------------------------------------


def test_create_through_the_form(web, program, vip):
    before = rules_version(program)
    response = web.post(
        admin_url(Promotion, "add"),
        add_data(
            program,
            code="COFFEE",
            name_fr="Café",
            rate="2.5",
            products="COF-250, COF-500\nCOF-1000",
            channels="store",
            segments=[vip.pk],
            max_points="100",
            starts_at_0="2026-01-01",
            starts_at_1="00:00:00",
        ),
    )

    assert response.status_code == 302, form_errors(response)
    promotion = Promotion.objects.get(program=program, code="COFFEE")
    assert promotion.name == {"en": "New promotion", "fr": "Café"}
    assert promotion.products == ["COF-250", "COF-500", "COF-1000"]
    assert promotion.channels == ["store"]
    assert promotion.rate == Decimal("2.5") and promotion.points is None
    assert list(promotion.segments.all()) == [vip]
    assert promotion.version == 1 and promotion.status == "draft"
    assert rules_version(program) == before + 1
    assert LogEntry.objects.filter(object_id=str(promotion.pk), action_flag=ADDITION).exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"rate": ""}, "rate", "required"),
        ({"rate": "0"}, "rate", "positive"),
        ({"points": "5"}, "points", "not a key of a spend promotion"),
        ({"kind": "quantity", "rate": ""}, "points", "required"),
        ({"kind": "quantity", "rate": "", "points": "3", "threshold": "10.00"}, "threshold", "not a key of a quantity"),
        ({"kind": "basket", "rate": "", "points": "50"}, "threshold", "required"),
        ({"kind": "basket", "rate": "", "threshold": "20.00"}, "points", "required"),
        ({"kind": "basket", "rate": "1", "points": "50", "threshold": "20.00"}, "rate", "not a key of a basket"),
        ({"kind": "multiplier", "rate": "", "factor": "1"}, "factor", "> 1"),
        ({"kind": "multiplier", "rate": "", "factor": "0.5"}, "factor", "> 1"),
        ({"kind": "multiplier", "rate": "", "factor": "2", "points": "1"}, "points", "not a key of a multiplier"),
        ({"kind": "multiplier", "rate": ""}, "factor", "required"),
        (
            {"starts_at_0": "2026-02-01", "starts_at_1": "00:00", "ends_at_0": "2026-01-01", "ends_at_1": "00:00"},
            "ends_at",
            "starts_at must be before ends_at",
        ),
        (
            {"starts_at_0": "2026-02-01", "starts_at_1": "00:00", "ends_at_0": "2026-02-01", "ends_at_1": "00:00"},
            "ends_at",
            "before",
        ),
        ({"products": "A\nA"}, "products", "duplicate"),
        ({"code": "has space"}, "code", "code of 1-64"),
        ({"name_en": ""}, "name_en", "default language"),
        ({"max_points": "0"}, "max_points", "positive"),
    ],
)
def test_the_form_validates_like_the_importer(web, program, changes, field, words):
    response = web.post(admin_url(Promotion, "add"), add_data(program, **changes))

    errors = form_errors(response)
    assert field in errors, errors
    assert any(words in message for message in errors[field]), errors[field]
    assert not Promotion.objects.filter(code=changes.get("code", "NEW")).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "quantity", "rate": "", "points": "3"},
        {"kind": "basket", "rate": "", "points": "50", "threshold": "20.00"},
        {"kind": "basket", "rate": "", "points": "50", "threshold": "0"},
        {"kind": "multiplier", "rate": "", "factor": "1.5"},
        {"kind": "spend", "rate": "0.1"},
    ],
)
def test_each_kind_with_its_keys_is_accepted(web, program, changes):
    response = web.post(admin_url(Promotion, "add"), add_data(program, **changes))

    assert response.status_code == 302, form_errors(response)
    assert Promotion.objects.get(program=program, code="NEW").kind == changes["kind"]


def test_codes_are_unique_per_program(web, program, other_program):
    PromotionFactory(program=program, code="BASE")
    PromotionFactory(program=other_program, code="SAME")

    errors = form_errors(web.post(admin_url(Promotion, "add"), add_data(program, code="BASE")))
    assert "already has a promotion BASE" in errors["code"][0]
    # Another program's code does not matter.
    assert web.post(admin_url(Promotion, "add"), add_data(program, code="SAME")).status_code == 302


def test_a_segment_of_another_program_is_refused(web, program, theirs):
    their_segment = theirs.segments.get()
    errors = form_errors(web.post(admin_url(Promotion, "add"), add_data(program, segments=[their_segment.pk])))
    assert "segments" in errors


# ---- versions ---------------------------------------------------------------------------------------------------


def test_saving_unchanged_keeps_the_version(web, program, vip):
    promotion = PromotionFactory(program=program, code="BASE", products=["A", "B"], name={"en": "Base"})
    promotion.segments.add(vip)
    before = rules_version(program)

    # Same values, written differently (commas instead of lines): still no change.
    response = web.post(admin_url(Promotion, "change", promotion.pk), change_data(promotion, products="A, B"))

    assert response.status_code == 302, form_errors(response)
    promotion.refresh_from_db()
    assert promotion.version == 1
    assert rules_version(program) == before
    entry = LogEntry.objects.get(object_id=str(promotion.pk), action_flag=CHANGE)
    assert entry.get_change_message() == "No fields changed."


@pytest.mark.parametrize(
    ("overrides", "logged"),
    [
        ({"rate": "2"}, "rate"),
        ({"products": "A\nB\nC"}, "products"),
        ({"name_fr": "Base FR"}, "name"),
        ({"segments": []}, "segments"),
        ({"status": "paused"}, "status"),
    ],
)
def test_a_change_bumps_the_version_once(web, program, vip, overrides, logged):
    promotion = PromotionFactory(program=program, code="BASE", products=["A", "B"], name={"en": "Base"})
    promotion.segments.add(vip)
    before = rules_version(program)

    response = web.post(admin_url(Promotion, "change", promotion.pk), change_data(promotion, **overrides))

    assert response.status_code == 302, form_errors(response)
    promotion.refresh_from_db()
    assert promotion.version == 2
    assert rules_version(program) == before + 1
    entry = LogEntry.objects.get(object_id=str(promotion.pk), action_flag=CHANGE)
    assert logged in entry.get_change_message().lower()


def test_changing_kind_clears_the_old_kinds_keys(web, program):
    promotion = PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    response = web.post(
        admin_url(Promotion, "change", promotion.pk), change_data(promotion, kind="quantity", rate="", points="4")
    )
    assert response.status_code == 302, form_errors(response)
    promotion.refresh_from_db()
    assert (promotion.kind, promotion.rate, promotion.points, promotion.version) == ("quantity", None, 4, 2)


# ---- actions ----------------------------------------------------------------------------------------------------


def action(web, name: str, *promotions, follow: bool = False):
    return web.post(
        admin_url(Promotion, "changelist"),
        {"action": name, "_selected_action": [p.pk for p in promotions]},
        follow=follow,
    )


def test_go_live_and_pause(web, program):
    draft = PromotionFactory(program=program, code="D", status="draft")
    before = rules_version(program)

    # The action only leads to the confirmation page; its POST puts the promotion live.
    response = action(web, "go_live", draft)
    assert response.status_code == 302 and response["Location"].startswith(admin_url(Promotion, "go_live_many"))
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.version == 1
    assert web.post(admin_url(Promotion, "go_live_many"), {"ids": str(draft.pk)}).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "live" and draft.version == 2
    assert rules_version(program) == before + 1

    action(web, "pause", draft)
    draft.refresh_from_db()
    assert draft.status == "paused" and draft.version == 3

    response = action(web, "pause", draft, follow=True)  # already paused: left alone
    draft.refresh_from_db()
    assert draft.version == 3
    assert any("Left as they were: D" in m for m in messages_of(response))
    history = [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(draft.pk)).order_by("id")]
    assert history == ["Status draft → live (version 2).", "Status live → paused (version 3)."]


def test_duplicate_makes_a_draft_copy(web, program, vip):
    promotion = PromotionFactory(program=program, code="BASE", status="live", products=["A"], max_points=10)
    promotion.segments.add(vip)

    response = action(web, "duplicate", promotion)
    copy = Promotion.objects.get(program=program, code="BASE-COPY")
    assert response.status_code == 302 and response["Location"] == admin_url(Promotion, "change", copy.pk)
    assert (copy.status, copy.version, copy.kind, copy.rate, copy.products, copy.max_points) == (
        "draft",
        1,
        "spend",
        Decimal("1"),
        ["A"],
        10,
    )
    assert list(copy.segments.all()) == [vip]
    assert LogEntry.objects.get(object_id=str(copy.pk)).get_change_message() == "Duplicated from BASE."

    action(web, "duplicate", promotion)
    assert Promotion.objects.filter(program=program, code="BASE-COPY-2").exists()


# ---- preview ----------------------------------------------------------------------------------------------------


def preview_data(lines, member_id="", channel="", occurred_at="2026-03-10 12:00:00") -> dict:
    data = {
        "member_id": member_id,
        "channel": channel,
        "occurred_at": occurred_at,
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
    }
    for index in range(5):
        sku, category, quantity, amount = lines[index] if index < len(lines) else ("", "", "", "")
        data.update(
            {
                f"lines-{index}-sku": sku,
                f"lines-{index}-product_category": category,
                f"lines-{index}-quantity": quantity,
                f"lines-{index}-amount": amount,
            }
        )
    return data


def test_preview_shows_the_draft_with_the_live_promotions(web, program, vip):
    draft = PromotionFactory(program=program, code="DRAFT", status="draft", rate="1")
    PromotionFactory(program=program, code="COFFEE", kind="quantity", rate=None, points=5, products=["COF"])
    vip_only = PromotionFactory(program=program, code="VIPX", kind="basket", rate=None, points=100, threshold="0")
    vip_only.segments.add(vip)
    PromotionFactory(program=program, code="WEB", rate="3", channels=["web"])
    PromotionFactory(program=program, code="PAUSEDX", status="paused")

    response = web.post(
        admin_url(Promotion, "preview", draft.pk),
        preview_data([("MUG", "home", "1", "12.50"), ("COF", "coffee", "2", "0.40")], channel="store"),
    )

    assert response.status_code == 200
    result = response.context["result"]
    assert result is not None, response.context["form"].errors
    # DRAFT: floor(12.90 x 1) = 12; COFFEE: 2 units x 5 = 10.
    assert {p["code"]: p["points"] for p in result["applied"]} == {"COFFEE": 10, "DRAFT": 12}
    assert result["points"] == 22 and result["this_points"] == 12
    assert [(row["line"].sku, row["points"], row["promotions"]) for row in result["lines"]] == [
        ("MUG", 12, "DRAFT"),
        ("COF", 10, "COFFEE, DRAFT"),
    ]
    reasons = {n["code"]: n["reason"] for n in result["not_applied"]}
    assert reasons == {"VIPX": "segment", "WEB": "channel"}  # a paused promotion is not in the live set
    page = response.content.decode()
    assert 'id="preview-total">22<' in page and "the member is in none of its segments" in page


def test_preview_for_a_member_of_the_segment(web, program, vip):
    member = MemberFactory(program=program, member_id="M-VIP")
    SegmentMembership.objects.create(segment=vip, member=member)
    promotion = PromotionFactory(program=program, code="VIPX", status="paused", kind="basket", rate=None, points=100)
    promotion.threshold = Decimal("20.00")
    promotion.save()
    promotion.segments.add(vip)

    response = web.post(
        admin_url(Promotion, "preview", promotion.pk), preview_data([("MUG", "", "1", "12.50")], member_id="M-VIP")
    )
    assert [(n["code"], n["reason"]) for n in response.context["result"]["not_applied"]] == [("VIPX", "min_amount")]

    response = web.post(
        admin_url(Promotion, "preview", promotion.pk), preview_data([("MUG", "", "2", "25.00")], member_id="M-VIP")
    )
    assert response.context["result"]["this_points"] == 100

    response = web.post(admin_url(Promotion, "preview", promotion.pk), preview_data([("MUG", "", "2", "25.00")]))
    assert response.context["result"]["not_applied"][0]["reason"] == "segment"  # a guest


def test_preview_dates_and_bad_input(web, program):
    promotion = PromotionFactory(program=program, code="LATER", status="draft")
    promotion.starts_at = datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)
    promotion.save()

    response = web.post(admin_url(Promotion, "preview", promotion.pk), preview_data([("MUG", "", "1", "10.00")]))
    assert response.context["result"]["not_applied"] == [
        {"code": "LATER", "reason": "dates", "why": "the basket's moment is outside its dates", "this": True}
    ]

    response = web.post(
        admin_url(Promotion, "preview", promotion.pk), preview_data([("MUG", "", "1", "1")], member_id="NOBODY")
    )
    assert response.context["result"] is None
    assert "No member NOBODY" in str(response.context["form"].errors)

    response = web.post(admin_url(Promotion, "preview", promotion.pk), preview_data([]))
    assert response.context["result"] is None
    assert "at least one basket line" in str(response.context["form"].errors)

    response = web.post(admin_url(Promotion, "preview", promotion.pk), preview_data([("", "", "1", "10.00")]))
    assert response.context["result"] is None
    assert "Required on a line" in response.content.decode()


# ---- simulation ------------------------------------------------------------------------------------------------


def earn(program, member, reference, lines, *, days_ago=1, channel="store"):
    basket = Basket(
        lines=tuple(
            Line(str(i), sku, category, quantity, Decimal(amount))
            for i, (sku, category, quantity, amount) in enumerate(lines, 1)
        ),
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
        channel=channel,
    )
    return points_earn(program=program, member=member, basket=basket, reference=reference)


def test_simulation_replays_the_saved_promotion_over_recent_earns(web, program, vip):
    PromotionFactory(program=program, code="BASE", rate="1")
    ann, bob, cid = (MemberFactory(program=program, member_id=m) for m in ("ANN", "BOB", "CID"))
    SegmentMembership.objects.create(segment=vip, member=ann)
    SegmentMembership.objects.create(segment=vip, member=bob)
    earn(program, ann, "E1", [("COF", "coffee", 2, "9.00"), ("MUG", "home", 1, "12.00")])
    earn(program, ann, "E2", [("COF", "coffee", 1, "4.50")])
    earn(program, bob, "E3", [("COF", "coffee", 3, "13.50")], channel="web")
    earn(program, cid, "E4", [("COF", "coffee", 5, "20.00")])  # not in VIP
    earn(program, bob, "E5", [("COF", "coffee", 4, "18.00")], days_ago=40)  # too old for 30 days
    earn(program, ann, "E6", [("MUG", "home", 1, "12.00")])  # no coffee

    # A paused draft: 5 points per coffee unit, VIP members only.
    trial = PromotionFactory(
        program=program, code="COFFEE-VIP", status="paused", kind="quantity", rate=None, points=5, products=["COF"]
    )
    trial.segments.add(vip)

    response = web.get(admin_url(Promotion, "simulate", trial.pk), {"days": "30"})

    simulation = response.context["simulation"]
    assert (simulation.earns, simulation.rewarded_earns, simulation.points, simulation.members) == (5, 3, 30, 2)
    page = response.content.decode()
    assert 'id="sim-points">30<' in page and 'id="sim-members">2<' in page

    response = web.get(admin_url(Promotion, "simulate", trial.pk), {"days": "60"})
    simulation = response.context["simulation"]
    assert (simulation.earns, simulation.points, simulation.members) == (6, 50, 2)


def test_simulation_of_a_multiplier_uses_the_earns_spend_rules(web, program):
    PromotionFactory(program=program, code="BASE", rate="1")
    member = MemberFactory(program=program, member_id="ANN")
    earn(program, member, "E1", [("COF", "coffee", 2, "9.00"), ("MUG", "home", 1, "12.00")])
    trial = PromotionFactory(
        program=program, code="DOUBLE", status="draft", kind="multiplier", rate=None, factor="2", products=["COF"]
    )

    simulation = web.get(admin_url(Promotion, "simulate", trial.pk), {"days": "30"}).context["simulation"]

    assert (simulation.earns, simulation.points, simulation.members) == (1, 9, 1)


def test_simulation_form_refuses_bad_days(web, program):
    promotion = PromotionFactory(program=program, code="BASE")
    response = web.get(admin_url(Promotion, "simulate", promotion.pk), {"days": "0"})
    assert response.context["simulation"] is None and "days" in response.context["form"].errors
    response = web.get(admin_url(Promotion, "simulate", promotion.pk))
    assert response.context["simulation"] is None and response.context["form"]["days"].value() == 30


def test_simulation_reads_earns_in_chunks(program):
    from loyalty.backoffice.promotion_trial import promotion_simulate

    PromotionFactory(program=program, code="BASE", rate="1")
    member = MemberFactory(program=program, member_id="ANN")
    for n in range(5):
        earn(program, member, f"E{n}", [("COF", "coffee", 1, "10.00")])
    trial = PromotionFactory(program=program, code="TRY", status="draft", rate="0.5")
    trial.refresh_from_db()

    simulation = promotion_simulate(promotion=trial, days=30, chunk_size=2)

    assert (simulation.earns, simulation.points, simulation.members, simulation.average) == (5, 25, 1, 5)


# ---- scoping ----------------------------------------------------------------------------------------------------


def test_another_programs_promotions_are_out_of_reach(web, program, theirs):
    PromotionFactory(program=program, code="MINE")
    page = web.get(admin_url(Promotion, "changelist")).content.decode()
    assert "MINE" in page and "THEIR-PROMO" not in page and "THEIR-SEG" not in page
    assert web.get(admin_url(Promotion, "changelist"), {"q": "THEIR"}).context["cl"].result_count == 0

    for view in ("change", "history", "delete", "preview", "simulate"):
        response = web.get(admin_url(Promotion, view, theirs.pk))
        assert response.status_code == 404, view
    response = web.post(admin_url(Promotion, "change", theirs.pk), change_data(theirs, rate="9"))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.rate == Decimal("1") and theirs.version == 1

    # Actions only reach the manager's rows, whatever ids are posted.
    action(web, "pause", theirs)
    theirs.refresh_from_db()
    assert theirs.status == "live"


def test_choices_and_autocomplete_are_scoped(web, program, other_program, vip, theirs):
    form = web.get(admin_url(Promotion, "add")).context["adminform"].form
    assert list(form.fields["program"].queryset) == [program]
    assert list(form.fields["segments"].queryset) == [vip]

    response = web.get(
        "/admin/autocomplete/",
        {"app_label": "rewards", "model_name": "promotion", "field_name": "segments", "term": ""},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["VIP"]


def test_a_manager_of_two_programs_filters_by_their_programs_only(client, program, other_program, theirs):
    third = Program.objects.create(code="THIRD", name="Third", currency="EUR", languages=["en"])
    SegmentFactory(program=third, code="THIRD-SEG")
    user = staff_user("two", program, other_program)
    client.force_login(user)

    response = client.get(admin_url(Promotion, "changelist"))

    filters = {
        spec.title: [c["display"] for c in spec.choices(response.context["cl"])]
        for spec in response.context["cl"].filter_specs
    }
    assert "Third" not in " ".join(map(str, filters["program"]))
    assert "THIRD-SEG" not in filters["segments"] and "THEIR-SEG" in filters["segments"]


def test_simulation_of_a_promotion_planned_for_later(web, program):
    PromotionFactory(program=program, code="BASE", rate="1")
    member = MemberFactory(program=program, member_id="ANN")
    earn(program, member, "E1", [("COF", "coffee", 2, "9.00")])
    later = PromotionFactory(program=program, code="SUMMER", status="draft", rate="2")
    later.starts_at = timezone.now() + datetime.timedelta(days=100)
    later.save()

    # Its dates leave out the past: the form offers to ignore them.
    assert web.get(admin_url(Promotion, "simulate", later.pk)).context["form"]["ignore_dates"].value() is True
    as_dated = web.get(admin_url(Promotion, "simulate", later.pk), {"days": "30"}).context["simulation"]
    assert (as_dated.earns, as_dated.points) == (1, 0)
    undated = web.get(admin_url(Promotion, "simulate", later.pk), {"days": "30", "ignore_dates": "on"})
    assert (undated.context["simulation"].points, undated.context["simulation"].members) == (18, 1)
    assert "its dates ignored" in undated.content.decode()


def test_dates_are_edited_in_the_programs_time_zone(web, program):
    promotion = PromotionFactory(program=program, code="SUMMER", status="draft")
    promotion.starts_at = datetime.datetime(2026, 6, 20, 22, 0, tzinfo=datetime.UTC)  # midnight in Brussels
    promotion.save()

    response = web.get(admin_url(Promotion, "change", promotion.pk))
    page = response.content.decode()
    assert 'name="starts_at_0" value="2026-06-21"' in page and 'name="starts_at_1" value="00:00:00"' in page
    assert "Times in Europe/Brussels." in page

    data = change_data(promotion, starts_at_0="2026-06-21", starts_at_1="00:00:00")
    data.update({"ends_at_0": "2026-07-01", "ends_at_1": "00:00:00"})
    assert web.post(admin_url(Promotion, "change", promotion.pk), data).status_code == 302
    promotion.refresh_from_db()
    assert promotion.starts_at == datetime.datetime(2026, 6, 20, 22, 0, tzinfo=datetime.UTC)
    assert promotion.ends_at == datetime.datetime(2026, 6, 30, 22, 0, tzinfo=datetime.UTC)
    assert promotion.version == 2  # only ends_at changed


def test_simulate_unsaved_edits_from_the_change_form(web, program, vip):
    PromotionFactory(program=program, code="BASE", rate="1")
    ann, bob = MemberFactory(program=program, member_id="ANN"), MemberFactory(program=program, member_id="BOB")
    SegmentMembership.objects.create(segment=vip, member=ann)
    earn(program, ann, "E1", [("COF", "coffee", 2, "9.00")])
    earn(program, bob, "E2", [("COF", "coffee", 1, "4.50")])
    earn(program, bob, "E3", [("COF", "coffee", 3, "13.50")], days_ago=45)
    promotion = PromotionFactory(
        program=program, code="COFFEE", status="draft", kind="quantity", rate=None, points=5, products=["COF"]
    )
    url = admin_url(Promotion, "simulate", promotion.pk)
    assert url in web.get(admin_url(Promotion, "change", promotion.pk)).content.decode()  # the button's formaction

    saved = web.get(url, {"days": "30"}).context["simulation"]
    assert (saved.points, saved.members) == (15, 2)

    # Edits posted from the change form: 10 points a unit, VIP only. Nothing is saved.
    edits = change_data(promotion, points="10", segments=[vip.pk], _simulate="Simulate these edits")
    response = web.post(url, edits)
    simulation = response.context["simulation"]
    assert (simulation.days, simulation.points, simulation.members) == (30, 20, 1)
    page = response.content.decode()
    assert "your unsaved edits" in page and 'type="hidden" name="points" value="10"' in page
    promotion.refresh_from_db()
    assert (promotion.points, promotion.version, promotion.segments.count()) == (5, 1, 0)
    assert not LogEntry.objects.exists()

    # The edits ride along when the days change.
    response = web.post(url, {**edits, "days": "60"})
    assert (response.context["simulation"].days, response.context["simulation"].points) == (60, 20)
    response = web.post(url, {**change_data(promotion, points="10", segments=[]), "days": "60"})
    assert response.context["simulation"].points == 60

    # Invalid edits are refused like a save would refuse them.
    response = web.post(url, change_data(promotion, rate="2"))
    assert response.context["simulation"] is None
    assert "not a key of a quantity promotion" in response.content.decode()
