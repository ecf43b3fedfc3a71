"""The promotion form's tools: fields by kind, the code pickers' suggestions and unseen-value warnings, going live
through a confirmation page, and the calendar of the next 12 weeks."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from loyalty.backoffice.promotion_calendar import WEEKS
from loyalty.backoffice.tests.helpers import admin_url, messages_of, staff_user
from loyalty.backoffice.tests.test_promotions import add_data, form_errors
from members.models import SegmentMembership
from programs.models import Program
from programs.services import tier_save
from rewards.engine import Line
from rewards.models import PointsBalance, Promotion
from rewards.services.earning import Basket, points_earn
from tests.factories import GiftFactory, MemberFactory, PromotionFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, program):
    client.force_login(staff_user("manager", program))
    return client


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


def suggest(web, program, field, **params):
    return web.get(admin_url(Promotion, "suggest"), {"program": program.pk, "field": field, **params})


# ---- fields by kind ---------------------------------------------------------------------------------------------


def test_each_rule_field_says_which_kinds_use_it(web):
    page = web.get(admin_url(Promotion, "add")).content.decode()
    inputs = {
        re.search(r'name="(\w+)"', tag).group(1): tag for tag in re.findall(r"<input[^>]*>", page) if "name=" in tag
    }
    kinds = {
        name: re.search(r'data-promotion-kinds="([^"]*)"', inputs[name]).group(1)
        for name in inputs
        if "data-promotion-kinds" in inputs[name]
    }
    assert kinds == {"rate": "spend", "points": "quantity basket", "threshold": "basket", "factor": "multiplier"}
    assert "backoffice/promotion_form.js" in page and "backoffice/code_picker.js" in page


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"kind": "quantity", "rate": ""}, "points", "required"),
        ({"kind": "basket", "rate": "", "points": "5"}, "threshold", "required"),
        ({"kind": "multiplier", "rate": "", "factor": "1"}, "factor", "> 1"),
        ({"kind": "spend", "rate": "-1"}, "rate", "positive"),
    ],
)
def test_a_kinds_error_is_next_to_its_field(web, program, changes, field, words):
    response = web.post(admin_url(Promotion, "add"), add_data(program, **changes))
    errors = form_errors(response)
    assert list(errors) == [field] and words in errors[field][0]
    # Rendered inside that field's row, not only at the top of the form.
    page = response.content.decode()
    rows = re.split(r'(?=<div class="[^"]*\bfield-line\b)', page)
    row = next(r for r in rows if re.match(rf'<div class="[^"]*\bfield-{field}\b', r))
    assert words in html.unescape(row.split("</fieldset>")[0])


def test_a_hidden_kinds_field_left_out_is_not_an_error(web, program):
    """The form's script disables the other kinds' fields: they are not sent, and the kind's own are enough."""
    data = add_data(program, kind="basket", points="50", threshold="20.00")
    del data["rate"], data["factor"]
    response = web.post(admin_url(Promotion, "add"), data)
    assert response.status_code == 302, form_errors(response)
    promotion = Promotion.objects.get(code="NEW")
    assert (promotion.kind, promotion.rate, promotion.points, promotion.threshold) == (
        "basket",
        None,
        50,
        Decimal("20.00"),
    )


# ---- pickers ----------------------------------------------------------------------------------------------------


@pytest.fixture
def history(program):
    ann = MemberFactory(program=program, member_id="ANN")
    earn(program, ann, "E1", [("COF-250", "coffee", 2, "9.00"), ("CRO", "bakery", 1, "2.00")])
    earn(program, ann, "E2", [("COF-500", "coffee", 1, "8.00")], channel="web")
    earn(program, ann, "E3", [("BAG", "bakery", 1, "3.00")])
    earn(program, ann, "OLD", [("OLDSKU", "antiques", 1, "3.00")], days_ago=100)
    return ann


def test_suggestions_come_from_recent_earns_the_catalog_and_other_promotions(web, program, history):
    # An earn posted long ago, created_at included: outside the 90 days.
    from rewards.models import Earn

    Earn.objects.filter(reference="OLD").update(created_at=timezone.now() - datetime.timedelta(days=100))
    GiftFactory(program=program, sku="MUG-COFFEE", category__code="coffee-gifts")
    PromotionFactory(program=program, code="P", products=["COF-TYPED"], product_categories=["Bakery"])

    data = suggest(web, program, "products", q="cof").json()
    values = [(r["value"], r["sources"], r["count"]) for r in data["results"]]
    assert values == [
        ("COF-250", ["earns"], 1),
        ("COF-500", ["earns"], 1),
        ("COF-TYPED", ["promotions"], 0),
        ("MUG-COFFEE", ["catalog"], 0),
    ]
    categories = [r["value"] for r in suggest(web, program, "product_categories").json()["results"]]
    assert categories[:2] == ["bakery", "coffee"]  # two lines each, seen first
    assert "antiques" not in categories and "coffee-gifts" in categories and "Bakery" in categories
    channels = suggest(web, program, "channels").json()["results"]
    assert [(r["value"], r["count"]) for r in channels] == [("store", 2), ("web", 1)]


