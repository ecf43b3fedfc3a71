"""A notification through Django's SMTP backend to a real SMTP server (aiosmtpd) started on 127.0.0.1."""

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from catalog.models import Gift
from rewards.models import Notification
from rewards.services.redemption import redeem
from tests.factories import GiftFactory, MemberFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_a_voucher_email_reaches_a_real_smtp_server_with_both_parts(
    program, smtp_server, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    member = MemberFactory(program=program, member_id="M-1", language="it", first_name="Giulia")
    gift = GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00", voucher_valid_days=30)
    gift.name = {"en": "10 EUR voucher", "it": "Buono da 10 EUR"}
    gift.save()
    fund(member, 100)
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST=controller.hostname,
            EMAIL_PORT=controller.port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            DEFAULT_FROM_EMAIL="rewards@shop.example",
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        redemption = redeem(program=program, member=member, gift=gift, quantity=1, reference="R1")
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "rewards@shop.example"
    assert envelope.rcpt_tos == [member.email]
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "Il tuo buono per Buono da 10 EUR è pronto"
    assert message["From"] == f"{program.name} <rewards@shop.example>"
    assert (
        str(message["List-Unsubscribe"]).strip().startswith("<http")
        and "/shop/unsubscribe/" in message["List-Unsubscribe"]
    )
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    code = redemption.voucher.code
    assert text.startswith("Ciao Giulia,") and code in text and "Data di scadenza:" in text
    assert code in html and '<html lang="it">' in html
    assert Notification.objects.get().status == "sent"
