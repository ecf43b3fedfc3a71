"""The CSV a fulfilment partner receives: one row per redemption, with the delivery address.

Delivery texts come from members (through partners): a cell that a spreadsheet would run as a formula
is prefixed with an apostrophe, except a phone number or an amount (`+32 2 123 45 67`, `-5`).
"""

import re
import zoneinfo
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext_lazy as _

from rewards.models import Redemption, redemption_status_label

# The header is for people (the partner's staff open the file in a spreadsheet): words in the staff user's
# language. The last column keeps the status code for a partner's program that reads the file.
COLUMNS = (
    _("Id"),
    _("Reference"),
    _("Created at"),
    _("Gift SKU"),
    _("Gift name"),
    _("Quantity"),
    _("Member name"),
    _("Delivery name"),
    _("Street"),
    _("Postal code"),
    _("City"),
    _("Country"),
    _("Phone"),
    _("Status"),
    _("Status code"),
)
DELIVERY_KEYS = ("name", "street", "postal_code", "city", "country", "phone")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_LIKE = re.compile(r"^[+-]?[\d ()./-]+$")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER_LIKE.fullmatch(text):
        return "'" + text
    return text


def fulfilment_rows(redemptions: Iterable[Redemption]) -> Iterator[list[str]]:
    """The header, then a row per redemption (load them with member, gift and program selected)."""
    yield [str(column) for column in COLUMNS]
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    for r in redemptions:
        program = r.program
        zone = zones.setdefault(program.timezone, zoneinfo.ZoneInfo(program.timezone))
        delivery = r.delivery if isinstance(r.delivery, dict) else {}
        member_name = " ".join(part for part in (r.member.first_name, r.member.last_name) if part)
        row = [
            r.pk,
            r.reference,
            r.created_at.astimezone(zone).isoformat(timespec="seconds"),
            r.gift.sku,
            program.text(r.gift.name),
            r.quantity,
            member_name,
            *(delivery.get(key) or "" for key in DELIVERY_KEYS),
            redemption_status_label(r.status),
            r.status,
        ]
        yield [safe_cell(value) for value in row]
