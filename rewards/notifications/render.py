"""A notification as an e-mail: the member's language, the program's text (or the shipped default), the
placeholders' values, the layout with the unsubscribe link, plain-text and HTML parts.

The layout (templates/email/notification.html) is the project's own template; the staff-written text enters it
as a value already substituted and escaped, never as template code.
"""

import datetime
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from programs.models import Program
from rewards.notification_models import NotificationText
from rewards.notifications.texts import default_text, html_from_text, substitute

UNSUBSCRIBE_SALT = "rewards.notifications.unsubscribe"


def unsubscribe_token(key: str) -> str:
    """The signed token of the unsubscribe link: the notification's random key, nothing about the member."""
    return signing.dumps(key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_key(token: str) -> str | None:
    """The key a token was signed for, or None when it was not signed by this server (tampered, made up)."""
    try:
        key = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return key if isinstance(key, str) else None


def unsubscribe_url(key: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("shop:unsubscribe", args=[unsubscribe_token(key)])


def member_language(program: Program, language: str) -> str:
    """The member's language when the program has it, otherwise the program's default."""
    return language if language and language in program.languages else program.default_language


class TextBook:
    """The texts of one program (its own, loaded once, then the shipped defaults), for many messages."""

    def __init__(self, program: Program, kinds: Iterable[str] | None = None):
        self.program = program
        rows = NotificationText.objects.filter(program=program)
        if kinds is not None:
            rows = rows.filter(kind__in=list(kinds))
        self.custom = {(row.kind, row.language): row for row in rows}

    def _in(self, kind: str, language: str) -> tuple[str, str, str] | None:
        row = self.custom.get((kind, language))
        if row is not None:
            return row.subject, row.text_body, row.html_body or html_from_text(row.text_body)
        return default_text(kind, language)

    def text(self, kind: str, language: str) -> tuple[str, tuple[str, str, str]]:
        """(language used, (subject, text, html)): the member's language, else the program's default, else
        English (a language the project ships no default for, with no text of the program's own)."""
        for candidate in (language, self.program.default_language, "en"):
            found = self._in(kind, candidate)
            if found is not None:
                return candidate, found
        raise LookupError(kind)  # unreachable: every kind has an English default


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    language: str


def greeting(first_name: str) -> str:
    """In the active language."""
    first_name = " ".join(first_name.split())
    return _("Hello %(name)s,") % {"name": first_name} if first_name else _("Hello,")


def format_points(points: int) -> str:
    return formats.number_format(points, force_grouping=True)


def format_date(moment: datetime.datetime | None, program: Program) -> str:
    """A day in the program's timezone, written the active language's way; `none` for no date."""
    if moment is None:
        return pgettext("voucher expiry date", "none")
    local = moment.astimezone(zoneinfo.ZoneInfo(program.timezone)).date()
    return formats.date_format(local, "DATE_FORMAT")


def format_money(value: Decimal, currency: str) -> str:
    return f"{formats.number_format(value, 2, force_grouping=True)} {currency}"


def render_email(
    *,
    program: Program,
    kind: str,
    language: str,
    first_name: str,
    values: Mapping[str, object],
    texts: TextBook,
    link: str,
) -> Email:
    """The e-mail of `kind` for a member speaking `language`. `values` may hold callables of no argument, called
    in the language of the message (dates, numbers)."""
    language, (subject, text, html) = texts.text(kind, member_language(program, language))
    with translation.override(language):
        filled = {"greeting": greeting(first_name), "first_name": first_name, "program": program.name}
        for name, value in values.items():
            filled[name] = str(value() if callable(value) else value)
        # Header injection is impossible (Django refuses new lines in headers), but a name with a line break
        # would fail the message: the subject is one line.
        subject = " ".join(substitute(subject, filled).split())
        body_text = substitute(text, filled).strip()
        body_html = substitute(html, filled, escape=True)
        notice = _("You receive this e-mail because you are a member of %(program)s.") % {"program": program.name}
        stop = _("To stop receiving these e-mails, open this link: %(url)s") % {"url": link}
        plain = f"{body_text}\n\n-- \n{notice}\n{stop}\n"
        page = render_to_string(
            "email/notification.html",
            {
                "language": language,
                "subject": subject,
                "program": program.name,
                "body": mark_safe(body_html),  # staff markup, values escaped by substitute()
                "unsubscribe_url": link,
            },
        )
    return Email(subject=subject, text=plain, html=page, language=language)


def sender(program: Program) -> str:
    """DEFAULT_FROM_EMAIL, named after the program when it carries no name of its own."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return settings.DEFAULT_FROM_EMAIL if name else formataddr((program.name, address))


def email_message(*, program: Program, to: str, email: Email, link: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=sender(program),
        to=[to],
        # RFC 2369 and RFC 8058: mail clients offer "unsubscribe" and may POST to the link (one click).
        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(email.html, "text/html")
    return message
