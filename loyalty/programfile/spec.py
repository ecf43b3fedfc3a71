"""The program document's format ("program as code", API.md): its keys, and the strict check of each value.

Shared by the import (which validates with it) and the export (which writes the same keys).
"""

import datetime
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.dateparse import parse_datetime

from catalog.models import Gift, GiftCategory
from loyalty.core.translation import is_known_language
from members.models import Segment
from programs.models import EventType
from rewards.models import Promotion

# ---- value checks: each returns the cleaned value or raises BadValue -------------------------------------------


class BadValue(Exception):
    """A refused value: its problems as (path suffix, message), the suffix naming a list index or a key."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems  # (path suffix, message)


def _bad(message: str, suffix: str = "") -> BadValue:
    return BadValue([(suffix, message)])


Check = Callable[[Any], Any]
MAX_INT = 2_147_483_647  # PositiveIntegerField's upper bound on every backend
CODE_RE = re.compile(r"^[A-Za-z0-9._:-]+$")
INVALID = object()  # marks a present key whose value was refused, so cross-field checks skip it


def _rule(test: Callable[[Any], Any], message: str) -> Check:
    """A check that keeps the value as it is when `test` accepts it."""

    def check(value: Any) -> Any:
        if not test(value):
            raise _bad(message)
        return value

    return check


def _integer(minimum: int) -> Check:
    # bool is an int subclass in Python but not an integer in JSON.
    return _rule(
        lambda v: isinstance(v, int) and not isinstance(v, bool) and minimum <= v <= MAX_INT,
        "must be a positive integer" if minimum == 1 else f"must be an integer >= {minimum}",
    )


def _text(max_length: int) -> Check:
    return _rule(
        lambda v: isinstance(v, str) and v.strip() and len(v) <= max_length,
        f"must be a non-empty string of at most {max_length} characters",
    )


def _code(max_length: int = 64) -> Check:
    return _rule(
        lambda v: isinstance(v, str) and CODE_RE.match(v) and len(v) <= max_length,
        f"must be a code of 1-{max_length} characters among A-Z a-z 0-9 . _ : -",
    )


def _choice(options: Iterable[str]) -> Check:
    options = tuple(options)
    return _rule(lambda v: isinstance(v, str) and v in options, f"must be one of {', '.join(options)}")


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


_boolean = _rule(lambda v: isinstance(v, bool), "must be true or false")
_currency = _rule(
    lambda v: isinstance(v, str) and re.fullmatch(r"[A-Z]{3}", v),
    "must be an ISO 4217 code of three capital letters, like EUR",
)
_timezone = _rule(
    lambda v: isinstance(v, str) and v in _timezones(), "must be an IANA time zone name, like Europe/Brussels"
)
_language = _rule(lambda v: isinstance(v, str) and is_known_language(v), "must be a known language code, like en or fr")


def _decimal(*, digits: int, places: int, above: Decimal, strict: bool, message: str) -> Check:
    pattern = re.compile(rf"^\d{{1,{digits}}}(\.\d{{1,{places}}})?$")

    def check(value: Any) -> Decimal:
        if not isinstance(value, str) or not pattern.match(value):
            raise _bad(message)
        number = Decimal(value)
        if number < above or (strict and number == above):
            raise _bad(message)
        return number

    return check


MONEY = _decimal(
    digits=10, places=2, above=Decimal(0), strict=False, message='must be a money string like "12.50", >= 0'
)
RATE = _decimal(digits=8, places=4, above=Decimal(0), strict=True, message="must be a positive decimal")
FACTOR = _decimal(digits=4, places=4, above=Decimal(1), strict=True, message='must be a decimal > 1, like "2"')


def _timestamp(value: Any) -> datetime.datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _bad("must be an ISO 8601 timestamp with offset, like 2026-11-25T10:31:00+01:00")
    return parsed


def _url(value: Any) -> str:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return value  # a path on this site, e.g. under MEDIA_URL
    try:
        URLValidator(schemes=["http", "https"])(value)
    except (ValidationError, TypeError):
        raise _bad("must be an http(s) URL or a path starting with /") from None
    return value


def _or_null(check: Check) -> Check:
    def nullable(value: Any) -> Any:
        if value is None:
            return None
        try:
            return check(value)
        except BadValue as bad:
            raise BadValue([(suffix, f"{message} or null") for suffix, message in bad.problems]) from None

    return nullable


def _list(item: Check, *, non_empty: bool = False) -> Check:
    """A list of distinct items; each bad item is reported with its index."""

    def check(value: Any) -> list:
        if not isinstance(value, list) or (non_empty and not value):
            raise _bad("must be a non-empty JSON list" if non_empty else "must be a JSON list")
        cleaned, problems = [], []
        for index, element in enumerate(value):
            try:
                element = item(element)
            except BadValue as bad:
                problems += [(f"[{index}]{suffix}", message) for suffix, message in bad.problems]
                continue
            if element in cleaned:
                problems.append((f"[{index}]", f"duplicate value {element!r}"))
            cleaned.append(element)
        if problems:
            raise BadValue(problems)
        return cleaned

    return check


def _translations(languages: list[str] | None) -> Check:
    """{language: text}; languages are checked only when the program's are known (None: they are not)."""

    def check(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise _bad('must be a JSON object {language: text}, like {"en": "Mug"}')
        problems = []
        for language, text in value.items():
            if languages is not None and language not in languages:
                problems.append(
                    (f".{language}", f"language not among the program's languages ({', '.join(languages)})")
                )
            elif not isinstance(text, str) or not text.strip():
                problems.append((f".{language}", "must be a non-empty string"))
        if problems:
            raise BadValue(problems)
        return dict(value)

    return check


# ---- the document's shape: JSON key -> (model field, check); a nested dict is a sub-object ---------------


def document_specs(languages: list[str] | None) -> dict[str, dict]:
    text = _translations(languages)
    return {
        "program": {
            "code": ("code", _code(32)),
            "name": ("name", _text(200)),
            "currency": ("currency", _currency),
            "languages": ("languages", _list(_language, non_empty=True)),
            "default_language": ("default_language", _language),
            "timezone": ("timezone", _timezone),
            "points": {
                "expiry_months": ("expiry_months", _or_null(_integer(1))),
                "pending_days": ("pending_days", _integer(0)),
                "allow_negative_balance": ("allow_negative_balance", _boolean),
            },
        },
        "segments": {"code": ("code", _code()), "name": ("name", text)},
        "categories": {
            "code": ("code", _code()),
            "name": ("name", text),
            "parent": ("parent", _or_null(_code())),
            "active": ("active", _boolean),
            "position": ("position", _integer(0)),
        },
        "gifts": {
            "sku": ("sku", _code()),
            "category": ("category", _or_null(_code())),
            "type": ("type", _choice(t for t, _ in Gift.TYPES)),
            "points": ("points", _integer(1)),
            "value": ("value", MONEY),
            "stock": ("stock", _or_null(_integer(0))),
            "validated": ("validated", _boolean),
            "valid_from": ("valid_from", _or_null(_timestamp)),
            "valid_until": ("valid_until", _or_null(_timestamp)),
            "images": ("images", _list(_url)),
            "name": ("name", text),
            "description": ("description", text),
            "voucher_valid_days": ("voucher_valid_days", _or_null(_integer(1))),
        },
        "event_types": {
            "code": ("code", _code()),
            "name": ("name", text),
            "points": ("points", _integer(1)),
            "limits": {
                "per_day": ("per_day_limit", _or_null(_integer(1))),
                "lifetime": ("lifetime_limit", _or_null(_integer(1))),
            },
            "active": ("active", _boolean),
        },
        "promotions": {
            "code": ("code", _code()),
            "name": ("name", text),
            "kind": ("kind", _choice(k for k, _ in Promotion.KINDS)),
            "status": ("status", _choice(s for s, _ in Promotion.STATUSES)),
            "rate": ("rate", RATE),
            "points": ("points", _integer(1)),
            "threshold": ("threshold", MONEY),
            "factor": ("factor", FACTOR),
            "products": ("products", _list(_text(64))),
            "product_categories": ("product_categories", _list(_text(64))),
            "segments": ("segments", _list(_code())),
            "channels": ("channels", _list(_text(64))),
            "starts_at": ("starts_at", _or_null(_timestamp)),
            "ends_at": ("ends_at", _or_null(_timestamp)),
            "min_amount": ("min_amount", _or_null(MONEY)),
            "max_points": ("max_points", _or_null(_integer(1))),
        },
    }


KIND_KEYS = {kind: set(keys) for kind, keys in Promotion.KIND_KEYS.items()}
ALL_KIND_KEYS = set().union(*KIND_KEYS.values())
SECTIONS = {"segments": "code", "categories": "code", "gifts": "sku", "event_types": "code", "promotions": "code"}
REQUIRED_ON_CREATE = {"gifts": ("points",), "event_types": ("points",)}
MODELS: dict[str, type[models.Model]] = {
    "segments": Segment,
    "categories": GiftCategory,
    "gifts": Gift,
    "event_types": EventType,
    "promotions": Promotion,
}


def object_values(data: Any, spec: dict, path: str, errors: list[str]) -> dict[str, Any]:
    """The present keys as {model field: cleaned value or INVALID}; every problem goes to `errors`."""
    if not isinstance(data, dict):
        errors.append(f"{path or 'document'}: must be a JSON object")
        return {}
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}.{key}" if path else str(key)
        rule = spec.get(key)
        if rule is None:
            errors.append(f"{where}: unknown key")
        elif isinstance(rule, dict):
            values.update(object_values(value, rule, where, errors))
        else:
            name, check = rule
            try:
                values[name] = check(value)
            except BadValue as bad:
                errors.extend(f"{where}{suffix}: {message}" for suffix, message in bad.problems)
                values[name] = INVALID
    return values
