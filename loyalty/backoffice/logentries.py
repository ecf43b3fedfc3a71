"""The admin's audit log (Django's LogEntry), read-only, for superusers.

Every object's change page has its own "History" (who changed what and when); this list shows them all at
once. It is not scoped per program (a log row only names its object), so staff users read the history of the
objects they can see, on each object's page, and superusers read this list.
"""

from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from unfold import admin as unfold_admin


@admin.register(LogEntry)
class LogEntryAdmin(unfold_admin.ModelAdmin):
    list_display = ("action_time", "user", "content_type", "object_link", "action_flag", "message")
    list_filter = ("action_flag", "content_type", "action_time")
    search_fields = ("object_repr", "object_id", "user__username", "change_message")
    list_select_related = ("user", "content_type")
    date_hierarchy = "action_time"
    ordering = ("-action_time",)
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LogEntry | None = None) -> bool:
        return False

    @admin.display(description="object", ordering="object_repr")
    def object_link(self, entry: LogEntry) -> str:
        if entry.action_flag == DELETION or entry.content_type is None:
            return entry.object_repr
        try:
            url = reverse(
                f"admin:{entry.content_type.app_label}_{entry.content_type.model}_history", args=[entry.object_id]
            )
        except NoReverseMatch:
            return entry.object_repr
        return format_html('<a href="{}">{}</a>', url, entry.object_repr)

    @admin.display(description="change")
    def message(self, entry: LogEntry) -> str:
        return entry.get_change_message()
