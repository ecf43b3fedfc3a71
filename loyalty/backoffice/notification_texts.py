"""E-mail notifications in the admin: the texts the marketing team writes per program, kind and language (with
a preview), which kinds a program sends, and the log of the e-mails (read-only).

A text the program has not written is the shipped default (rewards.notifications.texts): the preview shows
what a member would get either way, and "Customise" opens the add page filled with the default.
"""

from typing import Any
from urllib.parse import urlencode

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from loyalty.backoffice import labels
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.program_forms import report_problems
from loyalty.backoffice.scope import ProgramScopedAdmin, scope_queryset
from loyalty.core.translation import language_name
from programs.models import Program
from rewards.document import NOTIFICATION_TEXT_FIELDS, notification_text_problems
from rewards.models import Notification, NotificationKind, NotificationSettings, NotificationText
from rewards.notifications.preview import preview_email
from rewards.notifications.texts import PLACEHOLDER_HELP, PLACEHOLDERS, default_text


def placeholders_help() -> str:
    rows = format_html_join(
        "",
        "<li><strong>{}</strong>: {}</li>",
        (
            (label, ", ".join("{" + name + "}" for name in PLACEHOLDERS[kind]))
            for kind, label in NotificationKind.choices
        ),
    )
    meanings = format_html_join("", "<li><code>{{{}}}</code> — {}</li>", PLACEHOLDER_HELP.items())
    return format_html(
        "Placeholders by kind of e-mail:<ul>{}</ul>Their meaning:<ul>{}</ul>They are replaced as plain text "
        "(escaped in the HTML part); nothing else in the text is interpreted.",
        rows,
        meanings,
    )


