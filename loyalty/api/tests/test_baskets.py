"""The fast basket check (loyalty/api/baskets.py) answers exactly what the serializers answer.

Generated bodies of evaluation and earn (valid baskets of every shape, and mutations of them: wrong types, missing
fields, unknown keys at every depth, bad money strings, out-of-range quantities, duplicate line_ids, bad
timestamps, offsets and ranges, bad references and member ids, currency present or absent, NUL and surrogates…)
go through `basket_fast` and through the DRF serializer: the fast path must accept exactly the bodies the
serializer accepts, with the same validated_data (same keys in the same order, same types, same Decimal
exponents), and `validate_basket` must raise, for every other body, the serializer's error (same flattened
fields, so the same 400 body).

More examples: BASKET_EXAMPLES=20000 .venv/bin/pytest loyalty/api/tests/test_baskets.py
"""

import copy
import datetime
import os
from collections import Counter
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from loyalty.api import earning_serializers as s
from loyalty.api.baskets import basket_fast, validate_basket
from loyalty.api.errors import flatten_fields
from tests.helpers import basket, line

EXAMPLES = int(os.environ.get("BASKET_EXAMPLES", "1500"))
NOW = datetime.datetime(2026, 11, 25, 10, 31, 0, 123456, tzinfo=datetime.UTC)
PROGRAM = SimpleNamespace(currency="EUR")  # all the serializer reads of the program
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def canonical(value: Any) -> Any:
    """Equal only for equal data of the same types and key order (Decimal('1.5') is not Decimal('1.50'))."""
    if isinstance(value, dict):
        return ("dict", type(value).__name__, tuple((k, canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", type(value).__name__, tuple(canonical(v) for v in value))
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, datetime.datetime):
        return ("datetime", value.isoformat(), repr(value.tzinfo))
    return (type(value).__name__, repr(value))


def serializer_for(body: Any, earn: bool) -> serializers.Serializer:
    if earn:
        return s.EarnInput(data=body)
    return s.BasketInput(data=body, context={"program": PROGRAM})


def compare(body: Any, earn: bool) -> str:
    """Asserts both ways answer alike; says which way the fast path went."""
    serializer = serializer_for(copy.deepcopy(body), earn)
    valid = serializer.is_valid()
    program = None if earn else PROGRAM
    fast = basket_fast(copy.deepcopy(body), earn=earn, program=program)
    if valid:
        assert fast is not None, ("valid, but the fast path refused it", body)
        assert canonical(fast) == canonical(serializer.validated_data), body
        assert canonical(validate_basket(copy.deepcopy(body), earn=earn, program=program)) == canonical(fast)
        return "accepted"
    assert fast is None, ("invalid, but the fast path accepted it", body, serializer.errors)
    with pytest.raises(serializers.ValidationError) as refused:
        validate_basket(copy.deepcopy(body), earn=earn, program=program)
    assert refused.value.detail == serializer.errors
    assert flatten_fields(refused.value.detail) == flatten_fields(serializer.errors)
    return "refused"


# --- values: mostly good ones, sometimes odd but valid, sometimes bad ----------------------------------------------

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)
ODD_TEXT = st.sampled_from(
    ["", " ", "\t", "\n", "a\n", "a\x00b", "\ud800", "x\udfff", "é", "١٢", "𝟘", "a" * 64, "a" * 65, "a" * 32, "a" * 33]
)
TEXT = st.text(max_size=70) | ODD_TEXT | st.from_regex(r"[A-Za-z0-9 ._:-]{1,12}", fullmatch=True)


GOOD_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=32) | st.sampled_from(
    [" ", "\t", "\n", "a\n", "é", "١٢", "𝟘", "a" * 32]
)


def pick(draw: st.DrawFn, odds: int, good: st.SearchStrategy, bad: st.SearchStrategy) -> Any:
    """A bad value once in `odds` draws (never when odds is 0), else a good one."""
    return draw(bad if odds and draw(st.integers(1, odds)) == 1 else good)


