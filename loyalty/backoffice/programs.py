"""Admin of programs, event types and API clients, scoped to the user's programs (`loyalty.backoffice.scope`).

A staff user sees only the programs they are attached to, cannot add one, and cannot change who its staff
are: superusers attach staff users on the program page. API clients are created, revoked and rotated through
`programs.services`: the secret is stored hashed, so the admin shows it once, in the message that follows
creation or rotation.

Tiers are edited on their program's change page, one row each with a name input per language of the program;
the changes are saved in the page's transaction with `programs.services.tiers_changed` (positions follow the
thresholds again, evaluations reload the rules), as is a change of the tier window. A tier that promotions
refer to cannot be deleted (a promotion restricted to it alone would apply to every tier), nor one that
members are in or their tier history names (protected by the database).
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin

from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.program_forms import ApiClientForm, EventTypeForm, ProgramForm, TierForm, TierFormSet
from loyalty.backoffice.scope import ProgramScopedAdmin
from loyalty.backoffice.translations import TranslatedFieldsAdmin, field_name, translated_form
from loyalty.core.translation import language_name
from programs.models import ApiClient, EventType, Program, Tier
from programs.services import (
    api_client_create,
    api_client_revoke,
    api_client_rotate_secret,
    api_client_update,
    tiers_changed,
)


class TierInline(unfold_admin.TabularInline):
    """The program's tiers, lowest first; names one input per language of the program (the parent object)."""

    model = Tier
    form = TierForm
    formset = TierFormSet
    extra = 1
    ordering = ("threshold",)
    readonly_fields = ("position", "name_display")  # the display only on read-only pages

    def _editable(self, request: HttpRequest, obj: Program | None) -> bool:
        return self.has_change_permission(request, obj) or self.has_add_permission(request, obj)

    def get_fields(self, request: HttpRequest, obj: Program | None = None):
        if obj is None or not self._editable(request, obj):
            return ("code", "name_display", "threshold", "position")
        return ("code", *(field_name("name", language) for language in obj.languages), "threshold", "position")

    def get_formset(self, request: HttpRequest, obj: Program | None = None, **kwargs: Any):
        languages = list(obj.languages) if obj is not None and self._editable(request, obj) else []
        kwargs["form"] = translated_form(self.form, ("name",), languages)
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="name")
    def name_display(self, tier: Tier) -> str:
        texts = tier.name or {}
        order = [*tier.program.languages, *(code for code in texts if code not in tier.program.languages)]
        return " · ".join(f"{language_name(code)}: {texts[code]}" for code in order if texts.get(code)) or "—"


@admin.register(Program)
class ProgramAdmin(MissingObjectIs404, ProgramScopedAdmin):
    program_path = ""  # the program itself
    form = ProgramForm
    list_display = ("code", "name", "currency", "default_language", "language_codes", "timezone", "expiry_months")
    list_filter = ("currency", "default_language")
    search_fields = ("code", "name")
    readonly_fields = ("rules_version", "created_at", "updated_at")
    filter_horizontal = ("staff",)

    def get_fieldsets(self, request: HttpRequest, obj: Program | None = None):
        fieldsets = [
            (None, {"fields": ("code", "name", "currency", "timezone")}),
            ("Languages", {"fields": ("languages", "default_language")}),
            ("Points", {"fields": ("expiry_months", "pending_days", "allow_negative_balance")}),
            ("Tiers", {"fields": ("tier_window_months",)}),
        ]
        if request.user.is_superuser:
            fieldsets.append(("Staff", {"fields": ("staff",)}))
        fieldsets.append(
            ("History", {"fields": ("rules_version", "created_at", "updated_at"), "classes": ("collapse",)})
        )
        return fieldsets

    def get_inline_instances(self, request: HttpRequest, obj: Program | None = None):
        # Tiers are named in the program's languages: they are added once the program exists.
        return [TierInline(self.model, self.admin_site)] if obj is not None else []

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        tiers_moved = any(formset.model is Tier and formset.has_changed() for formset in formsets)
        if tiers_moved or "tier_window_months" in form.changed_data:
            tiers_changed(program=form.instance)  # in the page's transaction

    def get_readonly_fields(self, request: HttpRequest, obj: Program | None = None):
        if obj is not None and not request.user.is_superuser:
            # Partners and program files refer to the code.
            return ("code", *self.readonly_fields)
        return self.readonly_fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "staff":
            kwargs["queryset"] = get_user_model().objects.filter(is_staff=True).order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:
        return request.user.is_superuser

    @admin.display(description="languages")
    def language_codes(self, obj: Program) -> str:
        return ", ".join(obj.languages or [])