def test_a_value_never_seen_is_flagged_with_what_the_tills_send(web, program, history):
    data = suggest(web, program, "product_categories", check="Bakery\ncoffee,cakes").json()
    assert data["unseen"] == [{"value": "Bakery", "similar": "bakery"}, {"value": "cakes", "similar": None}]
    assert any("'bakery'" in w and w.startswith("Bakery:") for w in data["warnings"])


def test_the_form_warns_next_to_the_field_and_still_saves(web, program, history):
    response = web.post(
        admin_url(Promotion, "add"), add_data(program, product_categories="Bakery\ncoffee"), follow=True
    )
    assert Promotion.objects.get(code="NEW").product_categories == ["Bakery", "coffee"]
    assert any("Bakery" in m and "'bakery'" in m for m in messages_of(response))
    page = web.get(admin_url(Promotion, "change", Promotion.objects.get(code="NEW").pk)).content.decode()
    warnings = page[page.index('id="id_product_categories_warnings"') :]
    warnings = warnings[: warnings.index("</div>")]
    assert "Bakery" in warnings and "the tills send &#x27;bakery&#x27;" in warnings and "coffee" not in warnings


def test_the_picker_is_labelled_and_knows_the_program(web, program):
    page = web.get(admin_url(Promotion, "add")).content.decode()
    for name, label in (("products", "Search SKUs"), ("product_categories", "Search product categories")):
        assert f'<label class="block font-semibold mb-1 text-sm" for="id_{name}_search">{label}</label>' in page
        assert f'role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="id_{name}_listbox"' in (
            page
        )
    assert f'data-program="{program.pk}"' in page  # the manager's only program


def test_bad_suggestion_requests_are_4xx(web, program):
    assert suggest(web, program, "nonsense").status_code == 400
    assert web.get(admin_url(Promotion, "suggest"), {"field": "products"}).status_code == 400
    assert web.get(admin_url(Promotion, "suggest"), {"field": "products", "program": "x"}).status_code == 400
    assert suggest(web, program, "products", q="x" * 5000).status_code == 200


# ---- go live ----------------------------------------------------------------------------------------------------


@pytest.fixture
def segmented(program, history):
    vip = SegmentFactory(program=program, code="VIP")
    SegmentMembership.objects.create(segment=vip, member=history)
    bob = MemberFactory(program=program, member_id="BOB")
    SegmentMembership.objects.create(segment=vip, member=bob)
    MemberFactory(program=program, member_id="CID")  # not in VIP
    promotion = PromotionFactory(
        program=program, code="BAKERY2", status="draft", rate="2", product_categories=["bakery"]
    )
    promotion.segments.add(vip)
    return promotion


def test_the_confirmation_page_shows_a_typical_basket_and_the_reach_and_changes_nothing(web, program, segmented):
    before = (segmented.version, Program.objects.get(pk=program.pk).rules_version)
    response = web.get(admin_url(Promotion, "go_live", segmented.pk))

    assert response.status_code == 200
    page = response.content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    # VIP has ANN and BOB of 3 active members.
    assert "2 of the program's 3 active members" in text and "segment VIP: 2 active members" in text
    # The median, by amount, of the earns with a bakery line: E1 (11.00) and E3 (3.00) -> E3; for ANN (in VIP).
    assert "earn E3" in text and "member ANN" in text
    this = re.search(r'class="go-live-this">(\d+)<', page).group(1)
    assert this == "6"  # 3.00 of bread at 2 points per 1.00
    # Said beside the lines, as on the preview: a line's points may differ from the total, rounded once per promotion.
    assert "A line's points are informative: the total is rounded once per promotion." in html.unescape(text)
    segmented.refresh_from_db()
    assert (segmented.status, segmented.version, Program.objects.get(pk=program.pk).rules_version) == (
        "draft",
        *before,
    )
    assert not LogEntry.objects.filter(object_id=str(segmented.pk)).exists()


def test_confirming_puts_it_live_through_the_service(web, program, segmented):
    response = web.post(admin_url(Promotion, "go_live", segmented.pk), {"confirm": "1"}, follow=True)
    segmented.refresh_from_db()
    assert (segmented.status, segmented.version) == ("live", 2)
    assert any("Live: BAKERY2" in m for m in messages_of(response))
    assert LogEntry.objects.get(object_id=str(segmented.pk)).get_change_message() == "Status draft → live (version 2)."