MONEY_GOOD = st.from_regex(r"[0-9]{1,10}(\.[0-9]{1,2})?", fullmatch=True) | st.sampled_from(
    ["0", "0.00", "-0", "-0.00", "12.5", "4.50", "9999999999.99", "007.10"]
)
MONEY_BAD = (
    st.sampled_from(
        ["", "-1", "-0.01", "12.345", "1e3", " 1", "1 ", "1_0", "١٢", "12.", ".5", "NaN", "Infinity", "99999999999"]
    )
    | st.just("4.50\n")
    | st.floats()
    | st.integers()
    | st.none()
    | ANY_JSON
    | TEXT
)
QUANTITY_GOOD = st.integers(1, 1_000_000) | st.sampled_from([1, 2, 1_000_000])
QUANTITY_BAD = st.sampled_from([0, -1, 1_000_001, 2**63, 2**64, -(2**70), True, False, 1.0, 2.5, "5", None]) | ANY_JSON
REFERENCE_GOOD = st.from_regex(r"[A-Za-z0-9._:-]{1,64}", fullmatch=True) | st.sampled_from(
    ["POS-778-2026-11-25-0042", "a" * 64]
)
REFERENCE_BAD = st.sampled_from(["", "a b", "é", "R\n", "a" * 65, "a" * 64 + "\n", "a/b", None, 5, True]) | TEXT
MEMBER_GOOD = st.from_regex(r"[!\"$&-.0-9:->@-\[\]-~]{1,64}", fullmatch=True) | st.sampled_from(["M-1", "a" * 64, "~!"])
MEMBER_BAD = (
    st.sampled_from(["", "M 1", "M/1", "M?1", "M#1", "M%1", "M\\1", "é", "M-1\n", "a" * 65, "a" * 64 + "\n", 5, []])
    | TEXT
)
OFFSETS = st.sampled_from(["Z", "+00:00", "+01:00", "-05:30", "+14:00", "-14:00", "+1400", "+05", "-0000"])
BAD_OFFSETS = st.sampled_from(["", "z", "+14:01", "-14:30", "+23:59", "+15", "+1:00", " +01:00"])


@st.composite
def timestamps(draw: st.DrawFn, good: bool) -> Any:
    if good:
        moment = draw(
            st.datetimes(
                min_value=datetime.datetime(2000, 1, 1, 14, 0, 1),
                max_value=datetime.datetime(2026, 11, 25, 20, 0),  # -14:00 stays within NOW + 24 h
            )
        )
        text = moment.isoformat(sep=draw(st.sampled_from(["T", "t", " "])))
        if moment.microsecond and draw(st.booleans()):
            text = text[:-3]  # milliseconds
        return text + draw(OFFSETS)
    return draw(
        st.sampled_from(
            [
                "2026-11-25T10:31:00",  # no offset
                "2026-11-25",
                "2026-02-30T10:00:00Z",
                "1999-12-31T23:59:59Z",  # before 2000
                "2000-01-01T00:00:00+00:01",
                "2026-11-26T10:31:01Z",  # more than 24 h after NOW
                "9999-12-31T23:59:59-14:00",  # beyond UTC's last moment
                "0001-01-01T00:00:00+14:00",  # before UTC's first moment
                "",
                "now",
            ]
        )
        | st.builds(lambda d, o: d + o, st.just("2026-11-25T10:31:00"), BAD_OFFSETS)
        | st.none()
        | st.integers()
        | ANY_JSON
        | TEXT
    )


UNKNOWN_KEYS = st.sampled_from(["productcategory", "Lines", "", "amount ", "line", "x", "\ud800", "a\x00"]) | st.text(
    max_size=8
)


