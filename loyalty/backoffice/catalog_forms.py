"""Forms of the catalog admin.

Translated JSON texts ({"en": "Mug", "fr": "Tasse"}) are edited as one field per program language
(`name_en`, `description_en`, ...); values are checked with the program importer's checks
(`catalog.document`), so a gift saved here is one an import would accept. The stock is not a model
field of the form: the admin sets it through `catalog.services.gift_stock_set`, which logs the change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminIntegerFieldWidget, UnfoldAdminTextareaWidget, UnfoldAdminTextInputWidget

from catalog.document import category_spec, gift_spec
from catalog.images import validate_gift_image
from catalog.models import Gift, GiftCategory, GiftImage
from catalog.selectors import category_ancestor_ids, category_outline
from loyalty.backoffice import labels
from loyalty.backoffice.translations import text_label
from loyalty.core.translation import language_name
from loyalty.core.values import BadValue
from programs.models import Program

GIFT_CHECKS = gift_spec(None)
CATEGORY_CHECKS = category_spec(None)


def run_check(check, value: Any) -> tuple[Any, list[str]]:
    """(cleaned value, []) or (None, messages) for one of the program document's value checks."""
    try:
        return check(value), []
    except BadValue as bad:
        return None, [f"{suffix.lstrip('.')}: {message}" if suffix else message for suffix, message in bad.problems]


class TranslatedForm(forms.ModelForm):
    """Expands JSON {language: text} model fields into one form field per language.

    `languages` and the per-language fields are set by `with_languages`, which the admin calls with the
    languages of the object's program.
    """

    languages: tuple[str, ...] = ()
    translated: tuple[str, ...] = ("name",)
    required_in_default_language: tuple[str, ...] = ("name",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.translated:
            texts = getattr(self.instance, field) or {}
            for language in self.languages:
                self.initial.setdefault(f"{field}_{language}", texts.get(language, ""))
        self.texts: dict[str, dict[str, str]] = {}

    def program(self) -> Program | None:
        cleaned = getattr(self, "cleaned_data", {})
        return cleaned.get("program") or (self.instance.program if self.instance.program_id else None)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns, without the None of Form.clean's signature
        program = self.program()
        for field in self.translated:
            # Texts in languages the form does not show (a language dropped from the program) are kept.
            texts = dict(getattr(self.instance, field) or {})
            for language in self.languages:
                name = f"{field}_{language}"
                value = (cleaned.get(name) or "").strip()
                if not value:
                    texts.pop(language, None)
                    continue
                texts[language] = value
                if program is not None and language not in program.languages:
                    self.add_error(
                        name,
                        _("%(language)s is not a language of %(program)s.")
                        % {"language": language_name(language), "program": program.code},
                    )
            self.texts[field] = texts
        if program is not None:
            default = program.default_language
            for field in self.required_in_default_language:
                if not self.texts.get(field, {}).get(default):
                    name = f"{field}_{default}"
                    message = _("Required in %(language)s, the program's default language.") % {
                        "language": language_name(default)
                    }
                    self.add_error(name if name in self.fields else None, message)
        return cleaned

    def _post_clean(self):
        # The JSON fields are not form fields: set them before the model's own validation.
        for field, texts in self.texts.items():
            setattr(self.instance, field, texts)
        super()._post_clean()  # type: ignore[misc]  # BaseModelForm._post_clean exists; the stubs omit private methods

    def check_code(self, cleaned: dict, field: str, check, model) -> None:
        """The importer's code check, and uniqueness in the program (the form may not show the program)."""
        value = cleaned.get(field)
        if value is None:
            return
        _, problems = run_check(check, value)
        for problem in problems:
            self.add_error(field, problem)
        program = self.program()
        if not problems and program is not None:
            clash = model.objects.filter(program=program, **{field: value}).exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(field, f"{program.code} already has {value}.")


def with_languages(form_class: type[TranslatedForm], languages: list[str]) -> type[TranslatedForm]:
    """A subclass of `form_class` with one field per language for each translated field.

    The fields are added after the admin styled the model's fields, so they take unfold's widgets themselves.
    """
    attrs: dict[str, Any] = {"languages": tuple(languages), "__module__": __name__}
    for field in form_class.translated:
        for language in languages:
            label = text_label(field, language)
            if field == "description":
                attrs[f"{field}_{language}"] = forms.CharField(
                    label=label, required=False, widget=UnfoldAdminTextareaWidget(attrs={"rows": 3, "lang": language})
                )
            else:
                attrs[f"{field}_{language}"] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=200,
                    widget=UnfoldAdminTextInputWidget(attrs={"lang": language}),
                )
    return type(form_class.__name__, (form_class,), attrs)  # created by the bases' metaclass, ModelFormMetaclass


