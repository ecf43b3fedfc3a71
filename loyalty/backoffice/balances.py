"""Balances in the admin: read-only rows (a balance moves only with the ledger)."""

from django.contrib import admin

from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.scope import ProgramScopedAdmin
from rewards.models import PointsBalance


@admin.register(PointsBalance)
class PointsBalanceAdmin(MissingObjectIs404, ProgramScopedAdmin):
    """Read-only: a balance moves only with the ledger entries that explain it."""

    list_display = ("member", "program", "available", "pending", "locked", "total", "updated_at")
    list_filter = ("program",)
    search_fields = ("member__member_id", "member__email")
    list_select_related = ("member", "program")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
