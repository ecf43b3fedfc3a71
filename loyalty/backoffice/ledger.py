"""The points ledger in the admin: read-only, as the ledger is append-only (a correction is a new entry, made
by "Adjust points" on the member's page through `points_adjust`)."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from loyalty.backoffice import labels
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.scope import ProgramScopedAdmin
from rewards.models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(MissingObjectIs404, ProgramScopedAdmin):
    list_display = (
        "created_at",
        "member",
        "program",
        "kind_label",
        "points",
        "available_delta",
        "pending_delta",
        "locked_delta",
        "balance_after",
        "reference",
        "description",
    )
    list_filter = (labels.choices_filter("kind", labels.ENTRY_KIND, _("kind")), "program", "created_at")
    search_fields = ("=member__member_id", "=reference")
    search_help_text = "An exact member id or reference."
    list_select_related = ("member", "program")
    ordering = ("-id",)
    list_per_page = 50
    # Counting a million rows for "N total" would cost more than the page itself.
    show_full_result_count = False
    fields = (
        "program",
        "member",
        "kind_label",
        "reference",
        "points",
        "available_delta",
        "pending_delta",
        "locked_delta",
        "balance_after",
        "occurred_at",
        "created_at",
        "description",
        "earn",
        "redemption",
        "event",
    )

    readonly_fields = ("kind_label",)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: LedgerEntry) -> str:
        return labels.label(labels.ENTRY_KIND, obj.kind)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LedgerEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LedgerEntry | None = None) -> bool:
        return False
