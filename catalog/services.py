"""Writes on the catalog: stock moves with F() and a guard on the rows touched."""

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from catalog.models import Gift, GiftStockChange


class StockChanged(Exception):
    """The stock is no longer the value the caller saw (redemptions took or returned units meanwhile)."""

    def __init__(self, current: int | None):
        super().__init__(f"The stock is now {'unlimited' if current is None else current}.")
        self.current = current


class _Unset:
    """No expected value given: the stock is set whatever it is."""


UNSET = _Unset()


def gift_stock_take(*, gift: Gift, quantity: int) -> bool:
    """Takes units from a limited stock atomically; False when not enough are left. Unlimited: True."""
    if gift.stock is None:
        return True
    return Gift.objects.filter(pk=gift.pk, stock__gte=quantity).update(stock=F("stock") - quantity) == 1


def gift_stock_return(*, gift: Gift, quantity: int) -> None:
    Gift.objects.filter(pk=gift.pk, stock__isnull=False).update(stock=F("stock") + quantity)


def gift_stock_set(
    *,
    gift: Gift,
    stock: int | None,
    actor: str,
    reason: str = "",
    expected: int | _Unset | None = UNSET,
) -> GiftStockChange | None:
    """Sets the stock (None: unlimited) under the gift's row lock and logs who changed it.

    With `expected`, the change is refused with StockChanged when the stock is no longer that value
    (the admin passes what its form showed, so a redemption in between is not silently overwritten).
    Returns the log row, or None when the stock already had that value.
    """
    if stock is not None and stock < 0:
        raise ValueError("stock must be >= 0 or None")
    with transaction.atomic():
        current = Gift.objects.select_for_update(of=("self",)).values_list("stock", flat=True).get(pk=gift.pk)
        if not isinstance(expected, _Unset) and current != expected:
            raise StockChanged(current)
        gift.stock = stock
        if current == stock:
            return None
        Gift.objects.filter(pk=gift.pk).update(stock=stock, updated_at=timezone.now())
        return GiftStockChange.objects.create(gift=gift, before=current, after=stock, actor=actor, reason=reason[:255])


def gifts_set_validated(*, gifts: QuerySet[Gift], validated: bool) -> int:
    """Validates (puts on offer) or unvalidates the gifts; returns how many changed."""
    return gifts.exclude(validated=validated).update(validated=validated, updated_at=timezone.now())
