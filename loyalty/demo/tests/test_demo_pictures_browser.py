"""The demo's gift list in Debian's Chromium: the pictures load (not the letter tiles), on a live server.

Screenshots at phone and desktop widths go to artifacts/screenshots/demo-gifts-*.png.
"""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser import CHROMIUM

# As in loyalty/shop/tests/test_shop_browser.py.
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


def test_the_demo_gift_list_shows_the_shipped_pictures(browser, live_server):
    out = io.StringIO()
    call_command("load_demo", "--base-url", live_server.url, stdout=out)
    link = re.search(r"login link:\s+(\S+)", out.getvalue()).group(1)
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    # Nothing leaves the machine: the pictures must come from this server.
    context.route(re.compile(r"^https?://(?!localhost[:/]|127\.0\.0\.1[:/])"), lambda route: route.abort())
    page = context.new_page()

    page.goto(link)
    page.goto(f"{live_server.url}/shop/catalog")
    page.wait_for_load_state("networkidle")

    pictures = page.eval_on_selector_all(
        ".gift-card .gift-image img", "els => els.map(e => [e.currentSrc, e.complete, e.naturalWidth, e.hidden])"
    )
    assert len(pictures) == page.locator(".gift-card").count() >= 20
    for src, complete, width, hidden in pictures:
        assert src.startswith(f"{live_server.url}/media/gifts/") and src.endswith(".png"), src
        assert complete and width == 600 and not hidden, src  # decoded, not a broken image hidden by the page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "demo-gifts-desktop.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / "demo-gifts-phone.png"))
    context.close()
