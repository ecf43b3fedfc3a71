"""The webshop end to end in Debian's Chromium (Playwright): a partner identifies the member over HTTP,
the member opens the login link, switches to French, redeems a voucher and finds it in the history.

Screenshots of the home, catalog and redemption pages at phone and desktop widths go to
artifacts/screenshots/.
"""

import datetime
import re

import pytest
from django.utils import timezone

from loyalty.shop.tests.browser import (
    PHONE,
    SCREENSHOTS,
    assert_accessible,
    partner_login_url,
    screenshot,
)
from rewards.models import PointsBalance, Redemption
from tests.browser import CHROMIUM
from tests.factories import MemberFactory
from tests.helpers import fund

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


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

    expect(page.get_by_role("button", name="Change")).to_be_hidden()  # the menu sends itself
    page.get_by_label("Language").select_option("fr")
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
