"""Issue 19 in Debian's Chromium: a physical gift sent to an address edited at the confirm step, the repeat guard
reached with the browser's Back button, the history in the order things happened, the voucher's copy button, the
language menu with and without script, and the pages at phone width (category pills scrolling inside their row).

Screenshots (phone and desktop) go to artifacts/screenshots/shop-issue19-*.png.
"""

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone

from catalog.models import Gift
from loyalty.shop.tests.browser import (
    PHONE,
    TIMEOUT_MS,
    assert_accessible,
    page_errors,
    partner_login_url,
    screenshot,
)
from members.models import Member
from rewards.models import PointsBalance, Redemption
from tests.browser import CHROMIUM
from tests.factories import CategoryFactory, EventTypeFactory, GiftFactory, MemberFactory
from tests.helpers import fund

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]

ADDRESS = {
    "name": "Ann Peeters",
    "street": "Rue Neuve 1",
    "postal_code": "1000",
    "city": "Brussels",
    "country": "BE",
    "phone": None,
}


def member_with(shop_data, points: int, address: dict | None = ADDRESS, member_id: str = "M-1") -> Member:
    member = MemberFactory(program=shop_data["program"], member_id=member_id, first_name="Ann", language="en")
    if address is not None:
        member.address = address
        member.save(update_fields=["address"])
    if points:
        fund(member, points)
    return member


def open_shop(context, live_server, shop_data, member_id: str = "M-1"):
    page = context.new_page()
    page.goto(partner_login_url(live_server, shop_data, member_id))
    assert page.url == f"{live_server.url}/shop/"
    return page


def test_a_physical_gift_goes_to_the_address_edited_at_the_confirm_step(context, live_server, shop_data):
    from playwright.sync_api import expect

    member = member_with(shop_data, 2000)
    page = open_shop(context, live_server, shop_data)
    errors = page_errors(page)

    page.goto(f"{live_server.url}/shop/gifts/MUG")
    page.get_by_role("button", name="Redeem").click()
    expect(page.locator("h1")).to_have_text("Confirm your gift")
    address = page.get_by_test_id("address")
    expect(address).to_contain_text("Rue Neuve 1")
    expect(address).to_contain_text("Belgium")  # the code, written as the country's name by the page's script
    assert_accessible(page)
    screenshot(page, "issue19-confirm")

    page.get_by_text("Change the address").click()
    page.get_by_label("Street and number").fill("Meir 12")
    page.get_by_label("Postal code").fill("2000")
    page.get_by_label("City").fill("Antwerpen")
    page.get_by_label("Phone (optional)").fill("+32 3 123 45 67")
    country = page.get_by_label("Country")
    expect(country).to_have_value("BE")
    expect(country.locator("option:checked")).to_have_text("Belgium (BE)")
    assert_accessible(page)
    page.get_by_role("button", name="Save the address").click()

    expect(page.get_by_test_id("address-saved")).to_have_text("Your address is saved.")
    expect(page.get_by_test_id("address")).to_contain_text("Meir 12")
    expect(page.get_by_test_id("address")).to_contain_text("2000 Antwerpen")
    page.get_by_role("button", name="Confirm and redeem").click()

    expect(page.locator("h1")).to_have_text("Your gift")
    expect(page.locator("[data-status]")).to_have_text("Ordered")
    expect(page.get_by_test_id("delivery")).to_contain_text("Meir 12")
    edited = {**ADDRESS, "street": "Meir 12", "postal_code": "2000", "city": "Antwerpen", "phone": "+32 3 123 45 67"}
    assert Redemption.objects.get(member=member).delivery == edited
    assert Member.objects.get(pk=member.pk).address == edited
    assert PointsBalance.objects.get(member=member).available == 1500
    assert errors == []


