"""The API's JSON parser: RFC 8259 JSON, and only what the database and the envelope can hold.

Refused with 400, before any view sees the body: malformed JSON or UTF-8, NaN and Infinity, JSON nested
deeper than 32 levels (the body itself is level 1), numbers too large for a double (1e999), and strings (values or keys, at any depth, free-form
`attributes` included) holding NUL or an unpaired surrogate: PostgreSQL refuses NUL in text and jsonb,
and a lone surrogate cannot be written back as UTF-8.

orjson reads the body first: it refuses by itself malformed JSON and UTF-8, NaN, Infinity, numbers that overflow a
double and unpaired surrogates, but it reads `\\u0000` and any depth, and it reads integers beyond 64 bits as
floats. So its result is taken only when the body has no `\\u0000`, no container deeper than 32 levels and no float
that could be such an integer (one walk over the containers); in every other case, and whenever orjson refuses,
the standard library reads the body as before and gives today's answer, message and field path included
(`loyalty/api/tests/test_fast_json.py` compares both readings on generated bodies).
"""

import json
import math
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from loyalty.core.values import UNSTORABLE_CHARACTER

MAX_DEPTH = 32
_BAD_CHARACTER_MESSAGE = "Must not contain NUL or unpaired surrogate characters."


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def check_json_value(data: Any) -> None:
    """Raises ParseError (too deep) or ValidationError (bad characters, naming the dotted path)."""
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            if UNSTORABLE_CHARACTER.search(value):
                raise exceptions.ValidationError({path or "non_field_errors": [_BAD_CHARACTER_MESSAGE]})
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise exceptions.ValidationError({path or "non_field_errors": ["Number out of range."]})
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise exceptions.ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.")
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                if UNSTORABLE_CHARACTER.search(key):
                    # The key cannot be echoed as is: name its parent.
                    raise exceptions.ValidationError({path or "non_field_errors": [f"A key: {_BAD_CHARACTER_MESSAGE}"]})
                stack.append((item, depth + 1, where))
        else:
            stack.extend(
                (item, depth + 1, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value)
            )


# orjson reads an integer outside [-2**63, 2**64) as a float: a float of that size sends the body to json.
_INT_AS_FLOAT = float(2**63)
_NUL_ESCAPE = b"\\u0000"


def _plain(value: Any, depth: int) -> bool:
    """No container deeper than MAX_DEPTH and no float orjson may have made of a big integer, at or below value
    (at level `depth`)."""
    if type(value) is dict:
        items: Any = value.values()
    elif type(value) is list:
        items = value
    else:
        return type(value) is not float or -_INT_AS_FLOAT < value < _INT_AS_FLOAT
    if depth > MAX_DEPTH:
        return False
    for item in items:
        kind = type(item)
        if kind is dict or kind is list:
            if not _plain(item, depth + 1):
                return False
        elif kind is float and not -_INT_AS_FLOAT < item < _INT_AS_FLOAT:
            return False
    return True


_REREAD = object()


def read_fast(raw: bytes) -> Any:
    """The body as orjson reads it, when that is exactly what `read_strict` gives; else _REREAD."""
    if _NUL_ESCAPE in raw:
        return _REREAD
    try:
        data = orjson.loads(raw)
    except Exception:  # anything orjson refuses, the standard library answers as it always did
        return _REREAD
    return data if _plain(data, 1) else _REREAD


def read_strict(raw: bytes) -> Any:
    """The reading of the standard library, with every refusal of the module's docstring."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise exceptions.ParseError("The body is not valid UTF-8.") from None
    except RecursionError:
        raise exceptions.ParseError(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise exceptions.ParseError(f"JSON parse error - {exc}") from None
    check_json_value(data)
    return data


class StrictJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        raw = stream.read() if stream is not None else b""
        data = read_fast(raw)
        return read_strict(raw) if data is _REREAD else data
