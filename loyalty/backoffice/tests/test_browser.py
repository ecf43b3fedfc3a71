"""The marketing flow in Debian's Chromium (Playwright): a program manager logs in, sees the promotion form follow
the kind, creates a spend promotion on a category picked among those the tills send, for a segment, previews a
basket, goes live through the confirmation page, and finds the promotion on the calendar.

Screenshots (1366x900 and 390x844) of the form for each kind, the go-live confirmation and the calendar go to
artifacts/screenshots/backoffice/, each checked with axe-core: no serious or critical violation.

Screenshots of the promotion preview and the dashboard go to artifacts/screenshots/.
"""

import json
import re
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from loyalty.backoffice.groups import PROGRAM_MANAGER, staff_groups_sync
from members.models import SegmentMembership
from programs.services import api_client_create
from rewards.models import Promotion
from rewards.rules import clear_cache
from tests.browser import CHROMIUM, admin_log_in
from tests.factories import MemberFactory, ProgramFactory, PromotionFactory, SegmentFactory
from tests.helpers import basket, line

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def page(browser, live_server):
    """A new context and page per test in the module's Chromium; nothing but the test server is reached."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    yield context.new_page()
    context.close()


def partner_evaluate(base_url: str, token: str) -> int:
    body = basket(lines=[line("1", sku="COF", category="coffee", quantity=2, unit_price="4.50")])
    del body["reference"]
    request = urllib.request.Request(
        f"{base_url}/api/v1/baskets/evaluate",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["points"]


def partner_token(base_url: str, program) -> str:
    client, secret = api_client_create(program=program, name="till", scopes="points:read points:write")
    data = f"grant_type=client_credentials&client_id={client.application.client_id}&client_secret={secret}"
    with urllib.request.urlopen(urllib.request.Request(f"{base_url}/oauth/token/", data=data.encode())) as response:
        return json.loads(response.read())["access_token"]


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def shoot(page, name: str) -> None:
    """Screenshots at 1366x900 and 390x844, each checked with axe (0 serious or critical violation)."""
    (SCREENSHOTS / "backoffice").mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / "backoffice" / f"{name}-{width}.png"), full_page=True)
        violations = serious_violations(page)
        assert not violations, f"{name} at {width}px: {violations}"
    page.set_viewport_size({"width": 1366, "height": 900})


def history(program) -> None:
    """Recent earns whose lines are in the categories the tills send: lower-case `bakery` and `coffee`."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from rewards.engine import Line
    from rewards.services.earning import Basket, points_earn

    member = program.members.get(member_id="M-1")
    for number, (sku, category, amount) in enumerate(
        [("CRO", "bakery", "2.50"), ("BAG", "bakery", "3.00"), ("COF", "coffee", "9.00"), ("PAIN", "bakery", "4.00")]
    ):
        basket = Basket(
            lines=(Line("1", sku, category, 1, Decimal(amount)),),
            occurred_at=timezone.now() - datetime.timedelta(days=number + 1),
            channel="store",
        )
        points_earn(program=program, member=member, basket=basket, reference=f"H-{number}")


def visible_rule_fields(page) -> set[str]:
    return {name for name in ("rate", "points", "threshold", "factor") if page.locator(f"#id_{name}").is_visible()}


