"""The webshop end to end in Debian's Chromium (Playwright): a partner identifies the member over HTTP,
the member opens the login link, switches to French, redeems a voucher and finds it in the history.

Screenshots of the home, catalog and redemption pages at phone and desktop widths go to
artifacts/screenshots/.
"""

import datetime
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.models import Gift
from programs.services import api_client_create
from rewards.models import PointsBalance, Redemption
from tests.factories import CategoryFactory, GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

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
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django takes for async code;
    # the test's ORM calls (and the database flush after each test) stay sequential, so they are safe.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    # Nothing leaves the machine: gift images hosted elsewhere fail, and the page must cope.
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    yield context
    context.close()


@pytest.fixture
def shop_data(transactional_db):
    program = ProgramFactory(code="DEMO", name="Demo Rewards")
    home = CategoryFactory(program=program, code="HOME", name={"en": "Home", "fr": "Maison", "nl": "Wonen"})
    vouchers = CategoryFactory(program=program, code="VOUCHERS", name={"en": "Vouchers", "fr": "Bons d'achat"})
    GiftFactory(
        program=program,
        category=home,
        sku="MUG",
        points=500,
        stock=20,
        name={"en": "Classic mug", "fr": "Tasse classique"},
        description={"en": "A stoneware mug.", "fr": "Une tasse en grès."},
        images=["https://placehold.co/600x400/png?text=MUG"],
    )
    GiftFactory(program=program, category=home, sku="LAMP", points=6000, name={"en": "Desk lamp", "fr": "Lampe"})
    GiftFactory(
        program=program,
        category=vouchers,
        sku="V10",
        type=Gift.VOUCHER,
        points=1000,
        value="10.00",
        voucher_valid_days=90,
        name={"en": "10 EUR webshop voucher", "fr": "Bon d'achat de 10 EUR"},
        description={"en": "Spend it in the webshop.", "fr": "À dépenser dans la boutique en ligne."},
    )
    client, secret = api_client_create(program=program, name="Partner webshop", scopes="members:write members:read")
    return {"program": program, "client_id": client.application.client_id, "client_secret": secret}


