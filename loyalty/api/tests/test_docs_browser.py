"""The API docs work with no network at all: Swagger UI at /api/docs and ReDoc at /api/redoc, in Debian's
Chromium (Playwright), with every request that is not to the test server refused and recorded.

Screenshots go to artifacts/screenshots/api-docs-offline.png and api-redoc-offline.png.
"""

from pathlib import Path

import pytest
from django.conf import settings

from tests.browser import CHROMIUM

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
TIMEOUT_MS = 30_000
# Summaries of operations the pages must show (they come from the views' extend_schema).
SUMMARIES = ["Redeem Points Voucher", "Basket Point Evaluation", "Earn Reversal", "Transaction History"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def offline_page(browser, live_server):
    """A page that may only reach the test server; `page.outside` lists what else it tried to load."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def refuse(route):
        outside.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith(f"{live_server.url}/"), refuse)
    page = context.new_page()
    page.outside = outside
    yield page
    context.close()


def test_swagger_ui_renders_the_operations_offline(offline_page, live_server):
    from playwright.sync_api import expect

    page = offline_page
    page.goto(f"{live_server.url}/api/docs")
    page.locator(".opblock").first.wait_for()
    for summary in SUMMARIES:
        expect(page.locator(".opblock-summary-description", has_text=summary).first).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(".opblock")).to_have_count(44)
    # One operation opened: its recorded example shows.
    page.locator(".opblock-summary-description", has_text="Redeem Points Voucher").click()
    example = page.locator(".opblock.is-open .body-param__example, .opblock.is-open .microlight").first
    expect(example).to_contain_text("RDM-0001", timeout=TIMEOUT_MS)
    page.locator(".opblock.is-open").first.scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-docs-offline.png"))
    assert page.outside == []


def test_redoc_renders_the_operations_offline(offline_page, live_server):
    from playwright.sync_api import expect

    page = offline_page
    page.goto(f"{live_server.url}/api/redoc")
    for summary in SUMMARIES:
        expect(page.locator("h2", has_text=summary).first).to_be_attached(timeout=TIMEOUT_MS)
    page.locator("h2", has_text=SUMMARIES[0]).first.scroll_into_view_if_needed()
    expect(page.locator("h2", has_text=SUMMARIES[0]).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-redoc-offline.png"))
    assert page.outside == []
