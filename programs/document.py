"""The programs app's part of the program document (program as code, API.md): the program's own keys, its
tiers and its event types, with the checks of their values."""

from typing import Any

from loyalty.core import values as v
from loyalty.core.values import Item

TIER_WINDOW_MONTHS = (1, 120)  # the database's check constraint on Program.tier_window_months
SMALL_INT = 32_767  # PositiveSmallIntegerField's upper bound (expiry_months, pending_days) on every backend

tier_window_months = v.rule(
    lambda value: (
        isinstance(value, int)
        and not isinstance(value, bool)
        and TIER_WINDOW_MONTHS[0] <= value <= TIER_WINDOW_MONTHS[1]
    ),
    f"must be an integer from {TIER_WINDOW_MONTHS[0]} to {TIER_WINDOW_MONTHS[1]}",
)

PROGRAM_SPEC: v.Spec = {
    "code": ("code", v.code(32)),
    "name": ("name", v.text(200)),
    "currency": ("currency", v.currency),
    "languages": ("languages", v.list_of(v.language, non_empty=True)),
    "default_language": ("default_language", v.language),
    "timezone": ("timezone", v.timezone_name),
    "points": {
        "expiry_months": ("expiry_months", v.or_null(v.integer(1, SMALL_INT))),
        "pending_days": ("pending_days", v.integer(0, SMALL_INT)),
        "allow_negative_balance": ("allow_negative_balance", v.boolean),
        "tier_window_months": ("tier_window_months", tier_window_months),
    },
}


def tier_spec(languages: list[str] | None) -> v.Spec:
    """A tier's keys (its position is not one: it follows the thresholds)."""
    return {
        "code": ("code", v.code()),
        "name": ("name", v.translations(languages)),
        "threshold": ("threshold", v.integer(0)),
    }


def check_tiers(items: list[Item], stored: dict[str, Any], errors: list[str]) -> None:
    """No two tiers of the program may end with one threshold: the file's among themselves, and against the stored
    tiers whose threshold the file leaves as it is (`stored`: the program's tiers by code)."""
    given = {item.values["code"] for item in items if "threshold" in item.values}
    taken = {
        tier.threshold: f"{tier.threshold} is the threshold of the program's tier {code!r}"
        for code, tier in stored.items()
        if code not in given
    }
    for item in items:
        threshold = item.values.get("threshold", v.INVALID)
        if "threshold" not in item.values or not v.ok(threshold):
            continue
        if threshold in taken:
            errors.append(f"{item.path}.threshold: {taken[threshold]}")
            continue
        taken[threshold] = f"duplicate of {item.path}"


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
