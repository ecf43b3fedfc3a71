"""Words for the codes the webshop shows (statuses, entry kinds), translated in the active language."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The words of a webshop, not of the ledger: "exchanged" is jargon, a member has "ordered" a gift. With a context,
# so that the same English word elsewhere (a voucher "Cancelled", an e-mail "Shipped") may translate otherwise.
REDEMPTION_STATUS = {
    "exchanged": pgettext_lazy("redemption status", "Ordered"),
    "in_preparation": pgettext_lazy("redemption status", "Being prepared"),
    "in_delivery": pgettext_lazy("redemption status", "Shipped"),
    "delivered": pgettext_lazy("redemption status", "Delivered"),
    "cancelled": pgettext_lazy("redemption status", "Cancelled"),
    "returned": pgettext_lazy("redemption status", "Returned"),
}

ENTRY_STATUS = {
    "pending": _("Pending"),
    "posted": _("Credited"),
    **REDEMPTION_STATUS,
}
# A posted row that took points (a return, an expiry, a transfer sent...): "Credited" would say the opposite.
POSTED_DEBIT = _("Debited")

ENTRY_KIND = {
    "earn": _("Purchase"),
    "reversal": _("Purchase returned"),
    "event": _("Bonus"),
    "redemption": _("Gift redeemed"),
    "refund": _("Points refunded"),
    "adjustment": _("Correction"),
    "expiry": _("Points expired"),
    "capture": _("Paid with points"),
    "transfer_in": _("Points received"),
    "transfer_out": _("Points sent"),
}

VOUCHER_STATUS = {
    "pending": _("Being issued"),
    "issued": _("Ready to use"),
    "used": _("Used"),
    "void": _("Cancelled"),
    "expired": _("Expired"),
}

GIFT_TYPE = {
    "physical": _("Delivered to your home"),
    "voucher": _("Voucher"),
    "digital": _("Digital"),
}


def label(words: dict, code: str) -> str:
    """The word for a code; an unknown code shows as it is rather than failing the page."""
    return str(words.get(code, code))
