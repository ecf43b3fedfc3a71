"""Shapes model rows into what the webshop templates and its JSON endpoint show, in the active language."""

import datetime
from decimal import Decimal

from django.utils import formats, timezone

from catalog.models import Gift
from catalog.selectors import CategoryNode, gift_image_urls
from loyalty.shop.labels import (
    ENTRY_KIND,
    ENTRY_STATUS,
    GIFT_TYPE,
    POSTED_DEBIT,
    REDEMPTION_STATUS,
    VOUCHER_STATUS,
    label,
)
from loyalty.shop.selectors import CatalogCategory
from programs.models import Program
from rewards.history import entry_descriptions
from rewards.models import EntryKind, LedgerEntry, Redemption, RedemptionStatus
from rewards.selectors import entry_status

LOW_STOCK = 5


def money(value: Decimal, currency: str) -> str:
    return f"{formats.number_format(value, decimal_pos=2, force_grouping=True)} {currency}"


def local_date(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATE_FORMAT") if value else ""


def category_item(category: CatalogCategory, program: Program, language: str, current: CategoryNode | None) -> dict:
    node = category.node
    return {
        "code": node.code,
        "name": program.text(node.name, language),
        "depth": category.depth,
        "count": category.gift_count,
        "current": current is not None and node.id == current.id,
    }


def gift_card(gift: Gift, program: Program, language: str, available: int, *, with_description: bool = False) -> dict:
    in_stock = gift.stock is None or gift.stock > 0
    images = [url for url in gift_image_urls(gift) if url]
    return {
        "sku": gift.sku,
        "name": program.text(gift.name, language),
        "description": program.text(gift.description, language) if with_description else "",
        "image": images[0] if images else "",
        "points": gift.points,
        "type": gift.type,
        "type_label": label(GIFT_TYPE, gift.type),
        "value": money(gift.value, program.currency) if gift.value else "",
        "affordable": gift.points <= available,
        "missing": max(0, gift.points - available),
        "in_stock": in_stock,
        "low_stock": gift.stock if gift.stock is not None and 0 < gift.stock <= LOW_STOCK else None,
    }


def history_rows(entries: list[LedgerEntry], program: Program, language: str) -> list[dict]:
    """A page of history rows; the names in them (promotions, event types) are read once for the page."""
    descriptions = entry_descriptions(entries, program, language)
    return [history_row(entry, program, language, descriptions[entry.pk]) for entry in entries]


def history_row(entry: LedgerEntry, program: Program, language: str, description: str) -> dict:
    redemption = entry.redemption
    status = entry_status(entry)
    kind_label = label(ENTRY_KIND, entry.kind)
    detail = ""
    if redemption is not None:
        detail = program.text(redemption.gift.name, language)
    elif entry.kind == EntryKind.EVENT and entry.event is not None:
        kind_label = description  # what the member did ("Survey answered"), rather than "Bonus"
    elif entry.kind == EntryKind.ADJUSTMENT and description:
        kind_label = description  # the reason, written for the member's history
    elif entry.kind == EntryKind.EARN:
        detail = description  # the promotions that gave the points, by name
    return {
        "id": entry.pk,
        "occurred_at": entry.occurred_at,
        # Shown only where it is another day than the purchase or event: points posted later, at their moment.
        "posted_at": entry.created_at if _day(entry.created_at) != _day(entry.occurred_at) else None,
        "kind": entry.kind,
        "kind_label": kind_label,
        "detail": detail,
        "redemption_id": redemption.pk if redemption is not None and entry.kind == EntryKind.REDEMPTION else None,
        "points": entry.points,
        "status": status,
        "status_label": str(POSTED_DEBIT) if status == "posted" and entry.points < 0 else label(ENTRY_STATUS, status),
    }


def _day(moment: datetime.datetime) -> datetime.date:
    """The calendar day of a moment where the page is read (the program's time zone)."""
    return timezone.localtime(moment).date()


def _voucher(redemption: Redemption) -> dict | None:
    if redemption.gift.type != Gift.VOUCHER:
        return None
    voucher = getattr(redemption, "voucher", None)
    if voucher is None:
        if redemption.status != RedemptionStatus.EXCHANGED:
            return None
        return {
            "status": "pending",
            "status_label": label(VOUCHER_STATUS, "pending"),
            "code": "",
            "value": "",
            "expires_at": "",
        }
    status = voucher.current_status()
    return {
        "status": status,
        "status_label": label(VOUCHER_STATUS, status),
        "code": voucher.code,
        "value": money(voucher.value, voucher.currency),
        "expires_at": local_date(voucher.expires_at),
    }


def redemption_status_data(redemption: Redemption, language: str) -> dict:
    program = redemption.program
    gift = redemption.gift
    voucher = _voucher(redemption)
    waiting = voucher is not None and voucher["status"] == "pending"
    return {
        "id": redemption.pk,
        "reference": redemption.reference,
        "gift_sku": gift.sku,
        "gift_name": program.text(gift.name, language),
        "gift_type": gift.type,
        "quantity": redemption.quantity,
        "points": redemption.points,
        "created_at": redemption.created_at,
        "status": redemption.status,
        "status_label": label(REDEMPTION_STATUS, redemption.status),
        "voucher": voucher,
        "delivery": redemption.delivery if gift.type == Gift.PHYSICAL else None,
        # Only a voucher still being issued changes soon; other statuses move in days, by hand.
        "final": not waiting,
    }
