"""The unsubscribe link of the e-mails: GET asks, POST unsubscribes (also one-click from a mail client, without
cookies or CSRF token); a link that was tampered with or names nobody is refused."""

import base64
import re

import pytest
from django.test import Client

from rewards.models import Notification, NotificationSettings
from rewards.notifications import services
from rewards.notifications.render import unsubscribe_token
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(program, mailoutbox):
    """A welcome e-mail sent to a French-speaking member, and the link it carries."""
    NotificationSettings.objects.create(program=program, welcome=True)
    member = MemberFactory(program=program, member_id="M-1", language="fr")
    notification = services.notify_welcome(member=member)
    services.notification_send(notification_id=notification.pk)
    (message,) = mailoutbox
    link = re.search(r"https?://\S+/shop/unsubscribe/\S+", message.body).group(0)
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert f'href="{link}"' in message.alternatives[0][0]
    return member, link.split("127.0.0.1:8000", 1)[1]


def test_the_link_names_no_member(sent):
    member, path = sent
    token = path.rsplit("/", 1)[1]
    payload = token.split(":")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    for secret in (member.member_id, str(member.pk), member.email):
        assert secret not in token and secret not in decoded


def test_get_asks_and_changes_nothing_then_post_unsubscribes(sent):
    member, path = sent
    page = Client().get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-state="confirm"' in html
    assert "Vous désabonner de nos e-mails ?" in html and '<form method="post">' in html
    member.refresh_from_db()
    assert member.email_opt_out is False
    done = Client(enforce_csrf_checks=True).post(path)  # a mail client's one-click POST: no cookie, no token
    assert done.status_code == 200
    assert 'data-state="done"' in done.content.decode() and "Vous êtes désabonné" in done.content.decode()
    member.refresh_from_db()
    assert member.email_opt_out is True
    # Opening the link again says so; nothing is sent to the member any more.
    assert 'data-state="done"' in Client().get(path).content.decode()
    assert services.notify_welcome(member=member) is None


def test_unsubscribing_skips_what_is_still_waiting(sent, program, mailoutbox):
    member, path = sent
    waiting = Notification.objects.create(
        program=program, member=member, kind="points_expiring", subject="2026-11", key="waiting-key"
    )
    Client().post(path)
    waiting.refresh_from_db()
    assert waiting.status == "skipped"
    assert services.notification_send(notification_id=waiting.pk) == "skipped"
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: base64.urlsafe_b64encode(b'"another-key"').decode().rstrip("=") + token[token.index(":") :],
        lambda token: token.split(":")[0],  # signature cut off
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_is_refused_and_changes_nothing(sent, mangle):
    member, path = sent
    prefix, token = path.rsplit("/", 1)
    bad = f"{prefix}/{mangle(token)}"
    for method in ("get", "post"):
        response = getattr(Client(), method)(bad)
        assert response.status_code == 400
        assert 'data-state="invalid"' in response.content.decode()
    member.refresh_from_db()
    assert member.email_opt_out is False


def test_a_genuine_link_that_names_nobody_any_more_is_404(sent):
    response = Client().get(f"/shop/unsubscribe/{unsubscribe_token('no-such-key')}")
    assert response.status_code == 404


def test_the_link_of_an_erased_member_is_404(sent):
    from rewards.services.erasure import member_erase

    member, path = sent
    member_erase(member=member, actor="staff:test")
    assert Client().get(path).status_code == 404
