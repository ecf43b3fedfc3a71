"""A sample of each e-mail, for the admin's preview and the tests: the program's text (or the default) filled
with made-up values in the language asked."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from catalog.models import Gift
from programs.models import Program
from rewards.notification_models import NotificationKind as K
from rewards.notifications.render import (
    Email,
    TextBook,
    format_date,
    format_money,
    format_points,
    render_email,
    unsubscribe_url,
)

SAMPLE_CODE = "7KQM-2XRT-9HVC-P4ND-WJ6B"
SAMPLE_FIRST_NAME = "Anna"


def sample_values(program: Program, kind: str, language: str) -> dict:
    gift = Gift.objects.filter(program=program).order_by("pk").first()
    with override(language):
        gift_name = (program.text(gift.name, language) if gift else "") or _("Bluetooth speaker")
    now = timezone.now()
    values: dict = {}
    if kind in (K.VOUCHER_ISSUED, K.REDEMPTION_SHIPPED, K.REDEMPTION_DELIVERED):
        values["gift"] = gift_name
    if kind == K.VOUCHER_ISSUED:
        values.update(
            code=SAMPLE_CODE,
            value=lambda: format_money(Decimal("10.00"), program.currency),
            date=lambda: format_date(now + datetime.timedelta(days=90), program),
        )
    if kind == K.POINTS_EXPIRING:
        values.update(
            points=lambda: format_points(1250), date=lambda: format_date(now + datetime.timedelta(days=12), program)
        )
    return values


def preview_email(*, program: Program, kind: str, language: str, first_name: str = SAMPLE_FIRST_NAME) -> Email:
    return render_email(
        program=program,
        kind=kind,
        language=language,
        first_name=first_name,
        values=sample_values(program, kind, language),
        texts=TextBook(program, [kind]),
        link=unsubscribe_url("sample-preview-key"),
    )