def test_without_an_address_the_member_gives_one_before_confirming(context, live_server, shop_data):
    from playwright.sync_api import expect

    member = member_with(shop_data, 2000, address=None)
    page = open_shop(context, live_server, shop_data)

    page.goto(f"{live_server.url}/shop/gifts/MUG/confirm")
    expect(page.get_by_test_id("address-missing")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm and redeem")).to_have_count(0)
    page.get_by_label("Street and number").fill("Rue Neuve 1")
    page.get_by_label("Postal code").fill("1000")
    page.get_by_label("City").fill("Brussels")
    page.get_by_role("button", name="Save the address").click()
    # No country chosen: the form says so, at the field, and nothing is saved.
    expect(page.locator("#id_address-country-error")).to_be_visible()
    expect(page.get_by_label("Country")).to_have_attribute("aria-invalid", "true")
    assert Member.objects.get(pk=member.pk).address is None
    assert_accessible(page)
    screenshot(page, "issue19-address-form")
    page.get_by_label("Country").select_option("BE")
    page.get_by_role("button", name="Save the address").click()
    page.get_by_role("button", name="Confirm and redeem").click()

    expect(page.locator("h1")).to_have_text("Your gift")
    assert Redemption.objects.get(member=member).delivery == ADDRESS


def test_back_after_a_redemption_then_confirming_asks_before_redeeming_again(context, live_server, shop_data):
    from playwright.sync_api import expect

    member = member_with(shop_data, 2000)
    page = open_shop(context, live_server, shop_data)
    page.goto(f"{live_server.url}/shop/gifts/MUG/confirm")
    page.get_by_role("button", name="Confirm and redeem").click()
    expect(page.locator("h1")).to_have_text("Your gift")
    first_url = page.url

    page.go_back()
    expect(page.locator("h1")).to_have_text("Confirm your gift")
    page.get_by_role("button", name="Confirm and redeem").click()

    question = page.get_by_test_id("repeat")
    expect(question).to_have_text(re.compile(r"You already redeemed this \d+ seconds? ago — redeem again\?"))
    assert Redemption.objects.filter(member=member).count() == 1
    assert PointsBalance.objects.get(member=member).available == 1500
    assert_accessible(page)
    screenshot(page, "issue19-repeat-question")
    page.get_by_role("link", name="No, see my gift").click()
    assert page.url == first_url

    page.go_back()  # the question again; this time the member wants a second one
    expect(page.get_by_test_id("repeat")).to_be_visible()
    page.get_by_role("button", name="Yes, redeem again").click()
    expect(page.locator("h1")).to_have_text("Your gift")
    assert page.url != first_url
    assert Redemption.objects.filter(member=member).count() == 2
    assert PointsBalance.objects.get(member=member).available == 1000


def test_the_history_lists_what_happened_newest_first_with_the_posting_date(context, live_server, shop_data):
    from django.test import TestCase
    from playwright.sync_api import expect

    from rewards.services.events import event_accept
    from rewards.services.points import points_adjust

    program = shop_data["program"]
    member = member_with(shop_data, 0)
    points_adjust(program=program, member=member, points=300, reference="ADJ-1", reason="Welcome to the new card")
    survey = EventTypeFactory(program=program, code="SURVEY", name={"en": "Survey answered"}, points=40)
    five_days_ago = timezone.now() - datetime.timedelta(days=5)
    with TestCase.captureOnCommitCallbacks(execute=True):  # posted now, happened five days ago
        event_accept(
            program=program,
            member=member,
            event_type=survey,
            reference="EV-1",
            occurred_at=five_days_ago,
            attributes={},
        )
    page = open_shop(context, live_server, shop_data)

    page.get_by_role("link", name="History", exact=True).click()

    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(2)  # posted: the adjustment, then the survey; happened: the survey first
    expect(rows.nth(0)).to_contain_text("Welcome to the new card")
    expect(rows.nth(1)).to_contain_text("Survey answered")
    zone = zoneinfo.ZoneInfo(program.timezone)  # the shop writes dates in the program's time zone
    expect(rows.nth(1).get_by_test_id("posted")).to_have_text(f"posted {timezone.now().astimezone(zone):%m/%d/%Y}")
    expect(rows.nth(1).locator("time")).to_have_text(f"{five_days_ago.astimezone(zone):%m/%d/%Y}")
    expect(rows.nth(0).get_by_test_id("posted")).to_have_count(0)
    expect(page.locator("table.history")).not_to_contain_text("Bonus")
    assert_accessible(page)
    screenshot(page, "issue19-history")


def test_the_voucher_code_copies_with_a_button(browser, live_server, shop_data):
    from playwright.sync_api import expect

    member = member_with(shop_data, 2000)
    context = browser.new_context(viewport=PHONE, locale="en-GB", permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = open_shop(context, live_server, shop_data)
        page.goto(f"{live_server.url}/shop/gifts/V10/confirm")
        expect(page.get_by_test_id("address-card")).to_have_count(0)  # a voucher needs no address
        page.get_by_role("button", name="Confirm and redeem").click()
        code = page.locator("[data-voucher-code]")
        expect(code).to_have_text(re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$"))
        button = page.get_by_role("button", name="Copy the code")
        expect(button).to_be_visible()

        button.click()

        expect(page.locator("[data-copy-feedback]")).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == code.inner_text()
        assert code.inner_text() == Redemption.objects.select_related("voucher").get(member=member).voucher.code
        assert_accessible(page)
        screenshot(page, "issue19-voucher")
    finally:
        context.close()


def test_the_language_menu_sends_itself_and_still_works_without_script(browser, context, live_server, shop_data):
    from playwright.sync_api import expect

    member_with(shop_data, 100)
    page = open_shop(context, live_server, shop_data)
    expect(page.get_by_role("button", name="Change")).to_be_hidden()
    page.get_by_label("Language").select_option("nl")
    expect(page.locator("h1")).to_have_text("Hallo Ann")

    plain = browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    plain.set_default_timeout(TIMEOUT_MS)
    try:
        member_with(shop_data, 100, member_id="M-2")
        page = open_shop(plain, live_server, shop_data, member_id="M-2")
        page.get_by_label("Language").select_option("fr")
        expect(page.locator("h1")).to_have_text("Hello Ann")  # nothing sent yet: no script
        page.get_by_role("button", name="Change").click()
        expect(page.locator("h1")).to_have_text("Bonjour Ann")
    finally:
        plain.close()


def test_the_arrow_keys_move_through_the_language_menu_without_reloading_the_page(context, live_server, shop_data):
    """Each arrow key changes a closed menu's choice: sending at the first one took a keyboard user to French on
    the way to Italian, and left the focus at the top of a new page."""
    from playwright.sync_api import expect

    member_with(shop_data, 100)
    page = open_shop(context, live_server, shop_data)
    # The page's script has run once it hides the button (a key pressed before would meet a plain menu).
    expect(page.get_by_role("button", name="Change")).to_be_hidden()
    menu = page.get_by_label("Language")
    menu.focus()
    for _ in range(3):  # English, then French, Dutch, Italian
        page.keyboard.press("ArrowDown")

    expect(menu).to_have_value("it")
    expect(menu).to_be_focused()
    expect(page.locator("h1")).to_have_text("Hello Ann")  # still the English page: nothing sent
    expect(page.get_by_role("button", name="Change")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Ciao Ann")
    expect(page.get_by_role("button", name="Cambia")).to_be_hidden()  # the new page's script has run

    page.get_by_label("Lingua").focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Cambia")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Hallo Ann")


def test_phone_pages_fit_the_screen_and_the_category_pills_scroll_in_their_row(context, live_server, shop_data):
    from playwright.sync_api import expect

    program = shop_data["program"]
    for n, name in enumerate(["Kitchen and dining", "Garden and outdoors", "Books and magazines", "Experiences"]):
        category = CategoryFactory(program=program, code=f"CAT-{n}", name={"en": name})
        GiftFactory(program=program, category=category, sku=f"G-{n}", points=100 + n, type=Gift.DIGITAL)
    member_with(shop_data, 2000)
    page = open_shop(context, live_server, shop_data)
    screenshot(page, "issue19-home")

    page.goto(f"{live_server.url}/shop/catalog")
    pills = page.locator("nav.categories ul")
    sizes = pills.evaluate("(ul) => ({scroll: ul.scrollWidth, client: ul.clientWidth})")
    assert sizes["scroll"] > sizes["client"]  # more pills than the phone's width: the row scrolls...
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # ...not the page
    last = page.get_by_role("link", name=re.compile("Experiences"))
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]  # reachable, whole
    assert page.evaluate("window.scrollX") == 0
    last.click()
    expect(page.locator("h1")).to_have_text("Experiences")
    page.goto(f"{live_server.url}/shop/catalog")
    screenshot(page, "issue19-gifts")
