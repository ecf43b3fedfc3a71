"""Writes on the catalog: stock moves with F() and a guard on the rows touched."""

import datetime

from django.db.models import F

from catalog.models import Gift


def gift_on_offer(gift: Gift, now: datetime.datetime) -> bool:
    """Validated, inside its validity window, and in an active category (parents included)."""
    if not gift.validated:
        return False
    if gift.valid_from is not None and now < gift.valid_from:
        return False
    if gift.valid_until is not None and now >= gift.valid_until:
        return False
    category = gift.category
    seen = 0
    while category is not None and seen < 32:
        if not category.active:
            return False
        category, seen = category.parent, seen + 1
    return True


def gift_stock_take(*, gift: Gift, quantity: int) -> bool:
    """Takes units from a limited stock atomically; False when not enough are left. Unlimited: True."""
    if gift.stock is None:
        return True
    return Gift.objects.filter(pk=gift.pk, stock__gte=quantity).update(stock=F("stock") - quantity) == 1


def gift_stock_return(*, gift: Gift, quantity: int) -> None:
    Gift.objects.filter(pk=gift.pk, stock__isnull=False).update(stock=F("stock") + quantity)
