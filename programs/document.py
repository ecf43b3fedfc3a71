"""The programs app's part of the program document (program as code, API.md): the program's own keys and its
event types, with the checks of their values."""

from loyalty.core import values as v

PROGRAM_SPEC: v.Spec = {
    "code": ("code", v.code(32)),
    "name": ("name", v.text(200)),
    "currency": ("currency", v.currency),
    "languages": ("languages", v.list_of(v.language, non_empty=True)),
    "default_language": ("default_language", v.language),
    "timezone": ("timezone", v.timezone_name),
    "points": {
        "expiry_months": ("expiry_months", v.or_null(v.integer(1))),
        "pending_days": ("pending_days", v.integer(0)),
        "allow_negative_balance": ("allow_negative_balance", v.boolean),
    },
}


def event_type_spec(languages: list[str] | None) -> v.Spec:
    """An event type's keys; texts are checked against `languages` when they are known."""
    return {
        "code": ("code", v.code()),
        "name": ("name", v.translations(languages)),
        "points": ("points", v.integer(1)),
        "limits": {
            "per_day": ("per_day_limit", v.or_null(v.integer(1))),
            "lifetime": ("lifetime_limit", v.or_null(v.integer(1))),
        },
        "active": ("active", v.boolean),
    }
