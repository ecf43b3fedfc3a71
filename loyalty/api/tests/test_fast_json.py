"""orjson reads the bodies and writes the answers, exactly as the standard library did.

- Parser: `StrictJSONParser` (orjson first) and `read_strict` (json.loads and the walk, as before) give the same
  data (same types, same key order, same float bits) or the same refusal (same exception, same detail), on
  generated JSON documents and byte-level mutations of them: NUL and surrogates, big integers, 1e999, NaN,
  nesting around 32 levels, invalid UTF-8, BOM, duplicate keys, stray bytes.
- Renderer: `loyalty.api.renderers.JSONRenderer` and DRF's JSONRenderer write the same bytes (or fail alike) on
  generated data: every JSON type, floats of every magnitude, NaN, integers beyond 64 bits, keys that are not
  strings, U+2028, control characters, surrogates, Decimal, datetimes (naive, aware, with microseconds), dates,
  times, UUIDs, lazy strings, tuples, generators, indented rendering.

More examples: FAST_JSON_EXAMPLES=20000 .venv/bin/pytest loyalty/api/tests/test_fast_json.py
"""

import datetime
import io
import json
import math
import os
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils.functional import lazy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import exceptions
from rest_framework import renderers as drf_renderers

from loyalty.api.parsers import MAX_DEPTH, StrictJSONParser, read_strict
from loyalty.api.renderers import JSONRenderer

EXAMPLES = int(os.environ.get("FAST_JSON_EXAMPLES", "1500"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def canonical(value: Any) -> Any:
    """Equal only for the same types, key order and float bits."""
    if isinstance(value, dict):
        return ("dict", tuple((canonical(k), canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(canonical(v) for v in value))
    if isinstance(value, float):
        return ("float", value.hex() if math.isfinite(value) else repr(value))
    return (type(value).__name__, repr(value))


def outcome(read, raw: bytes) -> Any:
    try:
        return ("data", canonical(read(raw)))
    except exceptions.APIException as exc:
        return ("refused", type(exc).__name__, repr(exc.detail))


def parse_fast(raw: bytes) -> Any:
    return StrictJSONParser().parse(io.BytesIO(raw))


def assert_same_reading(raw: bytes) -> None:
    assert outcome(parse_fast, raw) == outcome(read_strict, raw), raw


# --- parser ----------------------------------------------------------------------------------------------------

KEYS = st.text(max_size=6) | st.sampled_from(["a", "a\x00", "\ud800", "", "é", "\u2028"])
NUMBERS = (
    st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**19, -(10**19)])
    | st.floats()
)
SCALARS = st.none() | st.booleans() | NUMBERS | st.text(max_size=8) | st.sampled_from(["\x00", "a\ud800", "\udfff"])
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)
NUMBER_TEXT = st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][-+]?[0-9]{1,3})?", fullmatch=True)
JUNK = st.sampled_from(
    [b"\x00", b"\xff", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"NaN", b"Infinity", b"-Infinity", b"1e999", b"\\u0000",
     b"\\ud800", b"\\udc00\\ud800", b'"', b"\\", b",", b":", b"[", b"]", b"{", b"}", b" ", b"\t", b"\n", b"\r",
     b"\xc2\xa0", b"1", b"-", b".", b"e", b"true", b"null", b"\x7f", b"//", b"\\u2028", b"00", b"+1"]
)  # fmt: skip


def dumps(value: Any, ascii_only: bool, pretty: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=1 if pretty else None)  # NaN, Infinity written as such
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate as its (invalid) UTF-8 bytes


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    raw = dumps(draw(JSON_VALUES), draw(st.booleans()), draw(st.booleans()))
    for _ in range(draw(st.integers(0, 2))):  # byte-level mutations: insert, replace or delete
        at = draw(st.integers(0, len(raw)))
        what = draw(st.integers(0, 2))
        if what == 0:
            raw = raw[:at] + draw(JUNK) + raw[at:]
        elif what == 1:
            raw = raw[:at] + draw(JUNK) + raw[at + 1 :]
        else:
            raw = raw[:at] + raw[at + 1 :]
    return raw


def test_generated_documents_are_read_as_the_standard_library_reads_them():
    @SETTINGS
    @given(raw=documents())
    def check(raw: bytes) -> None:
        assert_same_reading(raw)

    check()


def test_generated_numbers_are_read_to_the_same_bits():
    @SETTINGS
    @given(number=NUMBER_TEXT, wrap=st.sampled_from(["{}", '{"n":{}}', "[{}]", "[1,{}]"]))
    def check(number: str, wrap: str) -> None:
        assert_same_reading(wrap.replace("{}", number).encode())

    check()


@st.composite
def nested(draw: st.DrawFn) -> bytes:
    """A document `depth` levels deep, with a key or a value at the bottom that may be refused."""
    depth = draw(st.integers(1, MAX_DEPTH + 3) | st.sampled_from([MAX_DEPTH, MAX_DEPTH + 1, 1000, 1100]))
    bottom = draw(st.sampled_from(['"x"', '"\\u0000"', '"\\ud800"', "1e999", "18446744073709551616", "1", "[]"]))
    raw = bottom
    for level in range(depth):
        raw = f'{{"k{level}":{raw}}}' if draw(st.booleans()) else f'[0,"\\ud800",{raw}]' if level == 5 else f"[{raw}]"
    return raw.encode()


