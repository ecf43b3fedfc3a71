"""Plain Django forms of the back office's own pages, given unfold's input classes (its compiled CSS has them)."""

from django import forms
from unfold.widgets import CHECKBOX_CLASSES, FILE_CLASSES, INPUT_CLASSES, SELECT_CLASSES, TEXTAREA_CLASSES


def unfold_style(form: forms.BaseForm) -> forms.BaseForm:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.ClearableFileInput | forms.FileInput):
            classes = FILE_CLASSES
        elif isinstance(widget, forms.CheckboxInput):
            classes = CHECKBOX_CLASSES
        elif isinstance(widget, forms.Select):
            classes = SELECT_CLASSES
        elif isinstance(widget, forms.Textarea):
            classes = TEXTAREA_CLASSES
        else:
            classes = INPUT_CLASSES
        widget.attrs["class"] = " ".join([widget.attrs.get("class", ""), *classes]).strip()
    return form
