"""The API's JSON renderer: DRF's JSONRenderer, byte for byte, written by orjson where orjson writes the same.

DRF's JSONRenderer (with the default settings: UTF-8, compact, no NaN) writes `json.dumps(data,
cls=rest_framework.utils.encoders.JSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":"))` with
U+2028 and U+2029 escaped. orjson writes the same bytes for the same data, given DRF's encoder as `default` for the
types JSON does not know (datetimes included: orjson would write them its own way), except in a few cases that are
sent back to JSONRenderer, which then answers exactly as before (its bytes, or its exception):

- whatever orjson refuses: keys that are not strings, integers beyond 64 bits, unpaired surrogates, circular or
  very deep data, a value the encoder does not know;
- an indented rendering (`Accept: application/json; indent=4`);
- floats that `repr()` writes with an exponent and orjson without, or with two exponent digits and orjson with
  one (1e-05 / 0.00001, 1e-07 / 1e-7): their output holds `0.0000` or `e-` (so does some text, which then simply
  takes the slower path);
- NaN and ±Infinity, which orjson writes `null` and JSONRenderer refuses: looked for only when the output holds
  `null`;
- iterators (a generator…), which `default` would consume before a fallback could read them.

One difference is left, out of reach: a plain `enum.Enum` member (not a str or int enum such as Django's
choices, which both write alike) is written as its value by orjson where JSONRenderer fails. No response holds one.

`loyalty/api/tests/test_fast_json.py` compares both renderers on generated data.
"""

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils import encoders

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_ENCODER = encoders.JSONEncoder()


def _default(value: Any) -> Any:
    """DRF's JSONEncoder.default, refusing (for JSONRenderer to answer) what would hold a NaN or an infinity."""
    if isinstance(value, Decimal):
        number = float(value)
        if not math.isfinite(number):
            raise TypeError("not a finite number")
        return number
    if hasattr(value, "__next__"):
        raise TypeError("an iterator: JSONRenderer reads it")
    converted = _ENCODER.default(value)
    if _non_finite(converted):
        raise TypeError("not a finite number")
    return converted


def _non_finite(value: Any) -> bool:
    """A NaN or ±Infinity float in value, JSON containers included (orjson writes it null)."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_non_finite(item) for item in value)
    return False


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Mapping[str, Any] | None = None
    ) -> bytes:
        if data is None:
            return b""
        if (
            self.ensure_ascii
            or not self.compact
            or not self.strict
            or (accepted_media_type and "indent" in accepted_media_type.lower())
            or (renderer_context and renderer_context.get("indent") is not None)
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"e-" in out or b"0.0000" in out or (b"null" in out and _non_finite(data)):
            return super().render(data, accepted_media_type, renderer_context)
        # U+2028 and U+2029 are not ASCII: an ASCII answer (most are) skips both searches.
        if not out.isascii() and (b"\xe2\x80\xa8" in out or b"\xe2\x80\xa9" in out):
            out = out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return out