def test_cancel_leads_back_without_change(web, segmented):
    page = web.get(admin_url(Promotion, "go_live", segmented.pk)).content.decode()
    cancel = re.search(r'href="([^"]+)" id="go-live-cancel"', page).group(1)
    assert cancel == admin_url(Promotion, "change", segmented.pk)
    web.get(cancel)
    segmented.refresh_from_db()
    assert segmented.status == "draft"


def test_reach_by_tier_and_no_earn_at_all(web, program):
    silver = tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=100)
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=500)
    for member_id, tier in (("A", silver), ("B", gold), ("C", None)):
        member = MemberFactory(program=program, member_id=member_id)
        PointsBalance.objects.update_or_create(
            member=member,
            defaults={
                "program": program,
                "tier": tier,
                "tier_since": tier and timezone.now(),
                "tier_until": tier and timezone.now() + datetime.timedelta(days=365),
            },
        )
    promotion = PromotionFactory(program=program, code="GOLDONLY", status="paused")
    promotion.tiers.add(gold)

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", web.get(admin_url(Promotion, "go_live", promotion.pk)).text))
    assert "1 of the program's 3 active members" in text and "tier GOLD: 1 active members" in text
    assert "no earn in the last 90 days" in text


def test_an_open_promotion_reaches_everyone(web, program):
    MemberFactory(program=program, member_id="A")
    promotion = PromotionFactory(program=program, code="ALL", status="draft")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", web.get(admin_url(Promotion, "go_live", promotion.pk)).text))
    assert "Every member ( 1 active) and guests" in text


# ---- calendar ---------------------------------------------------------------------------------------------------


def calendar_rows(page: str) -> dict[str, list[str]]:
    """code -> the row's cells (after the header cell): '' for an empty week, else the bar's colspan and text."""
    rows = {}
    for code, cells in re.findall(r'<tr data-code="([^"]+)">(.*?)</tr>', page, re.S):
        row = []
        for attrs, content in re.findall(r"<td([^>]*)>(.*?)</td>", cells, re.S):
            span = re.search(r'colspan="(\d+)"', attrs)
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)).strip()
            row.append(f"{span.group(1)}:{text}" if span else "")
        rows[code] = row
    return rows


def test_the_calendar_shows_live_and_planned_promotions_as_bars(web, program):
    now = timezone.now()
    monday = timezone.localtime(now).date() - datetime.timedelta(days=timezone.localtime(now).weekday())
    PromotionFactory(program=program, code="ALWAYS", status="live")
    PromotionFactory(
        program=program,
        code="LATER",
        status="live",
        kind="quantity",
        rate=None,
        points=5,
        starts_at=now + datetime.timedelta(weeks=2, days=1),
        ends_at=now + datetime.timedelta(weeks=4),
    )
    PromotionFactory(program=program, code="PLANNED", status="draft", starts_at=now + datetime.timedelta(weeks=20))
    PromotionFactory(program=program, code="DRAFTSOON", status="draft", starts_at=now + datetime.timedelta(days=8))
    PromotionFactory(program=program, code="UNDATED", status="draft")
    PromotionFactory(program=program, code="OVER", status="live", ends_at=now - datetime.timedelta(weeks=2))

    response = web.get(admin_url(Promotion, "calendar"))
    assert response.status_code == 200
    assert admin_url(Promotion, "calendar") == "/admin/rewards/promotion/calendar/"
    page = response.content.decode()
    rows = calendar_rows(page)
    assert set(rows) == {"ALWAYS", "LATER", "DRAFTSOON"}
    assert rows["ALWAYS"][0].startswith(f"{WEEKS}:← started earlier · Points per amount spent · Live")
    assert rows["ALWAYS"][0].endswith("goes on →")
    later = rows["LATER"]
    assert later[:2] == ["", ""] and later[2].startswith("3:Points per item · Scheduled (live, starts later)")
    assert len(later) == 3 + WEEKS - 5
    assert "Draft (not live)" in rows["DRAFTSOON"][1]
    # Weeks as column headers, from this week's Monday; each promotion's name links to it.
    headers = re.findall(r'<th scope="col" id="week-\d+"><span class="sr-only">Week of </span>([^<]+)</th>', page)
    assert len(headers) == WEEKS and headers[0] == f"{monday.day} {monday.strftime('%b')}"
    promotion = Promotion.objects.get(code="LATER")
    assert f'href="{admin_url(Promotion, "change", promotion.pk)}"' in page


def test_the_calendar_and_go_live_links_are_on_the_promotion_pages(web, program):
    promotion = PromotionFactory(program=program, code="D", status="draft")
    page = web.get(admin_url(Promotion, "change", promotion.pk)).content.decode()
    assert admin_url(Promotion, "go_live", promotion.pk) in page and admin_url(Promotion, "calendar") in page
    assert admin_url(Promotion, "calendar") in web.get(admin_url(Promotion, "changelist")).content.decode()
