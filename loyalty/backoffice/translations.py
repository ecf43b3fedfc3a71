"""Translated texts in the admin: one input per language of the object's program instead of a JSON dict.

A model keeps a translated text as JSON `{language: text}` (`name` of promotions, segments, event types). The
admin's form shows one text input per language of the object's program (on an add page, where the program is
not chosen yet, per language of the user's programs) and puts the dict back together when it is valid. A text
in a language the chosen program does not have is refused; the program's default language is required.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold import admin as unfold_admin
from unfold.widgets import UnfoldAdminTextInputWidget

from loyalty.backoffice.scope import staff_programs
from loyalty.core.translation import language_name
from programs.models import Program

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

DISPLAY_SUFFIX = "_display"


# The translated JSON fields' names, in the staff user's language (the per-language inputs are labelled with them).
FIELD_WORDS = {"name": _("Name"), "description": _("Description")}


def text_label(field: str, language: str) -> "str | _StrPromise":
    """An input's label: `Name (Français)`, its first part in the staff user's language when the page is drawn
    (lazy: the form classes are built once, whatever language asked first)."""
    word = FIELD_WORDS.get(field) or field.replace("_", " ").capitalize()
    return format_lazy("{} ({})", word, language_name(language))


def field_name(field: str, language: str) -> str:
    return f"{field}_{language}"


class TranslatedTextsForm(forms.ModelForm):
    """Base of forms with translated JSON fields; `translated_form` adds the per-language inputs."""

    translated_fields: tuple[str, ...] = ()
    required_translations: tuple[str, ...] = ()  # fields whose default-language text is required
    languages: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.translated_fields:
            texts = getattr(self.instance, field, None) or {}
            for language in self.languages:
                self.initial.setdefault(field_name(field, language), texts.get(language, ""))

    def form_program(self) -> Program | None:
        program = self.cleaned_data.get("program") if hasattr(self, "cleaned_data") else None
        if program is None and getattr(self.instance, "program_id", None):
            program = self.instance.program
        return program

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns, without the None of Form.clean's signature
        program = self.form_program()
        for field in self.translated_fields:
            texts = {}
            for language in self.languages:
                name = field_name(field, language)
                text = (cleaned.get(name) or "").strip()
                if not text:
                    continue
                if program is not None and language not in program.languages:
                    self.add_error(
                        name,
                        gettext("%(program)s has no %(language)s (%(code)s).")
                        % {"program": program.code, "language": language_name(language), "code": language},
                    )
                    continue
                texts[language] = text
            if program is not None and field in self.required_translations and program.default_language not in texts:
                default = field_name(field, program.default_language)
                if default in self.fields and default not in self.errors:
                    self.add_error(default, gettext("Required in the program's default language."))
            cleaned[field] = texts
            setattr(self.instance, field, texts)
        return cleaned


def translated_form(
    base: type[TranslatedTextsForm], fields: tuple[str, ...], languages: list[str]
) -> type[TranslatedTextsForm]:
    """`base` with a text input per (field, language), e.g. `name_en`, `name_fr`."""
    attrs: dict[str, Any] = {"translated_fields": fields, "languages": tuple(languages), "__module__": base.__module__}
    for field in fields:
        for language in languages:
            attrs[field_name(field, language)] = forms.CharField(
                label=text_label(field, language),
                required=False,
                max_length=500,
                widget=UnfoldAdminTextInputWidget(attrs={"size": 60, "lang": language}),
            )
    return type(base.__name__, (base,), attrs)


class TranslatedFieldsAdmin(unfold_admin.ModelAdmin):
    """ModelAdmin mixin (put it before the ModelAdmin base): `translated_fields` edited one input per language.

    In `fieldsets` (or `fields`), name the JSON field itself (`"name"`): it is expanded to the language inputs.
    """

    translated_fields: tuple[str, ...] = ("name",)
    form: type[TranslatedTextsForm]  # each admin sets one: translated_form adds its language inputs

    def translation_languages(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and getattr(obj, "program_id", None):
            return list(obj.program.languages)
        languages: list[str] = []
        for program in staff_programs(request.user).order_by("code"):
            languages += [code for code in program.languages if code not in languages]
        return languages

    def _expand(self, names: Iterable[Any], languages: list[str] | None) -> list[str | tuple[Any, ...]]:
        """The translated fields replaced by their language inputs, or (None: a read-only page) by a display."""
        expanded: list[str | tuple[Any, ...]] = []
        for name in names:
            if isinstance(name, str) and name in self.translated_fields:
                if languages is None:
                    expanded.append(f"{name}{DISPLAY_SUFFIX}")
                else:
                    expanded += [field_name(name, language) for language in languages]
            elif isinstance(name, list | tuple):
                expanded.append(tuple(self._expand(name, languages)))
            else:
                expanded.append(name)
        return expanded

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        read_only = obj is not None and not self.has_change_permission(request, obj)
        languages = None if read_only else self.translation_languages(request, obj)
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            expanded: dict[str, Any] = dict(options)
            expanded["fields"] = self._expand(options.get("fields", ()), languages)
            fieldsets.append((title, expanded))
        return fieldsets

    def __getattr__(self, attr: str) -> Any:
        # `name_display` on read-only pages: every language's text, in the program's order.
        field = attr.removesuffix(DISPLAY_SUFFIX)
        if attr.endswith(DISPLAY_SUFFIX) and field in type(self).translated_fields:

            def display(obj: Any) -> str:
                texts = getattr(obj, field, None) or {}
                order = list(obj.program.languages) if getattr(obj, "program_id", None) else list(texts)
                order += [code for code in texts if code not in order]
                return " · ".join(f"{language_name(code)}: {texts[code]}" for code in order if texts.get(code)) or "—"

            return admin.display(description=field.replace("_", " "))(display)
        raise AttributeError(attr)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        read_only = obj is not None and not self.has_change_permission(request, obj)
        languages = [] if read_only else self.translation_languages(request, obj)
        base = kwargs.pop("form", None) or self.form
        kwargs["form"] = translated_form(base, self.translated_fields, languages)
        return super().get_form(request, obj, change, **kwargs)
