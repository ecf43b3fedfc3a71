"""Forms of the programs admin, and how every admin form reports the program importer's problems."""

import re
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from unfold.widgets import UnfoldAdminIntegerFieldWidget

from loyalty.backoffice.translations import TranslatedTextsForm
from loyalty.core.translation import is_known_language
from loyalty.core.values import MAX_INT, Spec, object_values, problems_of
from programs.document import TIER_WINDOW_MONTHS, event_type_spec, tier_spec
from programs.models import ApiClient, EventType, Program, Tier
from programs.services import InvalidScopes, normalize_scopes
from rewards.models import Promotion


def default_field(key: str) -> str:
    """The form field of an importer's JSON key: `rate` -> rate, `segments[1]` -> segments, `name.fr` -> name_fr."""
    if key.startswith("name."):
        return "name_" + key.removeprefix("name.")
    match = re.match(r"[a-z_]+", key)
    return match.group(0) if match else ""


def report_problems(
    form: forms.BaseForm, problems: Iterable[tuple[str, str]], field_of: Callable[[str], str] = default_field
) -> None:
    """Adds the importer's problems to the form, on their field when the form has it (else on the form)."""
    for key, message in problems:
        field = field_of(key)
        if field in form.errors:
            continue  # the form field already refused the value
        text = f"{key}: {message}" if "[" in key else message
        form.add_error(field if field in form.fields else None, text)


class ProgramForm(forms.ModelForm):
    tier_window_months = forms.IntegerField(
        label="Tier window (months)",
        min_value=TIER_WINDOW_MONTHS[0],
        max_value=TIER_WINDOW_MONTHS[1],
        initial=Program._meta.get_field("tier_window_months").default,
        help_text=Program._meta.get_field("tier_window_months").help_text,
        widget=UnfoldAdminIntegerFieldWidget,  # the admin styles only the model's own fields
    )

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
            "tier_window_months",
            "staff",
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

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns, without the None of Form.clean's signature
        languages, default = cleaned.get("languages"), cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error("default_language", "Must be one of the program's languages.")
        return cleaned


def document_problems(section: str, spec: Spec, entry: dict[str, Any]) -> list[tuple[str, str]]:
    """The program document's checks of one object (`section` names it in messages): (JSON key, message) pairs."""
    errors: list[str] = []
    object_values(entry, spec, section, errors)
    return problems_of(errors, section)


class ProgramCodeForm(TranslatedTextsForm):
    """A form of a program's object with a code unique in the program, checked like the program importer."""

    section = ""  # of the program file: "segments", "event_types"...
    # The section's keys and checks, from the owning app's document module; a plain function, called on the class.
    spec: ClassVar[Callable[[list[str] | None], Spec]]
    required_translations = ("name",)

    def code_value(self) -> str | None:
        return self.cleaned_data.get("code") if "code" in self.fields else self.instance.code

    def file_entry(self, code: str) -> dict[str, Any]:
        return {"code": code, "name": self.cleaned_data.get("name", {})}

    def problem_field(self, key: str) -> str:
        return default_field(key)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        program = self.form_program()
        code = self.code_value()
        if program is None or not code:
            return cleaned
        if "code" in self.fields:
            model = self._meta.model
            if model.objects.filter(program=program, code=code).exclude(pk=self.instance.pk).exists():
                self.add_error("code", f"{program.code} already has a {model._meta.verbose_name} {code}.")
        problems = document_problems(self.section, type(self).spec(program.languages), self.file_entry(code))
        report_problems(self, problems, self.problem_field)
        return cleaned


class EventTypeForm(ProgramCodeForm):
    section = "event_types"
    spec = event_type_spec

    class Meta:
        model = EventType
        fields = ("program", "code", "points", "per_day_limit", "lifetime_limit", "active")

    def file_entry(self, code: str) -> dict[str, Any]:
        cleaned = self.cleaned_data
        entry = super().file_entry(code)
        for key, name in (("points", "points"), ("active", "active")):
            if name in cleaned:
                entry[key] = cleaned[name]
        limits = {key: cleaned[name] for key, name in LIMITS.items() if name in cleaned}
        if limits:
            entry["limits"] = limits
        return entry

    def problem_field(self, key: str) -> str:
        return (
            LIMITS.get(key.removeprefix("limits."), default_field(key))
            if key.startswith("limits.")
            else super().problem_field(key)
        )


LIMITS = {"per_day": "per_day_limit", "lifetime": "lifetime_limit"}


class TierForm(ProgramCodeForm):
    """A tier, a row of the program page's tiers: checked like the `tiers` of a program file."""

    section = "tiers"
    spec = tier_spec
    threshold = forms.IntegerField(
        min_value=0, max_value=MAX_INT, help_text="Qualifying points needed.", widget=UnfoldAdminIntegerFieldWidget
    )

    class Meta:
        model = Tier
        fields = ("code", "threshold")

    def file_entry(self, code: str) -> dict[str, Any]:
        entry = super().file_entry(code)
        if self.cleaned_data.get("threshold") is not None:
            entry["threshold"] = self.cleaned_data["threshold"]
        return entry


def tier_promotions(tier: Tier) -> list[str]:
    """The codes of the promotions restricted to the tier: deleting it would widen them (to every tier, when it
    is their only one). Members in it and their tier history protect it in the database."""
    return sorted(Promotion.objects.filter(tiers=tier).values_list("code", flat=True))


class TierFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        problems = []
        for form in self.deleted_forms:
            if form.instance.pk is not None and (codes := tier_promotions(form.instance)):
                problems.append(f"Tier {form.instance.code} cannot be deleted: promotions {', '.join(codes)} use it.")
        if problems:
            raise forms.ValidationError(problems)


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
