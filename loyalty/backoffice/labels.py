"""The words staff read for stored codes (statuses, kinds, types), translated; and list filters that offer them.

The codes are the API's and stay in the database; these labels are only what the back office shows. They are kept
apart from the models' field choices so that a wording change needs no migration.
"""

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from unfold.contrib.filters.admin import DropdownFilter

from rewards.models import REDEMPTION_STATUS_LABELS, redemption_status_label

MEMBER_STATUS = {"active": _("Active"), "blocked": _("Blocked"), "merged": _("Merged")}
GIFT_TYPE = {"physical": _("Physical gift"), "voucher": _("Webshop voucher"), "digital": _("Digital gift")}
PROMOTION_KIND = {
    "spend": _("Points per amount spent"),
    "quantity": _("Points per item"),
    "basket": _("Points for a basket over a threshold"),
    "multiplier": _("Points multiplier"),
}
PROMOTION_STATUS = {"draft": _("Draft"), "live": _("Live"), "paused": _("Paused")}
# The calendar tells a live promotion that starts later from one running now, and says drafts are not live.
PROMOTION_CALENDAR_STATUS = {
    "live": _("Live"),
    "scheduled": pgettext_lazy("promotion status", "Scheduled (live, starts later)"),
    "draft": pgettext_lazy("promotion status", "Draft (not live)"),
    "paused": _("Paused"),
}
TIER_CHANGE_REASON = {
    "upgrade": pgettext_lazy("tier change", "Upgrade"),
    "assessment": pgettext_lazy("tier change", "Assessment"),
    "override": pgettext_lazy("tier change", "Set by hand"),
}
ENTRY_KIND = {
    "earn": _("Purchase"),
    "reversal": _("Purchase reversed"),
    "event": _("Event reward"),
    "redemption": _("Gift redeemed"),
    "refund": _("Refund"),
    "adjustment": _("Adjustment by staff"),
    "expiry": _("Expired"),
    "capture": _("Payment in points"),
    "transfer_in": _("Transfer received"),
    "transfer_out": _("Transfer sent"),
    "merge_in": _("Merged in"),
    "merge_out": _("Merged out"),
    "lock": _("Points held"),
    "release": _("Hold released"),
    "activation": _("Pending points available"),
}
NOTIFICATION_KIND = {
    "voucher_issued": _("Voucher issued"),
    "redemption_shipped": _("Gift shipped"),
    "redemption_delivered": _("Gift delivered"),
    "points_expiring": _("Points expiring (monthly digest)"),
    "welcome": _("Welcome on enrolment"),
}
NOTIFICATION_STATUS = {
    "pending": _("Waiting"),
    "sending": pgettext_lazy("notification status", "Sending"),
    "sent": pgettext_lazy("notification status", "Sent"),
    "failed": _("Failed"),
    "skipped": pgettext_lazy("notification status", "Skipped"),
}
WEBHOOK_STATUS = {"active": _("Active"), "disabled": _("Disabled")}
DELIVERY_STATUS = {"pending": _("Waiting"), "delivered": _("Delivered"), "failed": _("Failed")}
VOUCHER_STATUS = {"issued": _("Issued"), "used": _("Used"), "void": _("Void"), "expired": _("Expired")}
REDEMPTION_STATUS: dict[str, Any] = dict(REDEMPTION_STATUS_LABELS)


def label(labels: Mapping[str, Any], code: str | None) -> str:
    """The label of a code; an unknown code is shown as itself with spaces (never an error)."""
    if not code:
        return "—"
    return str(labels.get(code, code.replace("_", " ")))


def redemption_status(code: str) -> str:
    return redemption_status_label(code)


def choices_filter(
    field: str, labels: Mapping[str, Any], title: Any, dropdown: bool = False
) -> type[admin.SimpleListFilter]:
    """A list filter on a code field that offers the labels (the URL keeps the code: `?<field>=<code>`); as unfold's
    dropdown with `dropdown` (the ModelAdmin then needs `list_filter_submit = True`)."""
    base: type[admin.SimpleListFilter] = DropdownFilter if dropdown else admin.SimpleListFilter

    class LabelledChoicesFilter(base):  # type: ignore[valid-type,misc]
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
            return [(code, str(text)) for code, text in labels.items()]

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            value = self.value()
            return queryset.filter(**{field: value}) if value in labels else queryset

    LabelledChoicesFilter.title = title
    LabelledChoicesFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return LabelledChoicesFilter
