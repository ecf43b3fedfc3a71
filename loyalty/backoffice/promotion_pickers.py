"""The promotion form's pickers for products, product categories and channels, and their suggestion endpoint.

A picker is the code list's text box (still the value sent, one code a line: free entry stays possible) with a
search box beside it (`backoffice/code_picker.js`): typing shows the values the program's tills sent in recent
earns, its gift catalog and its other promotions; choosing one adds it to the list. A value no recent earn
carried is flagged next to the field, on the page as rendered and again live while typing.

The endpoint answers only for a program the staff user may see (another program is a 404, like its rows).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import INPUT_CLASSES, UnfoldAdminTextareaWidget

from loyalty.backoffice import promotion_vocabulary as vocab
from loyalty.backoffice.scope import staff_programs
from programs.models import Program

MAX_QUERY = 64
MAX_CHECK = 200
SUGGESTIONS = 20
SEARCH_LABELS = {
    "products": _("Search SKUs"),
    "product_categories": _("Search product categories"),
    "channels": _("Search channels"),
}
UNSEEN_NOTE = {
    "products": _("No earn of the last %(days)s days had a line with this SKU"),
    "product_categories": _("No earn of the last %(days)s days had a line in this category"),
    "channels": _("No earn of the last %(days)s days came from this channel"),
}


def unseen_messages(name: str, unseen: list[vocab.Unseen]) -> list[str]:
    note = str(UNSEEN_NOTE[name]) % {"days": vocab.WINDOW_DAYS}
    return [
        f"{item.value}: {note}"
        + (" " + gettext("(the tills send %(value)s).") % {"value": repr(item.similar)} if item.similar else ".")
        for item in unseen
    ]


def script_texts() -> dict[str, str]:
    """The words code_picker.js writes, in the staff user's language (the script itself has no translations);
    `{count}` and `{value}` are filled in by the script."""
    return {
        "line": gettext("{count} line in earns"),
        "lines": gettext("{count} lines in earns"),
        "not_in_earns": gettext("not in earns: {value}"),
        "earns": gettext("earns"),
        "catalog": gettext("gift catalog"),
        "promotions": gettext("other promotions"),
        "suggestions": gettext("{count} suggestions."),
        "none": gettext("No suggestion: the code you type is added as it is."),
        "choose_program": gettext("Choose the program first."),
        "added": gettext("{value} added."),
        "warning": gettext("Warning — {value}"),
    }


class CodePickerWidget(UnfoldAdminTextareaWidget):
    """A code list text box with a search box and its suggestions (see the module docstring)."""

    picker_template = "admin/rewards/promotion/widgets/code_picker.html"

    def __init__(self, field_name: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"rows": 3, **(attrs or {})})
        self.field_name = field_name
        self.program: Program | None = None  # set by the form when it knows the program
        self.warnings: list[str] = []  # set by the form: its values no recent earn carried

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        # The text box by the form renderer (Django's form templates); the picker around it from the project's
        # templates, which that renderer does not search.
        textarea = super().render(name, value, attrs, renderer)
        element_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        picker = {
            "id": element_id,
            "field": self.field_name,
            "url": reverse("admin:rewards_promotion_suggest"),
            "program": self.program.pk if self.program is not None else "",
            "label": str(SEARCH_LABELS[self.field_name]),
            "texts": script_texts(),
            "texts_id": f"{element_id}_texts",
            "input_classes": " ".join(INPUT_CLASSES),
            "warnings": self.warnings,
            "days": vocab.WINDOW_DAYS,
        }
        return mark_safe(render_to_string(self.picker_template, {"textarea": textarea, "picker": picker}))


def _values(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\r", "\n").replace(",", "\n").split("\n") if part.strip()]


def suggest_view(model_admin: ModelAdmin, request: HttpRequest) -> JsonResponse:
    """`?program=<id>&field=<name>&q=<text>&check=<codes>`: suggestions containing `q`, and which of `check`
    (one a line, or separated by commas) no recent earn carried."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    name = request.GET.get("field", "")
    if name not in vocab.FIELDS:
        return JsonResponse({"error": f"field: one of {', '.join(vocab.FIELDS)}."}, status=400)
    raw_program = request.GET.get("program", "")
    if not raw_program.isdigit():
        return JsonResponse({"error": "program: a program id."}, status=400)
    program = staff_programs(request.user).filter(pk=int(raw_program)).first()
    if program is None:
        return JsonResponse({"error": "No such program."}, status=404)
    query = request.GET.get("q", "")[:MAX_QUERY]
    checked = _values(request.GET.get("check", ""))[:MAX_CHECK]
    words = vocab.vocabulary(program)
    unseen = vocab.unseen(words, name, checked)
    return JsonResponse(
        {
            "program": program.code,
            "field": name,
            "days": vocab.WINDOW_DAYS,
            "earns": words.earns,
            "results": [
                {"value": s.value, "sources": list(s.sources), "count": s.count}
                for s in vocab.suggestions(words, name, query, SUGGESTIONS)
            ],
            "unseen": [{"value": u.value, "similar": u.similar} for u in unseen],
            "warnings": unseen_messages(name, unseen),
        }
    )
