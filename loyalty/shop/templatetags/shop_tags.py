"""Template filters of the webshop: points and signed points, grouped the way the active language writes them."""

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def points(value) -> str:
    """1200 -> "1,200" in English, "1 200" in French, "1.200" in Dutch and Italian."""
    if value in (None, ""):
        return ""
    return formats.number_format(int(value), force_grouping=True)


@register.filter
def signed_points(value) -> str:
    """A change of balance with its sign: "+120", "−500" (a real minus sign, read out as "minus")."""
    number = int(value)
    grouped = formats.number_format(abs(number), force_grouping=True)
    if number > 0:
        return f"+{grouped}"
    if number < 0:
        return f"\u2212{grouped}"
    return grouped


@register.filter
def with_error(field, error_id: str) -> str:
    """A form field's widget marked invalid and tied to its error message (read out with the field)."""
    return field.as_widget(attrs={"aria-invalid": "true", "aria-describedby": error_id})