def same_program_error(program: Program | None, related, what: str) -> str | None:
    if program is not None and related is not None and related.program_id != program.pk:
        return f"The {what} must belong to {program.code}."
    return None


def tree_labels(queryset: QuerySet[GiftCategory]) -> dict[int, str]:
    """Choice labels that show where a category sits: `HOME › KITCHEN` (prefixed by the program when
    the choices span several)."""
    rows: list[tuple[int, int | None, str, int, str]] = list(
        queryset.values_list("id", "parent_id", "program__code", "position", "code")
    )
    outline = category_outline(rows)
    several = len({row[2] for row in rows}) > 1
    programs = {row[0]: row[2] for row in rows}
    return {
        pk: (f"{programs[pk]}: " if several else "") + " › ".join(line.path)
        for pk, line in sorted(outline.items(), key=lambda item: item[1].rank)
    }


def use_tree_labels(field: forms.ModelChoiceField[GiftCategory]) -> None:
    """Orders the category choices as the tree and labels them with their path (one query)."""
    if field.queryset is None:
        return
    labels = tree_labels(field.queryset)
    # Fixed choices replace the queryset's iterator, the only caller of the field's label_from_instance.
    field.choices = [("", field.empty_label or "---------"), *labels.items()]


class GiftCategoryForm(TranslatedForm):
    translated = ("name",)

    class Meta:
        model = GiftCategory
        fields = ("program", "code", "parent", "active", "position")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.fields.get("parent")
        if not isinstance(parent, forms.ModelChoiceField) or parent.queryset is None:
            return
        if self.instance.pk:
            # Only the same program's categories, and none under this one (that would make a cycle).
            parents: dict[int, int | None] = dict(
                GiftCategory.objects.filter(program_id=self.instance.program_id).values_list("id", "parent_id")
            )
            below = {pk for pk in parents if self.instance.pk in category_ancestor_ids(pk, parents)}
            parent.queryset = parent.queryset.filter(program_id=self.instance.program_id).exclude(pk__in=below)
        use_tree_labels(parent)

    def clean(self):
        cleaned = super().clean()
        self.check_code(cleaned, "code", CATEGORY_CHECKS["code"][1], GiftCategory)
        program, parent = self.program(), cleaned.get("parent")
        if error := same_program_error(program, parent, "parent"):
            self.add_error("parent", error)
        elif parent is not None and self.instance.pk:
            parents: dict[int, int | None] = dict(
                GiftCategory.objects.filter(program=program).values_list("id", "parent_id")
            )
            chain = category_ancestor_ids(parent.pk, parents)
            if self.instance.pk in chain:
                codes = dict(GiftCategory.objects.filter(pk__in=chain).values_list("id", "code"))
                path = " → ".join(
                    [self.instance.code, *(codes[pk] for pk in chain[: chain.index(self.instance.pk) + 1])]
                )
                self.add_error("parent", f"That would make a cycle: {path}.")
        return cleaned


