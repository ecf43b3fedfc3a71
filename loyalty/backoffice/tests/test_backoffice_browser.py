"""The back office end to end in Debian's Chromium (Playwright), as a program manager of one program: find a member
by e-mail, adjust their points, give them a webshop login link (shown to copy, then e-mailed), block and unblock
them, move a redemption, and add a member to a segment and remove them again.

Each page is checked with axe-core (axe-playwright-python): no serious or critical violation. Screenshots of the
index, member list, member page and segment page at 1366×900 and 390×844 go to artifacts/screenshots/backoffice/.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from catalog.models import Gift
from loyalty.backoffice.tests.helpers import staff_user
from members.models import Member
from rewards.models import PointsBalance, Redemption, RedemptionStatus
from tests.browser import CHROMIUM, admin_log_in
from tests.factories import GiftFactory, MemberFactory, SegmentFactory
from tests.helpers import fund

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots" / "backoffice"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def office(program, api):
    manager = staff_user("marie", program)
    ann = MemberFactory(
        program=program, member_id="ANN-1", email="ann.claes@example.com", first_name="Ann", last_name="Claes"
    )
    ann.language = "fr"
    ann.save(update_fields=["language"])
    MemberFactory(program=program, member_id="BOB-2", email="bob@example.com", first_name="Bob", last_name="Maes")
    for n in range(3):
        MemberFactory(program=program, member_id=f"M-{n}", email=f"m{n}@example.com")
    fund(ann, 1000)
    GiftFactory(program=program, sku="MUG", points=100, stock=10, type=Gift.PHYSICAL, name={"en": "Mug"})
    answer = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "ANN-1", "gift": "MUG"})
    assert answer.status_code == 201, answer.content
    segment = SegmentFactory(program=program, code="VIP", name={"en": "Very important"})
    return {"manager": manager, "ann": ann, "segment": segment, "redemption": Redemption.objects.get(reference="R-1")}


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check_and_shoot(page, name: str) -> None:
    """axe on the page at both widths, and a full-page screenshot of each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], (name, label)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_a_program_manager_serves_a_member(page, live_server, office, mailoutbox):
    from playwright.sync_api import expect

    url = live_server.url
    admin_log_in(page, url, "marie", "pw")
    # The index: the program's name under the title, the jobs in the sidebar.
    expect(page.locator("#nav-sidebar-inner")).to_contain_text("Demo Rewards")
    expect(page.locator("#nav-sidebar-apps")).to_contain_text("Members & segments")
    expect(page.locator("#home-figures")).to_contain_text("Redemptions to prepare or send")
    check_and_shoot(page, "index")

    # Find Ann by her e-mail address.
    page.locator("#nav-sidebar-apps a", has_text="Members").first.click()
    page.wait_for_url(re.compile(r"/admin/members/member/$"))
    check_and_shoot(page, "member-list")
    search = page.locator("input[name=q]").first
    search.fill("ann.claes@example.com")
    search.press("Enter")
    page.wait_for_url(re.compile(r"q=ann"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("900")  # available, after the redemption
    rows.first.locator("a", has_text="ANN-1").click()
    page.wait_for_url(re.compile(r"/admin/members/member/\d+/change/"))
    member_page = page.url.split("?")[0]
    expect(page.locator("#member-redemptions")).to_contain_text("R-1")
    check_and_shoot(page, "member-page")

    # Adjust the points.
    page.click("#adjust-link")
    page.fill("#id_points", "25")
    page.fill("#id_reason", "Goodwill after a late delivery")
    page.locator("#adjust-form [type=submit]").click()
    page.wait_for_url(member_page)
    expect(page.locator("body")).to_contain_text("+25 points for ANN-1")
    assert PointsBalance.objects.get(member=office["ann"]).available == 925

    # A login link to copy...
    page.click("#login-link")
    page.locator("#login-link-show button").click()
    link = page.locator("#login-link-url")
    expect(link).to_have_value(re.compile(rf"^{re.escape(url)}/shop/login/[A-Za-z0-9_-]{{43}}$"))
    page.click("#copy-login-link")
    expect(page.locator("#copy-login-link")).to_have_attribute("data-copied", "1")
    shop = page.context.new_page()
    shop.goto(link.input_value())
    shop.wait_for_url(f"{url}/shop/")  # the link logs Ann into the webshop
    shop.close()
    # ... and one e-mailed to her, in French.
    page.locator("#login-link-email button").click()
    page.wait_for_url(member_page)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ann.claes@example.com"] and "Bonjour Ann" in mail.body
    assert re.search(rf"{re.escape(url)}/shop/login/[A-Za-z0-9_-]{{43}}", mail.body)

    # Block, then unblock.
    page.click("#block-member")
    page.wait_for_url(member_page)
    expect(page.locator("#unblock-member")).to_be_visible()
    assert Member.objects.get(pk=office["ann"].pk).status == Member.BLOCKED
    page.click("#unblock-member")
    page.wait_for_url(member_page)
    expect(page.locator("#block-member")).to_be_visible()
    assert Member.objects.get(pk=office["ann"].pk).status == Member.ACTIVE

    # Move her redemption to preparation.
    page.locator("#member-redemptions a", has_text="R-1").click()
    page.locator("button.transition-in_preparation", has_text="Move to: In preparation").click()
    expect(page.locator("body")).to_contain_text("R-1: Exchanged → In preparation.")
    assert Redemption.objects.get(reference="R-1").status == RedemptionStatus.IN_PREPARATION

    # The segment: add Bob by member id, then remove him.
    page.locator("#nav-sidebar-apps a", has_text="Segments").first.click()
    page.locator("#result_list a", has_text="VIP").first.click()
    page.fill("#segment-add-member-id", "BOB-2")
    page.locator("#segment-add-member [type=submit]").click()
    row = page.locator('#segment-member-list tr[data-member="BOB-2"]')
    expect(row).to_be_visible()
    check_and_shoot(page, "segment-page")
    row.locator("button", has_text="Remove").click()
    expect(page.locator('#segment-member-list tr[data-member="BOB-2"]')).to_have_count(0)
    assert not office["segment"].memberships.exists()


def test_the_project_pages_wear_the_theme(page, live_server, office, django_user_model):
    """The back office's own pages (not Django's generic ones) as a superuser: each inside unfold's layout (its
    sidebar), with no serious or critical axe violation; screenshots at 1366×900."""
    from playwright.sync_api import expect

    django_user_model.objects.create_superuser("root", password="a-long-password-1")
    url = live_server.url
    admin_log_in(page, url, "root", "a-long-password-1")
    ann, segment, redemption = office["ann"], office["segment"], office["redemption"]
    pages = {
        "adjust-points": f"/admin/members/member/{ann.pk}/adjust-points/",
        "set-tier": f"/admin/members/member/{ann.pk}/set-tier/",
        "merge": f"/admin/members/member/{ann.pk}/merge/",
        "erase": f"/admin/members/member/{ann.pk}/erase/",
        "login-link": f"/admin/members/member/{ann.pk}/login-link/",
        "segment-upload": f"/admin/members/segment/{segment.pk}/upload-members/",
        "gift-csv": "/admin/catalog/gift/csv/",
        "webhook-add": "/admin/programs/webhooksubscription/add/",
        "redemption": f"/admin/rewards/redemption/{redemption.pk}/change/",
        "redemption-list": "/admin/rewards/redemption/",
        "ledger": "/admin/rewards/ledgerentry/",
    }
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        page.goto(f"{url}{path}")
        expect(page.locator("#nav-sidebar-apps")).to_be_visible()
        expect(page.locator("#main")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], name
        page.screenshot(path=str(SCREENSHOTS / f"page-{name}.png"), full_page=True)


def test_the_tier_tables_and_the_gift_form_read_as_laid_out(page, live_server, office):
    """The member's tier and its last changes have cells apart (they ran together: "11:25Gold → PlatinumSet by
    hand"), and the gift form stays within the page (its dates and texts, two to a row, ran past its right edge)."""
    import datetime

    from django.utils import timezone

    from programs.services import tier_save
    from rewards.services.tiers import tier_override

    program, ann = office["ann"].program, office["ann"]
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=5000)
    balance = PointsBalance.objects.get(member=ann)
    tier_override(balance=balance, tier=gold, reason="trial", until=timezone.now() + datetime.timedelta(days=30))
    url = live_server.url
    admin_log_in(page, url, "marie", "pw")

    page.goto(f"{url}/admin/members/member/{ann.pk}/change/")
    for table in ("#member-tier td", "#member-tier-changes td"):
        first, second = page.locator(table).nth(0).bounding_box(), page.locator(table).nth(1).bounding_box()
        if table == "#member-tier td":  # one value per row: the label's cell is before it
            first = page.locator("#member-tier th").nth(0).bounding_box()
        assert first and second and second["x"] - (first["x"] + first["width"]) >= 0, table
        padding = page.locator(table).first.evaluate("e => parseFloat(getComputedStyle(e).paddingRight)")
        assert padding >= 8, table

    gift = Gift.objects.get(sku="MUG")
    page.goto(f"{url}/admin/catalog/gift/{gift.pk}/change/")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.set_viewport_size({"width": 1024, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    from playwright.sync_api import expect

    expect(page.locator("label[for=id_valid_until_0], .field-valid_until label").first).to_be_visible()
