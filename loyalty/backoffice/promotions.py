"""Admin of promotions: one form for the whole definition, validated like a program file, saved by the services.

Saving goes through `promotion_create` / `promotion_save` (the version moves only when something changed, and
the program's rules are reloaded everywhere); go live, pause and duplicate are actions calling the services;
the change page links to a basket preview and a simulation over past earns (`admin_preview`,
`admin_simulation`). Each action is logged in the object's history.
"""

import re
import zoneinfo
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from unfold.widgets import INPUT_CLASSES

from loyalty.backoffice import labels, promotion_calendar, promotion_golive
from loyalty.backoffice import promotion_preview as admin_preview
from loyalty.backoffice import promotion_simulation as admin_simulation
from loyalty.backoffice.missing import MissingObjectIs404
from loyalty.backoffice.program_forms import report_problems
from loyalty.backoffice.promotion_pickers import CodePickerWidget, suggest_view, unseen_messages
from loyalty.backoffice.promotion_vocabulary import unseen, vocabulary
from loyalty.backoffice.scope import ProgramScopedAdmin, staff_programs
from loyalty.backoffice.translations import TranslatedFieldsAdmin, TranslatedTextsForm
from members.models import Segment
from programs.models import Program, Tier
from rewards.document import promotion_problems
from rewards.models import Promotion
from rewards.services.promotions import (
    ALL_KIND_KEYS,
    DEFINITION_FIELDS,
    KIND_KEYS,
    promotion_create,
    promotion_delete,
    promotion_duplicate,
    promotion_save,
    promotion_set_status,
)

SEPARATORS = re.compile(r"[,\r\n]+")
# The rule fields and the kinds that use them (the contract's "promotion keys by kind").
KINDS_OF_FIELD: dict[str, list[str]] = {
    name: [kind for kind, _ in Promotion.KINDS if name in KIND_KEYS[kind]] for name in sorted(ALL_KIND_KEYS)
}
PICKER_FIELDS = ("products", "product_categories", "channels")
MAX_GO_LIVE = 50  # promotions on one confirmation page
DATES = _("Dates")  # the fieldset that says the time zone


class CodeListField(forms.CharField):
    """A JSON list of codes edited as text: one per line, or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""  # None only for a CharField whose empty_value is None
        return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def _file_value(value: Any) -> Any:
    """A cleaned form value in the program file's shape (decimals and times as strings)."""
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return format(value, "f")  # Decimal


class TierChoiceField(forms.ModelMultipleChoiceField):
    """The program's tiers as checkboxes, named in the program's language with their threshold."""

    widget = forms.CheckboxSelectMultiple
    with_program = False  # on an add page of a user with several programs: which program each tier is of

    def label_from_instance(self, obj: Tier) -> str:
        program: Program = obj.program
        threshold = gettext("from %(points)s points") % {"points": obj.threshold}
        label = f"{obj.code} — {program.text(obj.name) or obj.code} ({threshold})"
        return f"{program.code}: {label}" if self.with_program else label


def _verbose_name(name: str) -> str:
    field = Promotion._meta.get_field(name)
    # A definition field is a model field (a reverse relation, which has no verbose name, never changes here);
    # str: the change message is stored as JSON.
    return str(field.verbose_name) if isinstance(field, models.Field) else name


