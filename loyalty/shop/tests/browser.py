"""What the webshop's browser tests share: the page sizes and a member's way in (the partner identifies the member
over HTTP, the member opens the login link). Its fixtures are in conftest.py; Debian's Chromium is tests/browser.py's
(launched by the root conftest.py's `browser` fixture)."""

import json
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000


def page_errors(page) -> list[str]:
    """The script errors the page raises from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


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