def test_marketing_creates_previews_and_puts_a_promotion_live(page, live_server):
    clear_cache()
    program = ProgramFactory(code="DEMO", name="Demo Rewards")
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1", name={"en": "1 point per euro"})
    member = MemberFactory(program=program, member_id="M-1")
    MemberFactory(program=program, member_id="M-2")
    vip = SegmentFactory(program=program, code="VIP", name={"en": "VIP customers"})
    SegmentMembership.objects.create(segment=vip, member=member)
    history(program)
    staff_groups_sync()
    user = get_user_model().objects.create_user("marketing", password="marketing-pass", is_staff=True)
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    program.staff.add(user)
    other = ProgramFactory(code="OTHER")
    PromotionFactory(program=other, code="SECRET")
    token = partner_token(live_server.url, program)
    # The partner's till before: 9.00 at 1 point per euro.
    assert partner_evaluate(live_server.url, token) == 9

    # The pages' own scripts run under the admin's Content Security Policy: no refusal, no script error.
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Failed to load" not in m.text else 0)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 1366, "height": 900})
    admin_log_in(page, live_server.url, "marketing", "marketing-pass")

    page.goto(f"{live_server.url}/admin/rewards/promotion/")
    assert "BASE" in page.content() and "SECRET" not in page.content()

    # The form follows the kind: only its own rule fields, switching live.
    page.goto(f"{live_server.url}/admin/rewards/promotion/add/")
    for kind, fields in (
        ("quantity", {"points"}),
        ("basket", {"points", "threshold"}),
        ("multiplier", {"factor"}),
        ("spend", {"rate"}),
    ):
        page.select_option("#id_kind", kind)
        assert visible_rule_fields(page) == fields, kind
        shoot(page, f"promotion-form-{kind}")

    if page.locator("#id_program").evaluate("e => e.tagName") == "SELECT":
        page.select_option("#id_program", label=str(program))
    page.fill("#id_code", "BAKERY-2")
    page.select_option("#id_status", "draft")
    page.fill("#id_rate", "2")
    page.fill("#id_name_en", "2 points per euro of bakery")
    # A category typed as the marketing team writes it: flagged, the tills send it in lower case.
    search = page.locator("#id_product_categories_search")
    search.fill("Bakery")
    search.press("Enter")
    warning = page.locator("#id_product_categories_warnings")
    warning.get_by_text("the tills send 'bakery'").wait_for()
    # Picked instead, with the keyboard, among what the tills sent.
    page.fill("#id_product_categories", "")
    search.fill("bak")
    page.locator("#id_product_categories_listbox [role=option]", has_text="bakery").wait_for()
    # Only what contains "bak" once the typing settles (the box opened on focus with everything).
    page.wait_for_function(
        "() => [...document.querySelectorAll('#id_product_categories_listbox [role=option]')]"
        ".map(o => o.dataset.value).join() === 'bakery'"
    )
    assert (
        page.locator("#id_product_categories_listbox [role=option]").first.text_content() == "bakery 3 lines in earns"
    )
    search.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(SCREENSHOTS / "backoffice" / "promotion-picker-open-1366.png"))
    assert not serious_violations(page), serious_violations(page)
    search.press("ArrowDown")
    assert search.get_attribute("aria-activedescendant") == "id_product_categories_option_0"
    search.press("Enter")
    assert page.input_value("#id_product_categories") == "bakery"
    page.wait_for_function("() => !document.getElementById('id_product_categories_warnings').textContent.trim()")
    # For the VIP segment, with its searchable picker.
    page.locator(".field-segments .select2-selection").click()
    page.keyboard.type("VIP")
    page.locator(".select2-results__option", has_text="VIP").first.click()
    page.locator("[name=_save]").first.click()
    page.wait_for_url(re.compile(r"/admin/rewards/promotion/$"))
    promotion = Promotion.objects.get(program=program, code="BAKERY-2")
    assert promotion.status == "draft" and promotion.product_categories == ["bakery"]
    assert [s.code for s in promotion.segments.all()] == ["VIP"]

    # Preview: the draft with the live promotions, on a sample basket.
    page.goto(f"{live_server.url}/admin/rewards/promotion/{promotion.pk}/preview/")
    page.fill("#id_lines-0-sku", "CRO")
    page.fill("#id_lines-0-product_category", "bakery")
    page.fill("#id_lines-0-quantity", "2")
    page.fill("#id_lines-0-amount", "5.00")
    page.fill("#id_member_id", "M-1")
    page.locator("#preview-form [type=submit]").click()
    page.wait_for_load_state()
    # 5.00 of bakery × 2 points = 10 for the draft, plus 5 for BASE: 15 in all.
    assert page.inner_text("#preview-total") == "15" and page.inner_text("#preview-this") == "10"
    shoot(page, "promotion-preview")
    # The replay over the recent earns: three bakery lines (2.50, 3.00, 4.00) at 2 points per 1.00.
    page.goto(f"{live_server.url}/admin/rewards/promotion/{promotion.pk}/simulate/")
    page.locator("#simulate-form [type=submit]").click()
    page.wait_for_selector("#simulation-result")
    assert page.inner_text("#sim-rewarded") == "3" and page.inner_text("#sim-points") == "19"
    shoot(page, "promotion-simulation")
    # A draft changes nothing for partners.
    assert partner_evaluate(live_server.url, token) == 9

    # Go live from its page: a confirmation first, with a typical basket and the members VIP reaches.
    page.goto(f"{live_server.url}/admin/rewards/promotion/{promotion.pk}/change/")
    page.get_by_role("link", name="Go live…").click()
    page.wait_for_url(re.compile(r"/go-live/$"))
    text = page.inner_text("#content-main")
    assert "1 of the program's 2 active members" in text and "segment VIP: 1 active members" in text
    assert "for member M-1" in text
    shoot(page, "promotion-go-live")
    promotion.refresh_from_db()
    assert promotion.status == "draft"
    page.get_by_role("button", name="Confirm: go live").click()
    page.wait_for_url(re.compile(r"/admin/rewards/promotion/$"))
    promotion.refresh_from_db()
    assert promotion.status == "live"
    # Coffee is not bakery, and the partner's evaluation is for a guest: still 9.
    assert partner_evaluate(live_server.url, token) == 9

    # The calendar, from the list.
    page.get_by_role("link", name="Calendar").first.click()
    page.wait_for_url(re.compile(r"/calendar/$"))
    row = page.locator("#promotion-calendar tr[data-code='BAKERY-2']")
    assert "Points per amount spent · Live" in row.inner_text()
    assert page.locator("#promotion-calendar tr[data-code='SECRET']").count() == 0
    shoot(page, "promotion-calendar")
    # On a phone the table scrolls inside its box; the page itself does not scroll sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert page.evaluate(
        "() => { const e = document.querySelector('.promotion-calendar-scroll');"
        " return e.scrollWidth > e.clientWidth; }"
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    row.get_by_role("link", name="BAKERY-2").click()
    page.wait_for_url(re.compile(rf"/admin/rewards/promotion/{promotion.pk}/change/$"))
    assert not problems, problems

    # Some activity for the dashboard: the partner's earns, and a gift.
    for number in range(3):
        body = basket(
            reference=f"POS-{number}", lines=[line("1", sku="COF", category="coffee", quantity=4, unit_price="12.00")]
        )
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/transactions/earn",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        urllib.request.urlopen(request).close()
    from rewards.services.redemption import redeem
    from tests.factories import GiftFactory

    gift = GiftFactory(program=program, sku="MUG", points=100, name={"en": "Mug"})
    member = program.members.get(member_id="M-1")
    redeem(program=program, member=member, gift=gift, quantity=1, reference="GIFT-1")
    page.goto(f"{live_server.url}/admin/dashboard/")
    assert "Demo Rewards" in page.inner_text("body")
    page.screenshot(path=str(SCREENSHOTS / "admin-dashboard.png"), full_page=True)