class PromotionForm(TranslatedTextsForm):
    required_translations = ("name",)
    saved_changes: list[str]  # set by PromotionAdmin.save_model: what the service changed
    products = CodeListField(
        required=False,
        widget=CodePickerWidget("products"),
        help_text=_("SKUs, one a line. Empty with no categories: every line."),
    )
    product_categories = CodeListField(
        label=_("Product categories"),
        required=False,
        widget=CodePickerWidget("product_categories"),
        help_text=_("Category codes exactly as the tills send them (case counts), one a line."),
    )
    channels = CodeListField(
        required=False,
        widget=CodePickerWidget("channels"),
        help_text=_("e.g. store, web, app, one a line. Empty: every channel."),
    )

    class Meta:
        model = Promotion
        fields = (
            "program",
            "code",
            "kind",
            "status",
            "rate",
            "points",
            "threshold",
            "factor",
            "min_amount",
            "max_points",
            "products",
            "product_categories",
            "channels",
            "segments",
            "tiers",
            "starts_at",
            "ends_at",
        )
        # The form's labels in the staff's language (the model's verbose names are English and stay so: no migration).
        labels = {
            "program": _("Program"),
            "code": _("Code"),
            "kind": pgettext_lazy("promotion field", "Kind"),
            "status": _("Status"),
            "rate": pgettext_lazy("promotion field", "Rate"),
            "points": _("Points"),
            "threshold": pgettext_lazy("promotion field", "Threshold"),
            "factor": pgettext_lazy("promotion field", "Factor"),
            "min_amount": pgettext_lazy("promotion field", "Minimum amount"),
            "max_points": pgettext_lazy("promotion field", "Maximum points"),
            "segments": _("Segments"),
            "tiers": pgettext_lazy("promotion field", "Tiers"),
            "starts_at": pgettext_lazy("promotion field", "Starts at"),
            "ends_at": pgettext_lazy("promotion field", "Ends at"),
        }
        help_texts = {
            "rate": _("Points per amount spent: points per 1.00 of eligible amount."),
            "points": _("Points per item: points per unit; basket over a threshold: points once it is reached."),
            "threshold": _("Basket over a threshold: eligible amount to reach."),
            "factor": _(
                "Multiplier: > 1, applied to what “points per amount spent” promotions give the eligible lines."
            ),
            "max_points": _("Cap of this promotion's points in one transaction."),
            "segments": _("Empty: every member, guests included. Several: members of any of them."),
            "tiers": _("Empty: any tier, or none. Several: members in any of them."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The staff's words for the stored codes (the model's choices are the codes' English names).
        for name, words in (("kind", labels.PROMOTION_KIND), ("status", labels.PROMOTION_STATUS)):
            field = self.fields.get(name)
            if isinstance(field, forms.ChoiceField):
                current: list[tuple[Any, Any]] = list(field.choices)  # type: ignore[arg-type]
                field.choices = [(code, words.get(code, text) if code else text) for code, text in current]
        # Which kinds use each rule field: promotion_form.js shows only the chosen kind's.
        for name, kinds in KINDS_OF_FIELD.items():
            if name in self.fields:
                self.fields[name].widget.attrs["data-promotion-kinds"] = " ".join(kinds)
        for name, field in self.fields.items():
            if name.startswith("name_"):
                # The per-language inputs in the theme's look, fitting a phone's width (no fixed size).
                field.widget.attrs.pop("size", None)
                field.widget.attrs["class"] = " ".join(INPUT_CLASSES)
        program = self.instance.program if getattr(self.instance, "program_id", None) else None
        if program is None and "program" in self.fields:
            choices = getattr(self.fields["program"], "queryset", None)
            if choices is not None and not self.is_bound:
                only = list(choices[:2])
                program = only[0] if len(only) == 1 else None
        self.unseen: dict[str, list[str]] = {}
        self._set_pickers(program, None if self.is_bound else self.initial)

    def _set_pickers(self, program: Program | None, values: Mapping[str, Any] | None) -> None:
        """Tells the pickers the program, and flags the codes no recent earn of the program carried."""
        words = vocabulary(program) if program is not None else None
        for name in PICKER_FIELDS:
            widget = self.fields[name].widget
            if not isinstance(widget, CodePickerWidget):
                continue
            widget.program = program
            codes = (values or {}).get(name) or []
            if words is not None and isinstance(codes, list):
                messages_ = unseen_messages(name, unseen(words, name, codes))
                widget.warnings = messages_
                if messages_:
                    self.unseen[name] = messages_

    def code_value(self) -> str | None:
        return self.cleaned_data.get("code") if "code" in self.fields else self.instance.code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        program = self.form_program()
        if program is None:
            return cleaned
        code = self.code_value()
        foreign = [tier.code for tier in cleaned.get("tiers") or () if tier.program_id != program.pk]
        if foreign:
            self.add_error("tiers", f"Not tiers of {program.code}: {', '.join(foreign)}.")
        if "code" in self.fields and code:
            taken = Promotion.objects.filter(program=program, code=code).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("code", f"{program.code} already has a promotion {code}.")
        # The importer's checks, on the form's values in the file's shape: one set of rules for both.
        report_problems(self, promotion_problems(self.file_entry(code), program=program))
        # Free entry is allowed; a code the tills never sent is flagged beside its field (and after saving).
        self._set_pickers(program, cleaned)
        return cleaned

    def file_entry(self, code: str | None) -> dict[str, Any]:
        cleaned = self.cleaned_data
        entry: dict[str, Any] = {"name": cleaned.get("name", {})}
        if code:
            entry["code"] = code
        for name in ("kind", "status", "products", "product_categories", "channels", "starts_at", "ends_at"):
            if name in cleaned:
                entry[name] = _file_value(cleaned[name])
        for name in ("min_amount", "max_points"):
            if name in cleaned:
                entry[name] = _file_value(cleaned[name])
        if "segments" in cleaned:
            entry["segments"] = [segment.code for segment in cleaned["segments"]]
        if "tiers" in cleaned:
            entry["tiers"] = [tier.code for tier in cleaned["tiers"]]
        # A kind's key is in the file only when filled in: an empty one is "absent", another kind's is refused.
        for name in sorted(ALL_KIND_KEYS):
            if cleaned.get(name) is not None:
                entry[name] = _file_value(cleaned[name])
        return entry


@admin.register(Promotion)
class PromotionAdmin(MissingObjectIs404, TranslatedFieldsAdmin, ProgramScopedAdmin):
    form = PromotionForm
    list_display = (
        "code",
        "display_name",
        "program",
        "kind_label",
        "status_label",
        "starts_at",
        "ends_at",
        "segment_codes",
        "version",
    )
    list_filter = (
        labels.choices_filter("status", labels.PROMOTION_STATUS, _("status")),
        labels.choices_filter("kind", labels.PROMOTION_KIND, _("kind")),
        "program",
        "segments",
    )
    search_fields = ("code", "name")
    list_select_related = ("program",)
    autocomplete_fields = ("segments",)
    readonly_fields = ("version", "created_at", "updated_at")
    actions = ("go_live", "pause", "duplicate")

    class Media:
        css = {"all": ("backoffice/promotions.css",)}
        js = ("backoffice/promotion_form.js", "backoffice/code_picker.js")

    fieldsets = (
        (None, {"fields": ("program", "code", "name", "kind", "status")}),
        (_("Points"), {"fields": ("rate", "points", "threshold", "factor", "min_amount", "max_points")}),
        (_("Applies to"), {"fields": ("products", "product_categories", "channels", "segments", "tiers")}),
        (DATES, {"fields": ("starts_at", "ends_at")}),
        (_("Version"), {"fields": ("version", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    # ---- times in the program's time zone -------------------------------------------------------------------

    def timezone_name(self, request: HttpRequest, obj: Promotion | None = None) -> str | None:
        """The program's time zone: the promotion's, or on lists and add pages the only program of the user."""
        if obj is not None:
            return obj.program.timezone
        names = set(staff_programs(request.user).values_list("timezone", flat=True)[:2])
        return names.pop() if len(names) == 1 else None

    def _in_timezone(self, name: str | None, view, *args, **kwargs) -> HttpResponse:
        with timezone.override(zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()):
            response = view(*args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()  # now, inside the time zone
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        name = None
        if object_id is not None:
            try:
                name = (
                    self.get_queryset(request)
                    .filter(pk=unquote(object_id))
                    .values_list("program__timezone", flat=True)
                    .first()
                )
            except (ValueError, ValidationError):
                name = None  # a malformed id: the view answers 404
        else:
            name = self.timezone_name(request)
        return self._in_timezone(name, super().changeform_view, request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        return self._in_timezone(self.timezone_name(request), super().changelist_view, request, extra_context)

    def get_fieldsets(self, request: HttpRequest, obj: Promotion | None = None):
        name = self.timezone_name(request, obj) or str(timezone.get_default_timezone())
        return [
            (title, {**options, "description": gettext("Times in %(zone)s.") % {"zone": name}})
            if title is DATES
            else (title, options)
            for title, options in super().get_fieldsets(request, obj)
        ]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tiers":
            kwargs["form_class"] = TierChoiceField
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["queryset"] = Tier.objects.select_related("program").order_by("program__code", "threshold")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj: Promotion | None = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("tiers")
        if isinstance(field, TierChoiceField) and field.queryset is not None:
            # The promotion's program's tiers, lowest first; on an add page those of the user's programs.
            if obj is not None:
                field.queryset = field.queryset.filter(program=obj.program_id)
            else:
                field.with_program = field.queryset.order_by().values("program").distinct().count() > 1
        return form

    def get_queryset(self, request: HttpRequest):
        segments = Prefetch("segments", queryset=Segment.objects.only("id", "code", "program_id").order_by("code"))
        return super().get_queryset(request).prefetch_related(segments)

    def get_readonly_fields(self, request: HttpRequest, obj: Promotion | None = None):
        if obj is None:
            return self.readonly_fields
        # Earn snapshots and partners refer to the code; segments belong to the program.
        return ("program", "code", *self.readonly_fields)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("suggest/", wrap(self.suggest_view), name="{}_{}_suggest".format(*info)),
            path("calendar/", wrap(self.calendar_view), name="{}_{}_calendar".format(*info)),
            path("go-live/", wrap(self.go_live_many_view), name="{}_{}_go_live_many".format(*info)),
            path("<path:object_id>/go-live/", wrap(self.go_live_view), name="{}_{}_go_live".format(*info)),
            path("<path:object_id>/preview/", wrap(self.preview_view), name="{}_{}_preview".format(*info)),
            path("<path:object_id>/simulate/", wrap(self.simulate_view), name="{}_{}_simulate".format(*info)),
            *super().get_urls(),
        ]

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj: Promotion) -> str:
        return labels.label(labels.PROMOTION_KIND, obj.kind)

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, obj: Promotion) -> str:
        return labels.label(labels.PROMOTION_STATUS, obj.status)

    @admin.display(description=_("name"))
    def display_name(self, obj: Promotion) -> str:
        return obj.program.text(obj.name)

    @admin.display(description=_("segments"))
    def segment_codes(self, obj: Promotion) -> str:
        return ", ".join(s.code for s in obj.segments.all()) or gettext("everyone")

    # ---- saving through the services -----------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: Promotion, form: PromotionForm, change: bool) -> None:
        data = form.cleaned_data
        values = {name: data[name] for name in DEFINITION_FIELDS if name in data}
        if change:
            saved = promotion_save(promotion=obj, values=values, segments=data.get("segments"), tiers=data.get("tiers"))
            form.saved_changes = saved.changed
            obj.version = saved.promotion.version
            return
        created = promotion_create(
            program=data["program"],
            code=data["code"],
            values=values,
            segments=data["segments"],
            tiers=data.get("tiers") or (),
        )
        obj.pk, obj.version = created.pk, created.version
        obj._state.adding, obj._state.db = False, created._state.db

    def save_form(self, request: HttpRequest, form: PromotionForm, change: bool) -> Any:
        for warnings in form.unseen.values():
            for warning in warnings:
                self.message_user(
                    request, gettext("Saved, but check: %(warning)s") % {"warning": warning}, messages.WARNING
                )
        return super().save_form(request, form, change)

    def save_related(self, request: HttpRequest, form: PromotionForm, formsets: Any, change: bool) -> None:
        pass  # the service saved the segments and tiers with the rest

    def construct_change_message(self, request, form, formsets, add=False):
        changes = getattr(form, "saved_changes", None)
        if add or changes is None:
            return super().construct_change_message(request, form, formsets, add)
        # What the service found different from the stored promotion (not what the text inputs say).
        labels = [capfirst(_verbose_name(name)) for name in changes]
        return [{"changed": {"fields": labels}}] if labels else []

    def delete_model(self, request: HttpRequest, obj: Promotion) -> None:
        promotion_delete(promotion=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for promotion in queryset.select_related("program"):
            self.delete_model(request, promotion)

    # ---- actions ------------------------------------------------------------------------------------------

    def _set_status(self, request: HttpRequest, queryset, status: str, allowed: tuple[str, ...]) -> None:
        moved, skipped = [], []
        for promotion in queryset.select_related("program"):
            if promotion.status not in allowed:
                skipped.append(promotion.code)
                continue
            before = promotion.status
            promotion_set_status(promotion=promotion, status=status)
            self.log_change(request, promotion, f"Status {before} → {status} (version {promotion.version}).")
            moved.append(promotion.code)
        if moved:
            word = labels.label(labels.PROMOTION_STATUS, status)
            self.message_user(request, f"{word}: {', '.join(moved)}.", messages.SUCCESS)
        if skipped:
            left = gettext("Left as they were: %(codes)s.") % {"codes": ", ".join(skipped)}
            self.message_user(request, left, messages.WARNING)

    @admin.action(description=_("Go live…"), permissions=["change"])
    def go_live(self, request: HttpRequest, queryset) -> HttpResponse:
        """To the confirmation page (preview and reach); only its confirmation moves the status."""
        ids = ",".join(str(pk) for pk in queryset.order_by("code").values_list("pk", flat=True)[:MAX_GO_LIVE])
        return HttpResponseRedirect(f"{reverse('admin:rewards_promotion_go_live_many')}?{urlencode({'ids': ids})}")

    @admin.action(description=_("Pause"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset) -> None:
        self._set_status(request, queryset, Promotion.PAUSED, (Promotion.LIVE,))

    @admin.action(description=_("Duplicate as a draft"), permissions=["add"])
    def duplicate(self, request: HttpRequest, queryset) -> HttpResponse | None:
        copies = []
        for promotion in queryset.select_related("program"):
            copy = promotion_duplicate(promotion=promotion)
            self.log_addition(request, copy, f"Duplicated from {promotion.code}.")
            copies.append(copy)
        self.message_user(
            request,
            gettext("Draft copies: %(codes)s. Edit, preview, then go live.")
            % {"codes": ", ".join(c.code for c in copies)},
            messages.SUCCESS,
        )
        if len(copies) == 1:
            return HttpResponseRedirect(reverse("admin:rewards_promotion_change", args=[copies[0].pk]))
        return None

    # ---- preview and simulation ---------------------------------------------------------------------------

    def _trial_object(self, request: HttpRequest, object_id: str) -> Promotion:
        promotion = self.get_object(request, unquote(object_id))
        if promotion is None:
            raise Http404("No such promotion.")
        if not self.has_view_permission(request, promotion):
            raise PermissionDenied
        return promotion

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_preview.preview_page(self, request, self._trial_object(request, object_id))

    def simulate_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return admin_simulation.simulation_page(self, request, self._trial_object(request, object_id))

    # ---- go live with a confirmation, the calendar, the pickers' suggestions --------------------------------------

    def go_live_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return promotion_golive.go_live_page(self, request, [self._trial_object(request, object_id)])

    def go_live_many_view(self, request: HttpRequest) -> HttpResponse:
        raw = (request.POST if request.method == "POST" else request.GET).get("ids", "")
        ids = [int(part) for part in raw.split(",") if part.strip().isdigit()][:MAX_GO_LIVE]
        promotions = list(self.get_queryset(request).filter(pk__in=ids).select_related("program").order_by("code"))
        if not promotions:
            raise Http404("No such promotion.")
        return promotion_golive.go_live_page(self, request, promotions)

    def calendar_view(self, request: HttpRequest) -> HttpResponse:
        return promotion_calendar.calendar_page(self, request)

    def suggest_view(self, request: HttpRequest) -> HttpResponse:
        return suggest_view(self, request)