class GiftForm(TranslatedForm):
    translated = ("name", "description")

    # Form fields the model does not declare get unfold's widgets here: the admin styles only model fields.
    stock = forms.IntegerField(
        label=capfirst(Gift._meta.get_field("stock").verbose_name),
        required=False,
        min_value=0,
        help_text=_("Empty means unlimited."),
        widget=UnfoldAdminIntegerFieldWidget,
    )
    stock_seen = forms.CharField(required=False, widget=forms.HiddenInput)
    image_urls = forms.CharField(
        label=_("Image URLs"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
        help_text=_("External pictures: one http(s) URL or /path per line. Uploaded pictures are below."),
    )

    class Meta:
        model = Gift
        fields = (
            "program",
            "sku",
            "category",
            "type",
            "points",
            "value",
            "voucher_valid_days",
            "validated",
            "valid_from",
            "valid_until",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stock = self.instance.stock if self.instance.pk else None
        kind = self.fields.get("type")
        if isinstance(kind, forms.ChoiceField):  # the words the lists use, in the staff user's language
            kind.choices = [(value, labels.GIFT_TYPE.get(value, text)) for value, text in Gift.TYPES]
        self.initial.setdefault("stock", stock)
        self.initial.setdefault("stock_seen", "" if stock is None else str(stock))
        self.initial.setdefault("image_urls", "\n".join(u for u in (self.instance.images or []) if isinstance(u, str)))
        self.image_list: list[str] = list(self.instance.images or [])
        category = self.fields.get("category")
        if isinstance(category, forms.ModelChoiceField) and category.queryset is not None:
            if self.instance.pk:
                category.queryset = category.queryset.filter(program_id=self.instance.program_id)
            use_tree_labels(category)

    def clean_points(self):
        points = self.cleaned_data.get("points")
        if points is not None and points < 1:
            raise forms.ValidationError(_("Must be at least 1."))
        return points

    def clean_value(self):
        # Said on the field: the database's check would otherwise answer with its constraint's name, atop the form.
        value = self.cleaned_data.get("value")
        if value is not None and value < 0:
            raise forms.ValidationError(_("Must be 0 or more."))
        return value

    def clean_image_urls(self):
        lines = [line.strip() for line in (self.cleaned_data.get("image_urls") or "").splitlines() if line.strip()]
        urls, problems = run_check(GIFT_CHECKS["images"][1], lines)
        if problems:
            raise forms.ValidationError(problems)
        self.image_list = urls
        return "\n".join(urls)

    def stock_seen_value(self) -> int | None:
        raw = (self.data.get(self.add_prefix("stock_seen")) or "").strip() if self.is_bound else ""
        return int(raw) if raw.isdigit() else None

    @property
    def stock_changed(self) -> bool:
        return (
            self.is_bound and self.instance.pk is not None and self.cleaned_data.get("stock") != self.stock_seen_value()
        )

    def clean(self):
        cleaned = super().clean()
        self.check_code(cleaned, "sku", GIFT_CHECKS["sku"][1], Gift)
        program = self.program()
        if error := same_program_error(program, cleaned.get("category"), "category"):
            self.add_error("category", error)
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and start >= end:
            self.add_error("valid_until", "Must be after valid from.")
        kind, days = cleaned.get("type"), cleaned.get("voucher_valid_days")
        if kind and kind != Gift.VOUCHER and days is not None:
            self.add_error("voucher_valid_days", "Only for voucher gifts (leave it empty).")
        if self.instance.pk and "stock" in cleaned and self.stock_changed:
            seen = self.stock_seen_value()
            if self.instance.stock != seen:
                now = "unlimited" if self.instance.stock is None else self.instance.stock
                self.add_error(
                    "stock",
                    f"The stock changed to {now} since this page was opened (redemptions): check it and save again.",
                )
                # A bound form's data is a QueryDict (a dict); the stubs type it as a read-only Mapping.
                data = self.data.copy() if isinstance(self.data, dict) else dict(self.data)
                data[self.add_prefix("stock_seen")] = "" if self.instance.stock is None else str(self.instance.stock)
                self.data = data
        return cleaned

    def _post_clean(self):
        self.instance.images = self.image_list
        super()._post_clean()


class GiftImageForm(forms.ModelForm):
    class Meta:
        model = GiftImage
        fields = ("file", "position")
        labels = {"file": _("file"), "position": _("position")}
        widgets = {"file": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"})}

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if isinstance(file, UploadedFile):
            validate_gift_image(file)
        return file
