"""The marketing flow in Debian's Chromium (Playwright): a program manager logs in, creates a promotion,
previews a basket and sees the expected points, puts it live, and a partner's evaluation changes.

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
from django.db import connections

from loyalty.backoffice.groups import PROGRAM_MANAGER, staff_groups_sync
from programs.services import api_client_create
from rewards.models import Promotion
from rewards.rules import clear_cache
from tests.factories import MemberFactory, ProgramFactory, PromotionFactory
from tests.helpers import basket, line

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API runs an event loop in this thread; the test's ORM calls stay sequential.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
        yield context.new_page()
        context.close()
        browser.close()
        # ORM calls made while Playwright's loop ran may have opened a connection of their own: close it,
        # or the test database cannot be dropped at the end of the session.
        connections.close_all()


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


def test_marketing_creates_previews_and_puts_a_promotion_live(page, live_server):
    clear_cache()
    program = ProgramFactory(code="DEMO", name="Demo Rewards")
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1", name={"en": "1 point per euro"})
    MemberFactory(program=program, member_id="M-1")
    staff_groups_sync()
    user = get_user_model().objects.create_user("marketing", password="marketing-pass", is_staff=True)
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    program.staff.add(user)
    other = ProgramFactory(code="OTHER")
    PromotionFactory(program=other, code="SECRET")
    token = partner_token(live_server.url, program)
    # The partner's till before: 9.00 at 1 point per euro.
    assert partner_evaluate(live_server.url, token) == 9

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "marketing")
    page.fill("#id_password", "marketing-pass")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))

    page.goto(f"{live_server.url}/admin/rewards/promotion/")
    assert "BASE" in page.content() and "SECRET" not in page.content()

    page.goto(f"{live_server.url}/admin/rewards/promotion/add/")
    if page.locator("#id_program").count() and page.locator("#id_program").evaluate("e => e.tagName") == "SELECT":
        page.select_option("#id_program", label=str(program))
    page.fill("#id_code", "COFFEE-5")
    page.select_option("#id_kind", "quantity")
    page.select_option("#id_status", "draft")
    page.fill("#id_points", "5")
    page.fill("#id_name_en", "5 points per coffee")
    page.fill("#id_product_categories", "coffee")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/rewards/promotion/$"))
    promotion = Promotion.objects.get(program=program, code="COFFEE-5")
    assert promotion.status == "draft"

    # Preview: the draft with the live promotions, on a sample basket.
    page.goto(f"{live_server.url}/admin/rewards/promotion/{promotion.pk}/preview/")
    page.fill("#id_lines-0-sku", "COF")
    page.fill("#id_lines-0-product_category", "coffee")
    page.fill("#id_lines-0-quantity", "2")
    page.fill("#id_lines-0-amount", "9.00")
    page.fill("#id_member_id", "M-1")
    page.locator("form input[type=submit], form button[type=submit]").last.click()
    page.wait_for_load_state()
    text = page.inner_text("body")
    # 2 units × 5 points = 10 for the draft, plus 9 for BASE: 19 in all.
    assert "COFFEE-5" in text and "19" in text, text[:2000]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-promotion-preview.png"), full_page=True)
    # A draft changes nothing for partners.
    assert partner_evaluate(live_server.url, token) == 9

    # Put it live from the list, with the action.
    page.goto(f"{live_server.url}/admin/rewards/promotion/")
    page.check(f"input[name=_selected_action][value='{promotion.pk}']")
    page.select_option("select[name=action]", "go_live")
    page.click("button[name=index]")
    page.wait_for_load_state()
    promotion.refresh_from_db()
    assert promotion.status == "live"
    assert partner_evaluate(live_server.url, token) == 19

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
