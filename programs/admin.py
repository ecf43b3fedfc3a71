"""Admin of programs, event types and API clients.

API clients are created, revoked and rotated through `programs.services`: the secret is stored
hashed, so the admin shows it once, in the message that follows creation or rotation.
"""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html

from loyalty.translation import is_known_language
from programs.models import ApiClient, EventType, Program
from programs.services import (
    InvalidScopes,
    api_client_create,
    api_client_revoke,
    api_client_rotate_secret,
    normalize_scopes,
)


class ProgramForm(forms.ModelForm):
    class Meta:
        model = Program
        fields = (
            "code",
            "name",
            "currency",
            "timezone",
            "languages",
            "default_language",
            "expiry_months",
            "pending_days",
            "allow_negative_balance",
        )

    def clean_languages(self):
        languages = self.cleaned_data.get("languages")
        if not isinstance(languages, list) or not languages:
            raise forms.ValidationError('A JSON list of language codes, e.g. ["en", "fr"].')
        unknown = [code for code in languages if not is_known_language(code)]
        if unknown:
            raise forms.ValidationError(f"Unknown language codes: {', '.join(map(str, unknown))}.")
        if len(set(languages)) != len(languages):
            raise forms.ValidationError("Each language may appear once.")
        return languages

    def clean_currency(self):
        return (self.cleaned_data.get("currency") or "").upper()

    def clean_timezone(self):
        name = self.cleaned_data.get("timezone")
        if name not in zoneinfo.available_timezones():
            raise forms.ValidationError("Unknown time zone, e.g. Europe/Brussels.")
        return name

    def clean(self):
        cleaned = super().clean()
        languages, default = cleaned.get("languages"), cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error("default_language", "Must be one of the program's languages.")
        return cleaned


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    form = ProgramForm
    list_display = ("code", "name", "currency", "default_language", "language_codes", "timezone", "expiry_months")
    list_filter = ("currency", "default_language")
    search_fields = ("code", "name")
    readonly_fields = ("rules_version", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "name", "currency", "timezone")}),
        ("Languages", {"fields": ("languages", "default_language")}),
        ("Points", {"fields": ("expiry_months", "pending_days", "allow_negative_balance")}),
        ("History", {"fields": ("rules_version", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="languages")
    def language_codes(self, obj: Program) -> str:
        return ", ".join(obj.languages or [])


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "display_name", "program", "points", "per_day_limit", "lifetime_limit", "active")
    list_filter = ("program", "active")
    search_fields = ("code", "name")
    list_select_related = ("program",)

    @admin.display(description="name")
    def display_name(self, obj: EventType) -> str:
        return obj.program.text(obj.name)


def scope_choices() -> list[tuple[str, str]]:
    return [(scope, f"{scope} — {text}") for scope, text in settings.API_SCOPES.items()]


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=scope_choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ("program", "name", "scopes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "scopes" in self.fields:
            self.initial["scopes"] = self.instance.scopes.split()

    def clean_scopes(self) -> str:
        try:
            return normalize_scopes(self.cleaned_data.get("scopes") or [])
        except InvalidScopes as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
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
            super().save_model(request, obj, form, change)
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

    @admin.action(description="Revoke the selected API clients (their tokens stop at once)")
    def revoke(self, request, queryset):
        count = 0
        for client in queryset.filter(active=True):
            api_client_revoke(client=client)
            count += 1
        self.message_user(request, f"{count} API client(s) revoked.", messages.SUCCESS)

    @admin.action(description="Rotate the secret of the selected API clients")
    def rotate_secret(self, request, queryset):
        for client in queryset.select_related("application"):
            if not client.active:
                self.message_user(request, f"“{client.name}” is revoked: its secret was not rotated.", messages.WARNING)
                continue
            secret = api_client_rotate_secret(client=client)
            self._show_secret(request, client, secret, "has a new secret")