class NotificationTextForm(forms.ModelForm):
    class Meta:
        model = NotificationText
        fields = ("program", "kind", "language", "subject", "text_body", "html_body")
        widgets = {
            "text_body": forms.Textarea(attrs={"rows": 12, "cols": 90}),
            "html_body": forms.Textarea(attrs={"rows": 12, "cols": 90}),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        program = cleaned.get("program")
        # The program file's checks, on the form's values in the file's shape: one set of rules for both.
        entry = {name: cleaned[name] for name in ("kind", "language", *NOTIFICATION_TEXT_FIELDS) if name in cleaned}
        languages = list(program.languages) if program is not None else None
        report_problems(self, notification_text_problems(entry, languages=languages))
        return cleaned


def _preview_query(program_id: int, kind: str, language: str) -> str:
    return urlencode({"program": program_id, "kind": kind, "language": language})


@admin.register(NotificationText)
class NotificationTextAdmin(MissingObjectIs404, ProgramScopedAdmin):
    form = NotificationTextForm
    list_display = ("program", "kind_label", "language", "subject", "updated_at", "preview_link")
    list_filter = ("program", labels.choices_filter("kind", labels.NOTIFICATION_KIND, _("kind")), "language")
    search_fields = ("subject", "text_body")
    list_select_related = ("program",)

    def get_fieldsets(self, request: HttpRequest, obj: NotificationText | None = None):
        return [
            (None, {"fields": ("program", "kind", "language")}),
            ("Text", {"fields": ("subject", "text_body", "html_body"), "description": placeholders_help()}),
        ]

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: NotificationText) -> str:
        return labels.label(labels.NOTIFICATION_KIND, obj.kind)

    @admin.display(description="Preview")
    def preview_link(self, obj: NotificationText) -> str:
        url = (
            reverse("admin:rewards_notificationtext_preview")
            + "?"
            + _preview_query(obj.program_id, obj.kind, obj.language)
        )
        return format_html('<a href="{}">Preview</a>', url)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """Links to the preview of each of the user's programs: the defaults are previewed before any text is
        written."""
        url = reverse("admin:rewards_notificationtext_preview")
        programs = scope_queryset(request, Program.objects.order_by("code"), "")[:20]
        links = [
            (program, f"{url}?{_preview_query(program.pk, NotificationKind.VOUCHER_ISSUED, program.default_language)}")
            for program in programs
        ]
        return super().changelist_view(request, {**(extra_context or {}), "preview_links": links})

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """`?kind=…&language=…` (the preview's "Customise" link): the shipped default to start from."""
        initial = super().get_changeform_initial_data(request)
        kind, language = request.GET.get("kind"), request.GET.get("language")
        if kind in PLACEHOLDERS and language:
            shipped = default_text(kind, language)
            if shipped is not None:
                initial.update(subject=shipped[0], text_body=shipped[1], html_body=shipped[2])
        return initial

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        # Framed by the preview page only; e-mail HTML is styled inline (no script runs: it has none, and the
        # frame is sandboxed).
        framed = csp_replace({"frame-ancestors": [SELF], "style-src": [SELF, UNSAFE_INLINE]})
        html = self.admin_site.admin_view(xframe_options_sameorigin(framed(self.preview_html_view)))
        return [
            path("preview/", preview, name="rewards_notificationtext_preview"),
            path("preview/html/", html, name="rewards_notificationtext_preview_html"),
            *super().get_urls(),
        ]

    def _preview_args(self, request: HttpRequest) -> tuple[Program, str, str]:
        if not self.has_view_permission(request):
            raise PermissionDenied
        programs = scope_queryset(request, Program.objects.all(), "")
        try:
            program = programs.get(pk=int(request.GET.get("program", "")))
        except (ValueError, Program.DoesNotExist):
            raise Http404("No such program.") from None
        kind, language = request.GET.get("kind", ""), request.GET.get("language", "")
        if kind not in PLACEHOLDERS or language not in program.languages:
            raise Http404("No such kind or language.")
        return program, kind, language

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The e-mail a member would get now (the program's text, or the default), with sample values."""
        program, kind, language = self._preview_args(request)
        email = preview_email(program=program, kind=kind, language=language)
        custom = NotificationText.objects.filter(program=program, kind=kind, language=language).first()
        query = _preview_query(program.pk, kind, language)
        others = [
            (
                other_kind,
                label,
                other_language,
                language_name(other_language),
                _preview_query(program.pk, other_kind, other_language),
            )
            for other_kind, label in NotificationKind.choices
            for other_language in program.languages
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview: {NotificationKind(kind).label} ({language_name(language)})",
            "program": program,
            "email": email,
            "custom": custom,
            "html_url": reverse("admin:rewards_notificationtext_preview_html") + "?" + query,
            "customise_url": reverse("admin:rewards_notificationtext_add") + "?" + query,
            "others": others,
            "kind": kind,
            "language": language,
        }
        return TemplateResponse(request, "admin/rewards/notification_preview.html", context)

    def preview_html_view(self, request: HttpRequest) -> HttpResponse:
        """The HTML part alone, framed by the preview page (e-mail HTML carries inline styles)."""
        program, kind, language = self._preview_args(request)
        return HttpResponse(preview_email(program=program, kind=kind, language=language).html)


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(MissingObjectIs404, ProgramScopedAdmin):
    list_display = (
        "program",
        "voucher_issued",
        "redemption_shipped",
        "redemption_delivered",
        "points_expiring",
        "welcome",
    )
    list_select_related = ("program",)


@admin.register(Notification)
class NotificationAdmin(MissingObjectIs404, ProgramScopedAdmin):
    """The log: what was sent to whom and when (no copy of the message is kept)."""

    list_display = ("created_at", "program", "member", "kind_label", "subject", "status_label", "attempts", "sent_at")
    list_filter = (
        "program",
        labels.choices_filter("kind", labels.NOTIFICATION_KIND, _("kind")),
        labels.choices_filter("status", labels.NOTIFICATION_STATUS, _("status")),
    )
    search_fields = ("member__member_id", "subject")
    list_select_related = ("program", "member")
    raw_id_fields = ("member", "redemption")
    date_hierarchy = "created_at"
    readonly_fields = (
        "program",
        "member",
        "kind_label",
        "subject",
        "redemption",
        "context",
        "status_label",
        "language",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
        "next_attempt_at",
    )
    exclude = ("key", "claim", "kind", "status")  # shown as their labels (kind_label, status_label)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: Notification) -> str:
        return labels.label(labels.NOTIFICATION_KIND, obj.kind)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: Notification) -> str:
        return labels.label(labels.NOTIFICATION_STATUS, obj.status)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
