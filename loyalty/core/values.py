"""Strict checks of JSON values, as the program document (program as code, API.md) and the admin's forms use them.

Each check returns the cleaned value or raises BadValue naming what is wrong. Each domain app describes its part
of the document with these checks (`<app>/document.py`); `object_values` applies such a description to an object.
"""

import datetime
import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dateparse import parse_datetime

from loyalty.core.translation import is_known_language

Spec = dict[str, Any]  # JSON key -> (model field, check), or a nested Spec for a sub-object


class BadValue(Exception):
    """A refused value: its problems as (path suffix, message), the suffix naming a list index or a key."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems  # (path suffix, message)


def bad(message: str, suffix: str = "") -> BadValue:
    return BadValue([(suffix, message)])


Check = Callable[[Any], Any]
MAX_INT = 2_147_483_647  # PositiveIntegerField's upper bound on every backend
CODE_RE = re.compile(r"^[A-Za-z0-9._:-]+$")
# What no text column can hold: NUL (PostgreSQL refuses it in text and jsonb) and lone surrogates (not UTF-8).
UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")
INVALID = object()  # marks a present key whose value was refused, so cross-field checks skip it


def rule(test: Callable[[Any], Any], message: str) -> Check:
    """A check that keeps the value as it is when `test` accepts it."""

    def check(value: Any) -> Any:
        if not test(value):
            raise bad(message)
        return value

    return check


def integer(minimum: int, maximum: int = MAX_INT) -> Check:
    """An integer from `minimum` to `maximum` (the column's bound: a bigger one is refused here, not by the
    database in the middle of a write)."""
    message = "must be a positive integer" if minimum == 1 else f"must be an integer >= {minimum}"

    def check(value: Any) -> Any:
        # bool is an int subclass in Python but not an integer in JSON.
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise bad(message)
        if value > maximum:
            raise bad(f"must be at most {maximum}" if maximum != MAX_INT else message)
        return value

    return check


def text(max_length: int) -> Check:
    return rule(
        lambda v: isinstance(v, str) and v.strip() and len(v) <= max_length,
        f"must be a non-empty string of at most {max_length} characters",
    )


def code(max_length: int = 64) -> Check:
    return rule(
        lambda v: isinstance(v, str) and CODE_RE.fullmatch(v) and len(v) <= max_length,
        f"must be a code of 1-{max_length} characters among A-Z a-z 0-9 . _ : -",
    )


def choice(options: Iterable[str]) -> Check:
    options = tuple(options)
    return rule(lambda v: isinstance(v, str) and v in options, f"must be one of {', '.join(options)}")


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


boolean = rule(lambda v: isinstance(v, bool), "must be true or false")
currency = rule(
    lambda v: isinstance(v, str) and re.fullmatch(r"[A-Z]{3}", v),
    "must be an ISO 4217 code of three capital letters, like EUR",
)
timezone_name = rule(
    lambda v: isinstance(v, str) and v in _timezones(), "must be an IANA time zone name, like Europe/Brussels"
)
language = rule(lambda v: isinstance(v, str) and is_known_language(v), "must be a known language code, like en or fr")


def decimal(*, digits: int, places: int, above: Decimal, strict: bool, message: str) -> Check:
    pattern = re.compile(rf"^\d{{1,{digits}}}(\.\d{{1,{places}}})?$")

    def check(value: Any) -> Decimal:
        if not isinstance(value, str) or not pattern.match(value):
            raise bad(message)
        number = Decimal(value)
        if number < above or (strict and number == above):
            raise bad(message)
        return number

    return check


MONEY = decimal(
    digits=10, places=2, above=Decimal(0), strict=False, message='must be a money string like "12.50", >= 0'
)
RATE = decimal(digits=8, places=4, above=Decimal(0), strict=True, message="must be a positive decimal")
FACTOR = decimal(digits=4, places=4, above=Decimal(1), strict=True, message='must be a decimal > 1, like "2"')


def timestamp(value: Any) -> datetime.datetime:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise bad("must be an ISO 8601 timestamp with offset, like 2026-11-25T10:31:00+01:00")
    return parsed


def url(value: Any) -> str:
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return value  # a path on this site, e.g. under MEDIA_URL
    try:
        URLValidator(schemes=["http", "https"])(value)
    except (ValidationError, TypeError):
        raise bad("must be an http(s) URL or a path starting with /") from None
    return value


def or_null(check: Check) -> Check:
    def nullable(value: Any) -> Any:
        if value is None:
            return None
        try:
            return check(value)
        except BadValue as refused:
            raise BadValue([(suffix, f"{message} or null") for suffix, message in refused.problems]) from None

    return nullable


def list_of(item: Check, *, non_empty: bool = False) -> Check:
    """A list of distinct items; each bad item is reported with its index."""

    def check(value: Any) -> list:
        if not isinstance(value, list) or (non_empty and not value):
            raise bad("must be a non-empty JSON list" if non_empty else "must be a JSON list")
        cleaned, problems = [], []
        for index, element in enumerate(value):
            try:
                element = item(element)
            except BadValue as refused:
                problems += [(f"[{index}]{suffix}", message) for suffix, message in refused.problems]
                continue
            if element in cleaned:
                problems.append((f"[{index}]", f"duplicate value {element!r}"))
            cleaned.append(element)
        if problems:
            raise BadValue(problems)
        return cleaned

    return check


def translations(languages: list[str] | None) -> Check:
    """{language: text}; languages are checked only when the program's are known (None: they are not)."""

    def check(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise bad('must be a JSON object {language: text}, like {"en": "Mug"}')
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


def object_values(data: Any, spec: Spec, path: str, errors: list[str]) -> dict[str, Any]:
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
            except BadValue as refused:
                errors.extend(f"{where}{suffix}: {message}" for suffix, message in refused.problems)
                values[name] = INVALID
    return values


# ---- cross-field checks of one object -------------------------------------------------------------------------


@dataclass
class Item:
    """One object of a document: where it is (for messages), its present values, and its stored row if any."""

    path: str
    values: dict[str, Any]
    existing: Any = None


def ok(*values: Any) -> bool:
    """None of the values was refused."""
    return all(v is not INVALID for v in values)


def merged(item: Item, name: str, default: Any = None) -> Any:
    """The value the object will have: the document's if given, else the stored one, else `default`."""
    if name in item.values:
        return item.values[name]
    return getattr(item.existing, name) if item.existing is not None else default


def check_order(item: Item, first: str, last: str, errors: list[str]) -> None:
    """`first` must come before `last` when both are set; the message blames the key the document gives."""
    start, end = merged(item, first), merged(item, last)
    if ok(start, end) and start is not None and end is not None and start >= end:
        blamed = last if last in item.values else first
        errors.append(f"{item.path}.{blamed}: {first} must be before {last}")


def problems_of(errors: list[str], path: str) -> list[tuple[str, str]]:
    """`path.key: message` lines as (key, message) pairs, for forms that show each on its field."""
    problems = []
    for error in errors:
        where, _, message = error.partition(": ")
        problems.append((where.removeprefix(f"{path}."), message))
    return problems
