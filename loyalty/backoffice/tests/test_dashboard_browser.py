"""The dashboard in Debian's Chromium (Playwright): a program manager logs in, opens the dashboard, sees the charts
drawn (a canvas each, no console error), switches to 12 months and to a custom range (and is told when the range
is wrong), downloads a CSV; axe-core finds no serious or critical violation. Screenshots at 1366×900 and 390×844
go to artifacts/screenshots/backoffice/."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from loyalty.backoffice.groups import PROGRAM_MANAGER, staff_groups_sync
from programs.services import tier_save
from rewards.engine import Line
from rewards.rules import clear_cache
from rewards.services.earning import Basket, points_earn
from rewards.services.redemption import redeem
from tests.browser import CHROMIUM, admin_log_in
from tests.factories import GiftFactory, MemberFactory, ProgramFactory, PromotionFactory

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots" / "backoffice"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
CHARTS = ("points", "liability", "redemptions", "promotions", "tiers")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def manager(transactional_db):
    """A program manager of one program with a few weeks of purchases, redemptions, promotions and tiers."""
    clear_cache()
    program = ProgramFactory(code="DEMO", name="Demo Rewards", timezone="Europe/Brussels")
    PromotionFactory(program=program, code="SPEND", name={"en": "Coffee spend"}, rate="100")
    PromotionFactory(
        program=program,
        code="BEANS",
        name={"en": "Beans bonus"},
        kind="quantity",
        rate=None,
        points=2500,
        products=["BEANS"],
    )
    tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=5000)
    gift = GiftFactory(program=program, sku="MUG", points=1000, value="12.00", name={"en": "Mug"})
    now = timezone.now()
    members = [MemberFactory(program=program, member_id=f"M-{n}") for n in range(6)]
    for n, member in enumerate(members):
        for week in range(8):
            sku = "BEANS" if (n + week) % 3 == 0 else "COF"
            basket = Basket(
                lines=(Line("1", sku, "coffee", 1, Decimal(f"{12 + n * 3 + week}.50")),),
                occurred_at=now - datetime.timedelta(weeks=week, hours=n),
            )
            points_earn(program=program, member=member, basket=basket, reference=f"POS-{n}-{week}")
        redeem(program=program, member=member, gift=gift, quantity=1, reference=f"R-{n}")
    ProgramFactory(code="OTHER", name="Other Program")
    staff_groups_sync()
    user = get_user_model().objects.create_user("marketing", password="marketing-pass", is_staff=True)
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGER))
    program.staff.add(user)
    return program


def log_in(page, base_url: str) -> None:
    """Through the login form, sent on to the dashboard (as its link from the sidebar would)."""
    admin_log_in(page, base_url, "marketing", "marketing-pass", next_path="/admin/dashboard/")


def show(page) -> None:
    """Sends the period form and waits for the new page to load (unfold draws the charts on load)."""
    with page.expect_navigation(wait_until="load"):
        page.click("#period-choice [type=submit]")


def charts_drawn(page) -> None:
    for slug in CHARTS:
        canvas = page.locator(f"#chart-{slug}")
        assert canvas.count() == 1
        # unfold's script gave the canvas its data and Chart.js drew it (a chart instance on the canvas).
        page.wait_for_function(f"() => window.Chart && Chart.getChart(document.getElementById('chart-{slug}'))")
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "1366x900"), (PHONE, "390x844")])
def test_a_program_manager_reads_the_dashboard(browser, live_server, manager, viewport, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=viewport, accept_downloads=True, locale="en-GB")
    context.set_default_timeout(15_000)
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        log_in(page, live_server.url)
        assert "Demo Rewards" in page.inner_text("#program-name") and "Other Program" not in page.content()
        charts_drawn(page)
        assert page.locator("#table-points tbody tr").count() == 12
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}.png"), full_page=True)
        assert serious_violations(page) == []
        # Scrolled sideways on a phone? The page fits its width; wide tables scroll inside their box.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1

        page.select_option("#id_period", "months")
        show(page)
        assert "period=months" in page.url
        charts_drawn(page)
        rows = page.locator("#table-points tbody tr")
        assert rows.count() == 12
        assert re.fullmatch(r"[A-Z][a-z]+ \d{4}", rows.nth(11).locator("td").first.inner_text())
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-months-{name}.png"), full_page=True)

        # A wrong custom range: said on the page, the default weeks shown.
        page.select_option("#id_period", "custom")
        page.fill("#id_start", "2026-03-10")
        page.fill("#id_end", "2026-03-01")
        show(page)
        assert "The start date must be on or before the end date." in page.inner_text("#period-errors")
        charts_drawn(page)

        today = timezone.localdate()
        start = today - datetime.timedelta(days=20)
        page.select_option("#id_period", "custom")
        page.fill("#id_start", start.isoformat())
        page.fill("#id_end", today.isoformat())
        show(page)
        assert page.locator("#period-errors").count() == 0
        charts_drawn(page)
        first = page.locator("#table-points tbody tr").first.locator("td").nth(1).inner_text()
        assert first == start.isoformat()

        with page.expect_download() as download_info:
            page.click("#section-promotions a[download]")
        download = download_info.value
        assert download.suggested_filename == f"DEMO-promotions-{start.isoformat()}-{today.isoformat()}.csv"
        lines = Path(download.path()).read_text().splitlines()
        assert lines[0] == "Promotion,Code,Earns,Points issued,Of which shared with other promotions"
        assert {line.split(",")[1] for line in lines[1:]} == {"SPEND", "BEANS"}
        assert errors == []
    finally:
        context.close()