def test_nesting_around_the_limit_is_read_as_before():
    @SETTINGS
    @given(raw=nested())
    def check(raw: bytes) -> None:
        assert_same_reading(raw)

    check()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"b":2,"a":3}',  # duplicate keys: the last value, at the first key's place
        b'{"q":18446744073709551616}',  # beyond 64 bits: an int, not orjson's float
        b'{"q":-9223372036854775809}',
        b'{"q":18446744073709551615}',
        b'{"q":-9223372036854775808}',
        b'{"q":1e19}',
        b'{"q":1e999}',
        b'{"q":-1e999}',
        b'{"q":NaN}',
        b'{"s":"a\\u0000b"}',
        b'{"s":"a\\\\u0000b"}',  # an escaped backslash: no NUL
        b'{"a\\u0000":1}',
        b'{"s":"\\ud800"}',
        b'{"s":"\\ud83d\\ude00"}',
        b'{"s":"\xed\xa0\x80"}',
        b'\xef\xbb\xbf{"a":1}',
        b'{"a":1} ',
        b'{"a":1}x',
        b"",
        b"  ",
        b"[" * 32 + b"]" * 32,
        b"[" * 33 + b"]" * 33,
        b'{"a":' * 1000 + b"1" + b"}" * 1000,
        b'"top"',
        b"12",
        b"null",
    ],
)
def test_chosen_documents_are_read_as_before(raw):
    assert_same_reading(raw)


# --- renderer --------------------------------------------------------------------------------------------------

UTC_PLUS_2 = datetime.timezone(datetime.timedelta(hours=2))
lazy_text = lazy(lambda text: text, str)
RENDER_SCALARS = (
    st.none()
    | st.booleans()
    | NUMBERS
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.floats(min_value=1e15, max_value=1e17)
    | st.text(max_size=8)
    | st.sampled_from(["\u2028", "\u2029", "a\u2028b", "\x00\x1f\x7f", "é/<>&'\"\\", "\ud800", "e-mail", "0.00001"])
    | st.decimals(places=2, allow_nan=False, max_value=10**12, min_value=-(10**12))
    | st.decimals()
    | st.datetimes(timezones=st.sampled_from([None, datetime.UTC, UTC_PLUS_2]))
    | st.dates()
    | st.times()
    | st.timedeltas()
    | st.uuids()
    | st.text(max_size=5).map(lazy_text)
)
RENDER_KEYS = st.text(max_size=6) | st.sampled_from(["\u2028", "", "é"]) | st.integers() | st.none() | st.booleans()
RENDER_VALUES = st.recursive(
    RENDER_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
        | st.dictionaries(RENDER_KEYS, inner, max_size=3)
    ),
    max_leaves=12,
)


def rendering(renderer: drf_renderers.JSONRenderer, data: Any, media_type: str | None, context: dict | None) -> Any:
    try:
        return renderer.render(data, media_type, context)
    except Exception as exc:
        return ("failed", type(exc).__name__)


class Fresh:
    """Data made anew for each renderer (a generator is read once)."""

    def __init__(self, make):
        self.make = make


def assert_same_rendering(data: Any, media_type: str | None = "application/json", context: dict | None = None):
    def fresh():
        return data.make() if isinstance(data, Fresh) else data

    expected = rendering(drf_renderers.JSONRenderer(), fresh(), media_type, context)
    assert rendering(JSONRenderer(), fresh(), media_type, context) == expected, data


def test_generated_data_is_written_as_jsonrenderer_writes_it():
    @SETTINGS
    @given(data=RENDER_VALUES)
    def check(data: Any) -> None:
        assert_same_rendering(data)

    check()


def test_generated_answers_are_written_the_same_when_replayed():
    """An idempotent replay renders json.loads(json.dumps(first answer)): the same bytes as the first."""

    @SETTINGS
    @given(data=st.dictionaries(st.text(max_size=6), JSON_VALUES, max_size=5))
    def check(data: Any) -> None:
        try:
            stored = json.dumps(data)
        except ValueError:
            return
        first = rendering(JSONRenderer(), data, "application/json", None)
        assert rendering(JSONRenderer(), json.loads(stored), "application/json", None) == first
        assert first == rendering(drf_renderers.JSONRenderer(), data, "application/json", None)

    check()


def numbers():
    yield from (1, 2, 3)


@pytest.mark.parametrize(
    "data",
    [
        {"a": 1e-5, "b": 1e-7, "c": 1e16, "d": 0.1, "e": -0.0},
        {"a": float("nan")},
        [float("inf")],
        {"a": Decimal("NaN")},
        {"a": Decimal("1e999")},
        {"a": Decimal("12.50")},
        {"when": datetime.datetime(2026, 11, 25, 10, 31, 0, 123456, tzinfo=datetime.UTC)},
        {"when": datetime.datetime(2026, 11, 25, 10, 31, tzinfo=UTC_PLUS_2)},
        {"when": datetime.time(10, 31, tzinfo=datetime.UTC)},
        {"a": 2**64},
        {1: "a", None: "b", 1.5: "d"},
        {True: "c", 2: "e"},
        Fresh(lambda: {"gen": numbers()}),
        Fresh(lambda: {"gen": numbers(), "big": 2**70}),
        {"set": {1}},
        {"u": uuid.UUID(int=7)},
        {"text": "line\u2028separator\u2029"},
        {"lazy": lazy_text("lazy")},
        {"bytes": b"abc"},
        {"name": "e-mail"},
        None,
        [],
        "",
    ],
)
@pytest.mark.parametrize(
    "media_type, context",
    [("application/json", None), ("application/json; indent=4", None), ("application/json", {"indent": 2})],
)
def test_chosen_data_is_written_as_before(data, media_type, context):
    assert_same_rendering(data, media_type, context)
