"""The Content Security Policy in a real browser (Debian's Chromium, Playwright): the shop, the admin (with its
widgets and the dashboard chart) and the API docs run with no violation reported, and do what they did before.

A violation shows as a `securitypolicyviolation` event and as a "Refused to ..." console error: both are collected.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from catalog.models import Gift, GiftImage
from rewards.models import Redemption
from tests.browser import CHROMIUM, admin_log_in
from tests.factories import CategoryFactory, GiftFactory, MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import fund

TIMEOUT_MS = 20_000
# A real 1×1 PNG (browsers decode it; the shop removes pictures that do not load).
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
    b"\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def page(browser, live_server):
    """A new context and page per test in the module's Chromium, watching for policy violations."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    # Nothing leaves the machine: external pictures are refused by the route, not by the policy.
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    context.add_init_script(WATCH)
    page = context.new_page()
    page.refused = []
    page.on("console", lambda m: m.type == "error" and "Refused to" in m.text and page.refused.append(m.text))
    yield page
    context.close()


def violations(page) -> list[str]:
    return page.evaluate("window.__violations") + page.refused


@pytest.fixture
def data(program, api, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    home = CategoryFactory(program=program, code="HOME", name={"en": "Home"})
    CategoryFactory(program=program, code="KITCHEN", parent=home, name={"en": "Kitchen"})
    # One picture that exists (uploaded) and one that does not load: the shop swaps the latter for the initial.
    mug = GiftFactory(program=program, category=home, sku="MUG", points=100, stock=10, name={"en": "Mug"})
    GiftImage.objects.create(gift=mug, file=ContentFile(PNG, name="mug.png"))
    GiftFactory(
        program=program,
        category=home,
        sku="LAMP",
        points=200,
        name={"en": "Lamp"},
        images=["/media/gifts/none/missing.png"],
    )
    GiftFactory(program=program, category=home, sku="V10", type=Gift.VOUCHER, points=50, value="10.00")
    member = MemberFactory(program=program, member_id="M-1")
    fund(member, 1000)
    assert api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"}).status_code == 201
    return {
        "promotion": PromotionFactory(program=program, code="DOUBLE"),
        "segment": SegmentFactory(program=program, code="VIP"),
        "member": member,
        "redemption": Redemption.objects.get(reference="R-1"),
    }


def test_the_shop_runs_under_the_policy(page, live_server, api, data):
    from playwright.sync_api import expect

    login = api.post("/api/v1/members/M-1/identification").json()["login_url"]
    page.goto(f"{live_server.url}{urlsplit(login).path}")
    expect(page.locator(".site-header .brand")).to_be_visible()
    page.goto(f"{live_server.url}/shop/catalog")
    lamp = page.locator('.gift-card[data-sku="LAMP"]')
    expect(lamp.locator(".gift-initial")).to_be_visible()
    expect(lamp.locator("img")).to_have_count(0)  # the picture that did not load was removed by shop.js
    expect(page.locator('.gift-card[data-sku="MUG"] img')).to_have_count(1)
    for path in ("/shop/", "/shop/history", "/shop/gifts/LAMP", f"/shop/redemptions/{data['redemption'].pk}"):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    # Redeeming (a form that submits once, through shop.js) still works.
    page.goto(f"{live_server.url}/shop/gifts/V10/confirm?quantity=1")
    page.locator("form[data-submit-once] button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/shop/redemptions/\d+$"))
    assert violations(page) == []


def test_the_admin_runs_under_the_policy(page, live_server, data):
    from playwright.sync_api import expect

    get_user_model().objects.create_superuser("root", password="a-long-password-1")
    admin_log_in(page, live_server.url, "root", "a-long-password-1")
    page.goto(f"{live_server.url}/admin/dashboard/")
    chart = page.locator("canvas#chart-points")  # drawn by unfold's Chart.js from a JSON data block
    expect(chart).to_be_visible()
    box = page.locator(".dashboard-chart").first
    assert box.evaluate("el => getComputedStyle(el).height") in ("280px", "320px")  # from backoffice/dashboard.css
    page.goto(f"{live_server.url}/admin/catalog/giftcategory/")
    kitchen = page.locator("span.tree-depth-1")
    assert kitchen.evaluate("el => getComputedStyle(el).paddingLeft") != "0px"
    page.goto(f"{live_server.url}/admin/catalog/gift/")
    page.wait_for_load_state("networkidle")
    # The promotion form with its autocomplete (select2) and the date widgets.
    page.goto(f"{live_server.url}/admin/rewards/promotion/{data['promotion'].pk}/change/")
    page.locator(".select2-selection").first.click()
    expect(page.locator(".select2-results")).to_be_visible()
    page.keyboard.press("Escape")
    page.goto(f"{live_server.url}/admin/rewards/redemption/{data['redemption'].pk}/change/")
    move = page.locator("form.status-move button").first
    expect(move).to_be_visible()
    move.click()
    page.wait_for_load_state("networkidle")
    for path in (
        f"/admin/members/member/{data['member'].pk}/change/",
        f"/admin/members/member/{data['member'].pk}/login-link/",
        f"/admin/rewards/promotion/{data['promotion'].pk}/preview/",
        f"/admin/members/segment/{data['segment'].pk}/change/",
        "/admin/catalog/gift/add/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    assert violations(page) == []


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_the_api_docs_run_under_their_policy(page, live_server, path):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{path}")
    if path == "/api/docs":
        expect(page.locator(".opblock").first).to_be_visible()
    else:
        expect(page.locator("h2", has_text="Basket Point Evaluation").first).to_be_attached()
    page.wait_for_load_state("networkidle")
    # ReDoc's bundle asks for the Redocly logo from its CDN: refused on purpose (images from this host only).
    assert [v for v in violations(page) if "https://cdn.redoc.ly/" not in v] == []