@admin.register(EventType)
class EventTypeAdmin(MissingObjectIs404, TranslatedFieldsAdmin, ProgramScopedAdmin):
    form = EventTypeForm
    list_display = ("code", "display_name", "program", "points", "per_day_limit", "lifetime_limit", "active")
    list_filter = ("program", "active")
    search_fields = ("code", "name")
    list_select_related = ("program",)
    fieldsets = (
        (None, {"fields": ("program", "code", "name", "active")}),
        (_("Points"), {"fields": ("points", "per_day_limit", "lifetime_limit")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: EventType | None = None):
        # Partners send the code with each event: it does not change once created.
        return ("program", "code") if obj is not None else ()

    @admin.display(description="name")
    def display_name(self, obj: EventType) -> str:
        return obj.program.text(obj.name)


@admin.register(ApiClient)
class ApiClientAdmin(MissingObjectIs404, ProgramScopedAdmin):
    form = ApiClientForm
    list_display = ("name", "program", "client_id", "scopes", "active", "created_at", "revoked_at")
    list_filter = ("program", "active")
    search_fields = ("name", "application__client_id", "program__code")
    list_select_related = ("program", "application")
    actions = ("revoke", "rotate_secret")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("program", "name", "scopes")
        return ("program", "name", "scopes", "client_id", "active", "created_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        # The program is fixed: moving a client would hand its tokens another program's data.
        return ("program", "client_id", "active", "created_at", "revoked_at")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoke instead: the client stays as a record of who had access.
        return False

    @admin.display(description="client id", ordering="application__client_id")
    def client_id(self, obj: ApiClient) -> str:
        return obj.application.client_id

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        client, secret = api_client_create(
            program=form.cleaned_data["program"], name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
        )
        self._show_secret(request, client, secret, "created")
        return client

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service: the client's cached token grants follow the new scopes at once.
            api_client_update(client=obj, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"])
        # On add, save_form already created the client through the service.

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def _show_secret(self, request, client: ApiClient, secret: str, what: str) -> None:
        self.message_user(
            request,
            format_html(
                "API client “{}” {}. Client id: <code>{}</code> — client secret: <code>{}</code>. "
                "Copy the secret now: it is stored hashed and will not be shown again.",
                client.name,
                what,
                client.application.client_id,
                secret,
            ),
            messages.SUCCESS,
        )

    @admin.action(description="Revoke the selected API clients (their tokens stop at once)", permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for client in queryset.filter(active=True):
            api_client_revoke(client=client)
            self.log_change(request, client, "Revoked.")
            count += 1
        self.message_user(request, f"{count} API client(s) revoked.", messages.SUCCESS)

    @admin.action(description="Rotate the secret of the selected API clients", permissions=["change"])
    def rotate_secret(self, request, queryset):
        for client in queryset.select_related("application"):
            if not client.active:
                self.message_user(request, f"“{client.name}” is revoked: its secret was not rotated.", messages.WARNING)
                continue
            secret = api_client_rotate_secret(client=client)
            self.log_change(request, client, "Secret rotated.")
            self._show_secret(request, client, secret, "has a new secret")
