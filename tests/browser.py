"""Debian's Chromium for the browser tests (Playwright's sync API): where it is, how it is started, and a context
manager that launches it. The module-scoped `browser` fixture of the root conftest.py uses it."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

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


@contextmanager
def launched_chromium() -> Iterator:
    """Debian's Chromium, launched by Playwright; closed on leaving, and the database connections with it."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django takes for async code; the
    # test's ORM calls (and the database flush after each test) stay sequential, so they are safe.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    # ORM calls made while Playwright's loop ran may have opened a connection of their own: close it, or the test
    # database cannot be dropped at the end of the session.
    connections.close_all()


def admin_log_in(page, base_url: str, username: str, password: str, next_path: str = "/admin/") -> None:
    """Logs in through the admin's login form and waits for `next_path` (the admin's index by default)."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")