@st.composite
def basket_lines(draw: st.DrawFn, count: int, ids: str, odds: int) -> Any:
    out = []
    for index in range(count):
        if odds and draw(st.integers(1, 6 * odds)) == 1:
            out.append(draw(ANY_JSON | st.sampled_from([None, [], "line", 1])))
            continue
        if ids == "unique":
            line_id = str(index)
        elif ids == "pool":
            line_id = draw(st.sampled_from(["1", "2", "3"]))
        else:
            line_id = pick(draw, odds, GOOD_TEXT.filter(bool), ODD_TEXT | st.none() | st.integers() | ANY_JSON)
        item: dict = {
            "line_id": line_id,
            "sku": pick(draw, odds, st.sampled_from(["COF-250", "TEA", "s"]) | GOOD_TEXT.filter(bool), TEXT | ANY_JSON),
            "product_category": pick(
                draw, odds, st.sampled_from(["coffee", "", None]) | GOOD_TEXT, st.integers() | ANY_JSON | ODD_TEXT
            ),
            "quantity": pick(draw, odds, QUANTITY_GOOD, QUANTITY_BAD),
            "unit_price": pick(draw, odds, MONEY_GOOD, MONEY_BAD),
            "amount": pick(draw, odds, MONEY_GOOD, MONEY_BAD),
        }
        for key in ("product_category", "amount"):
            if draw(st.booleans()):
                del item[key]
        for key in ("line_id", "sku", "quantity", "unit_price"):
            if odds and draw(st.integers(1, 4 * odds)) == 1:
                del item[key]
        if odds and draw(st.integers(1, 4 * odds)) == 1:
            item[draw(UNKNOWN_KEYS)] = draw(ANY_JSON)
        out.append(item)
    return out


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 80)) == 0:
        return draw(ANY_JSON)  # not an object
    # How broken: 0 gives a valid basket (but for a duplicate line_id from the pool), else one value in `odds` bad.
    odds = draw(st.sampled_from([0, 0, 40, 20, 8]))
    count = draw(st.integers(0 if odds else 1, 6) | st.sampled_from([1, 1, 2, 12]))
    ids = draw(st.sampled_from(["unique", "unique", "unique", "pool", "any"]))
    body: dict = {
        "member_id": pick(draw, odds, MEMBER_GOOD, MEMBER_BAD | st.none()),
        "reference": pick(draw, odds, REFERENCE_GOOD, REFERENCE_BAD),
        "occurred_at": pick(draw, odds, timestamps(True), timestamps(False)),
        "channel": pick(draw, odds, st.sampled_from(["store", "web", "", None]) | GOOD_TEXT, ODD_TEXT | ANY_JSON),
        "store": pick(draw, odds, st.sampled_from(["BRU-01", "", None]) | GOOD_TEXT, ODD_TEXT | ANY_JSON),
        "currency": pick(draw, odds, st.just("EUR"), st.sampled_from(["USD", "eur", "", "EURO", None, 978]) | TEXT),
        "lines": pick(draw, odds, basket_lines(count, ids, odds), ANY_JSON | st.sampled_from([[], {}, None, "lines"])),
    }
    for key in ("occurred_at", "channel", "store", "currency"):
        if draw(st.booleans()):
            del body[key]
    for key in ("member_id", "reference", "lines"):
        if odds and draw(st.integers(1, 2 * odds)) == 1:
            del body[key]
    if odds and draw(st.integers(1, 2 * odds)) == 1:
        body[draw(UNKNOWN_KEYS)] = draw(ANY_JSON)
    return body


def run_generated(strategy: st.SearchStrategy, examples: int = EXAMPLES) -> Counter:
    seen: Counter = Counter()

    @settings(SETTINGS, max_examples=examples)
    @given(body=strategy, earn=st.booleans())
    def check(body: Any, earn: bool) -> None:
        seen[compare(body, earn)] += 1

    with mock.patch("django.utils.timezone.now", return_value=NOW):
        check()
    return seen


def test_generated_bodies_are_answered_as_the_serializer_answers():
    seen = run_generated(bodies())
    print("generated bodies:", dict(seen))
    # Both ways are taken often: the generator makes whole valid baskets as well as broken ones.
    assert seen["accepted"] > EXAMPLES // 10, seen
    assert seen["refused"] > EXAMPLES // 10, seen