def http(method: str, url: str, *, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def partner_login_url(live_server, shop_data, member_id: str) -> str:
    """What the partner's webshop does: a token by client credentials, then the Identification user API."""
    form = urllib.parse.urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": shop_data["client_id"],
            "client_secret": shop_data["client_secret"],
        }
    ).encode()
    status, token = http("POST", f"{live_server.url}/oauth/token/", data=form)
    assert status == 200
    status, body = http(
        "POST",
        f"{live_server.url}/api/v1/members/{member_id}/identification",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert status == 201
    assert body["login_url"].startswith(f"{live_server.url}/shop/login/")
    return body["login_url"]


def screenshot(page, name: str) -> None:
    """Phone and desktop captures of the page, after checking that nothing overflows sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], (name, label)
        page.screenshot(path=str(SCREENSHOTS / f"shop-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def assert_accessible(page) -> None:
    """What can be checked cheaply: a language, one h1, every control labelled, every image with an alt."""
    found = page.evaluate(
        """() => ({
            lang: document.documentElement.lang,
            h1: document.querySelectorAll("h1").length,
            unlabelled: [...document.querySelectorAll("select, textarea, input:not([type=hidden])")]
                .filter((e) => !e.labels || e.labels.length === 0).length,
            noAlt: [...document.querySelectorAll("img")].filter((e) => !e.hasAttribute("alt")).length,
        })"""
    )
    assert found["lang"] and found["h1"] == 1 and found["unlabelled"] == 0 and found["noAlt"] == 0, found


def test_a_member_redeems_a_voucher_in_french_and_finds_it_delivered(context, live_server, shop_data, monkeypatch):
    from playwright.sync_api import expect

    import loyalty.core.queue

    member = MemberFactory(program=shop_data["program"], member_id="M-1", first_name="Ann", language="en")
    fund(member, 2000)
    fund(member, 500, expires_at=timezone.now() + datetime.timedelta(days=20))
    # The voucher task is held until the page polls, so the code must appear without a reload.
    held: list[tuple] = []
    send = loyalty.core.queue.enqueue
    monkeypatch.setattr(loyalty.core.queue, "enqueue", lambda task, *args: held.append((task, args)) or True)

    def issue_when_polled(route):
        while held:
            task, args = held.pop()
            send(task, *args)  # eager Celery: the voucher is issued now, in this thread
        route.continue_()

    login_url = partner_login_url(live_server, shop_data, "M-1")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/shop/redemptions/*/status", issue_when_polled)

    page.goto(login_url)
    assert page.url == f"{live_server.url}/shop/"
    expect(page.get_by_test_id("available")).to_have_text("2,500")
    expect(page.locator("h1")).to_have_text("Hello Ann")
    expect(page.locator(".expiring")).to_contain_text("500 points expire on")
    cookie = next(c for c in context.cookies() if c["name"] == "loyalty_member")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert_accessible(page)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    screenshot(page, "home")

    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("h1")).to_have_text("Bonjour Ann")
    expect(page.get_by_role("link", name="Mes points")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("available")).to_have_text("2\u00a0500")

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Cadeaux").click()
    expect(page.locator("h1")).to_have_text("Cadeaux")
    expect(page.get_by_role("link", name="Bon d'achat de 10 EUR")).to_be_visible()
    expect(page.get_by_role("link", name="Tasse classique")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Maison"))).to_be_visible()
    expect(page.locator('[data-sku="LAMP"] [data-availability="not-affordable"]')).to_contain_text(
        "Pas assez de points"
    )
    expect(page.locator('[data-sku="V10"] [data-availability="affordable"]')).to_be_visible()
    assert_accessible(page)
    screenshot(page, "catalog")

    page.get_by_role("link", name="Bon d'achat de 10 EUR").click()
    expect(page.get_by_label("Quantité")).to_have_value("1")
    assert_accessible(page)
    page.get_by_role("button", name="Échanger").click()
    expect(page.locator("h1")).to_have_text("Confirmez votre cadeau")
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer et échanger").click()

    expect(page.locator("h1")).to_have_text("Votre cadeau")
    expect(page.locator("[data-voucher-pending]")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    code = page.locator("[data-voucher-code]")
    expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$"))
    expect(page.locator("[data-status]")).to_have_text("Livré")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    redemption = Redemption.objects.select_related("voucher").get(member=member)
    assert code.inner_text() == redemption.voucher.code
    assert_accessible(page)
    screenshot(page, "redemption")

    page.get_by_role("link", name="Historique", exact=True).click()
    row = page.locator('tr[data-kind="redemption"]')
    expect(row).to_contain_text("Bon d'achat de 10 EUR")
    expect(row.locator(".status")).to_have_text("Livré")
    assert_accessible(page)
    screenshot(page, "history")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.locator('tr[data-kind="redemption"] .status')).to_have_text("Delivered")
    page.get_by_role("link", name="My points").click()
    expect(page.get_by_test_id("available")).to_have_text("1,500")
    assert PointsBalance.objects.get(member=member).available == 1500
    assert errors == []

    stranger = context.browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        second = stranger.new_page()
        second.goto(login_url)
        expect(second.locator("h1")).to_have_text("Your session has expired")
        expect(second.locator("body")).to_contain_text("partner's website or app")
        second.screenshot(path=str(SCREENSHOTS / "shop-expired-phone.png"), full_page=True)
        assert not [c for c in stranger.cookies() if c["name"] == "loyalty_member"]
    finally:
        stranger.close()


def test_a_member_short_of_points_cannot_redeem_even_by_posting_the_form(context, live_server, shop_data):
    from playwright.sync_api import expect

    member = MemberFactory(program=shop_data["program"], member_id="M-2", first_name="Bo", language="en")
    fund(member, 200)
    page = context.new_page()

    page.goto(partner_login_url(live_server, shop_data, "M-2"))
    page.get_by_role("link", name="Gifts").first.click()
    badge = page.locator('[data-sku="V10"] [data-availability="not-affordable"]')
    expect(badge).to_have_text("Not affordable: 800 more points needed")
    page.get_by_role("link", name="10 EUR webshop voucher").click()
    expect(page.get_by_role("button", name="Redeem")).to_have_count(0)

    page.goto(f"{live_server.url}/shop/gifts/V10/confirm")
    expect(page.get_by_role("button", name="Confirm and redeem")).to_have_count(0)
    # The form the page does not offer, built and sent by hand with a valid CSRF token.
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/shop/gifts/V10/redeem";
            const fields = {
                csrfmiddlewaretoken: document.querySelector("input[name=csrfmiddlewaretoken]").value,
                quantity: "1",
                reference: "SHOP-" + "0123456789abcdef".repeat(2),
            };
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }"""
    )
    expect(page.get_by_test_id("error")).to_have_text("You do not have enough points for this gift.")
    assert not Redemption.objects.filter(member=member).exists()
    assert PointsBalance.objects.get(member=member).available == 200
