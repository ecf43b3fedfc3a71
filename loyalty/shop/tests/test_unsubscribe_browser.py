"""The unsubscribe link of an e-mail, followed in Debian's Chromium (Playwright): the e-mail's HTML part as a mail
client shows it, the confirmation page, the button, the member unsubscribed. Screenshots go to
artifacts/screenshots/."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from rewards.models import NotificationSettings
from rewards.notifications import services
from tests.browser import CHROMIUM
from tests.factories import MemberFactory, ProgramFactory

SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed at /usr/bin/chromium"),
]


def test_a_member_unsubscribes_from_the_link_in_an_email(browser, live_server, mailoutbox):
    program = ProgramFactory(code="MAIL", name="Mail Rewards", languages=["en", "fr", "nl", "it"])
    NotificationSettings.objects.create(program=program, welcome=True)
    member = MemberFactory(program=program, member_id="M-1", language="nl", first_name="Sanne")
    with override_settings(SITE_URL=live_server.url):
        services.notification_send(notification_id=services.notify_welcome(member=member).pk)
    (message,) = mailoutbox
    html = message.alternatives[0][0]
    link = re.search(r'href="([^"]+/shop/unsubscribe/[^"]+)"', html).group(1)
    assert link.startswith(live_server.url)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport=PHONE)
    page.set_content(html)  # the e-mail as a mail client shows it
    assert page.get_by_text("Hallo Sanne,").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "email-welcome-nl-phone.png"), full_page=True)
    page.get_by_role("link", name="Afmelden").click()
    page.wait_for_url(re.compile(r"/shop/unsubscribe/"))
    assert page.locator("[data-state=confirm]").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "unsubscribe-confirm-phone.png"), full_page=True)
    member.refresh_from_db()
    assert member.email_opt_out is False  # opening the link changes nothing
    page.get_by_role("button", name="Afmelden").click()
    page.locator("[data-state=done]").wait_for()
    assert page.get_by_role("heading", name="Je bent afgemeld").is_visible()
    page.screenshot(path=str(SCREENSHOTS / "unsubscribe-done-phone.png"), full_page=True)
    member.refresh_from_db()
    assert member.email_opt_out is True
    page.close()