def test_valid_generated_baskets_are_all_taken_by_the_fast_path():
    """Baskets of every valid shape (optional fields present, null or absent; odd but valid values)."""

    @st.composite
    def valid(draw: st.DrawFn) -> dict:
        lines = []
        for index in range(draw(st.integers(1, 8))):
            item = {
                "line_id": str(index),
                "sku": draw(
                    st.text(
                        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=64
                    )
                ),
                "product_category": draw(st.sampled_from(["coffee", "", None, " ", "é" * 64])),
                "quantity": draw(QUANTITY_GOOD),
                "unit_price": draw(MONEY_GOOD),
                "amount": draw(MONEY_GOOD),
            }
            for key in ("product_category", "amount"):
                if draw(st.booleans()):
                    del item[key]
            lines.append(dict(draw(st.permutations(list(item.items())))))
        body = {
            "member_id": draw(MEMBER_GOOD),
            "reference": draw(REFERENCE_GOOD),
            "occurred_at": draw(timestamps(True)),
            "channel": draw(st.sampled_from(["store", "", None, "c" * 32])),
            "store": draw(st.sampled_from(["BRU-01", "", None, "s" * 64])),
            "currency": "EUR",
            "lines": lines,
        }
        for key in ("occurred_at", "channel", "store", "currency"):
            if draw(st.booleans()):
                del body[key]
        return dict(draw(st.permutations(list(body.items()))))

    seen = run_generated(valid(), examples=max(EXAMPLES // 3, 100))
    assert set(seen) == {"accepted"}, seen


@pytest.mark.parametrize("earn", [False, True])
@pytest.mark.parametrize(
    "body",
    [
        basket(),
        basket(lines=[line(line_id=str(i)) for i in range(500)]),  # the most lines there may be
        basket(lines=[line(line_id=str(i)) for i in range(501)]),
        basket(lines=[line(line_id=str(i)) for i in range(200)] + [line(line_id="7")]),  # one duplicate, far down
        basket(lines=[line(line_id=str(i)) for i in range(200)] + [line(line_id="x", quantity=0)]),
        basket(lines=[]),
        basket(lines=[line(amount="9.00"), line(line_id="2", category="")]),
        basket(lines=[line(unit_price="-0")]),
        basket(lines=[line(unit_price="-0.01")]),
        basket(lines=[line(quantity=True)]),
        basket(lines=[line(productcategory="coffee")]),
        basket(lines=[{**line(), "extra": {"deeper": 1}}]),
        basket(member_id=None),
        basket(member_id="M-1\n"),
        basket(reference="a" * 64 + "\n"),
        basket(currency="EUR"),
        basket(currency="USD"),
        basket(currency=None),
        basket(occurred_at="2026-11-25T10:31:00+14:00"),
        basket(occurred_at="2026-11-25T10:31:00+14:01"),
        basket(occurred_at=None),
        basket(channel="", store=""),
        basket(channel=None, store=None),
        {**basket(), "member": "M-1"},
        {"lines": [line()]},
        [basket()],
        None,
    ],
)
def test_chosen_bodies_are_answered_as_the_serializer_answers(body, earn):
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        compare(body, earn)


def test_the_fast_path_knows_every_field_of_the_serializers():
    """A field added to the basket serializers must be taught to the fast path (or this fails)."""
    assert list(s.BasketInput._declared_fields) == [
        "member_id",
        "reference",
        "occurred_at",
        "channel",
        "store",
        "currency",
        "lines",
    ]
    assert list(s.EarnInput._declared_fields) == list(s.BasketInput._declared_fields)
    assert list(s.BasketLineInput._declared_fields) == [
        "line_id",
        "sku",
        "product_category",
        "quantity",
        "unit_price",
        "amount",
    ]
    flags = {
        name: (type(f).__name__, f.required, f.allow_null, getattr(f, "allow_blank", None))
        for serializer in (s.BasketInput, s.EarnInput, s.BasketLineInput)
        for name, f in serializer._declared_fields.items()
        if serializer is not s.EarnInput or name in ("member_id", "reference")
    }
    assert flags == {
        "member_id": ("MemberIdField", True, False, False),  # EarnInput's (BasketInput's: optional, nullable)
        "reference": ("ReferenceField", True, False, False),
        "occurred_at": ("OccurredAtField", False, False, None),
        "channel": ("StrictCharField", False, True, True),
        "store": ("StrictCharField", False, True, True),
        "currency": ("CurrencyField", False, False, False),
        "lines": ("ListSerializer", True, False, None),
        "line_id": ("StrictCharField", True, False, False),
        "sku": ("StrictCharField", True, False, False),
        "product_category": ("StrictCharField", False, True, True),
        "quantity": ("StrictIntegerField", True, False, None),
        "unit_price": ("MoneyField", True, False, None),
        "amount": ("MoneyField", False, False, None),
    }
    basket_member = s.BasketInput._declared_fields["member_id"]
    basket_reference = s.BasketInput._declared_fields["reference"]
    assert (basket_member.required, basket_member.allow_null) == (False, True)
    assert (basket_reference.required, basket_reference.allow_null) == (False, False)


# --- the views take the fast path ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_views_validate_a_valid_basket_without_the_serializer(api, member, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the serializer was used for a valid basket")

    monkeypatch.setattr(s, "BasketInput", refuse)
    monkeypatch.setattr(s, "EarnInput", refuse)
    assert api.post("/api/v1/baskets/evaluate", basket(currency="EUR")).status_code == 200
    assert api.post("/api/v1/transactions/earn", basket()).status_code == 201


@pytest.mark.django_db
def test_the_views_answer_an_invalid_basket_with_the_serializers_error(api, member):
    body = basket(lines=[line(), line(line_id="2", quantity="2", productcategory="x")])
    for path in ("/api/v1/baskets/evaluate", "/api/v1/transactions/earn"):
        error = api.post(path, body).json()["error"]
        assert error["fields"] == {"lines.1.productcategory": ["Unknown field."]}
    body = basket(lines=[line(), line(line_id="2", quantity="2")])
    for path in ("/api/v1/baskets/evaluate", "/api/v1/transactions/earn"):
        error = api.post(path, body).json()["error"]
        assert error["fields"] == {"lines.1.quantity": ["Must be a JSON integer."]}
