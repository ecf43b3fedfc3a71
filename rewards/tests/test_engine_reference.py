"""Differential tests of the rule engine: the optimised `RuleSet.evaluate` against a frozen reference.

`ReferenceRuleSet` below is the PRE-OPTIMISATION REFERENCE: a verbatim copy of `rewards/engine/ruleset.py` as of
commit 49b3173 (only `RuleSet` and `_Compiled` renamed), kept here unchanged on purpose. The engine may be
restructured for speed; every field of its `Evaluation` (points, promotions, per-line points and codes,
`not_applied`, `matched_rules`), down to the types of the numbers, must stay exactly what this copy computes.
Do not "fix" or speed up the reference: change it only together with a deliberate change of the rules.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.engine import (
    BASKET,
    KINDS,
    MULTIPLIER,
    QUANTITY,
    REASON_CHANNEL,
    REASON_DATES,
    REASON_MIN_AMOUNT,
    REASON_NO_ELIGIBLE_LINES,
    REASON_SEGMENT,
    REASON_STATUS,
    REASON_TIER,
    SPEND,
    Context,
    Evaluation,
    Line,
    LineResult,
    PromotionResult,
    Rule,
    RuleSet,
)
from rewards.engine.model import LIVE

# --- the pre-optimisation reference (copy of rewards/engine/ruleset.py at 49b3173) ------------------------------

Number = Decimal | int

# Basket proration and cap scaling divide, so a line's share may be a 28-digit approximation (1/3 of a
# point). Added before flooring a line's sum, this keeps 0.99999…9 (meant as exactly 1) from becoming 0.
_LINE_EPSILON: Final = Decimal("1e-12")
_UNSEEN: Final = object()


class _ReferenceCompiled:
    """Per-rule data prepared once in `RuleSet.__init__`, so evaluation does no conversion or lookup."""

    __slots__ = (
        "channels",
        "code",
        "ends_at",
        "factor_minus_one",
        "index",
        "kind",
        "live",
        "max_points",
        "min_amount",
        "order",
        "points",
        "rank",
        "rate",
        "rule",
        "segments",
        "starts_at",
        "threshold",
        "tiers",
    )

    def __init__(self, index: int, rule: Rule) -> None:
        if rule.kind not in KINDS:
            raise ValueError(f"Promotion {rule.code}: unknown kind {rule.kind!r}.")
        live = rule.status == LIVE
        if live and rule.kind == SPEND and rule.rate is None:
            raise ValueError(f"Promotion {rule.code}: a spend rule needs a rate.")
        if live and rule.kind in (QUANTITY, BASKET) and rule.points is None:
            raise ValueError(f"Promotion {rule.code}: a {rule.kind} rule needs points.")
        if live and rule.kind == MULTIPLIER and rule.factor is None:
            raise ValueError(f"Promotion {rule.code}: a multiplier rule needs a factor.")
        self.index = index
        self.rule = rule
        self.code = rule.code
        self.kind = rule.kind
        self.live = live
        self.starts_at = rule.starts_at
        self.ends_at = rule.ends_at
        self.channels = rule.channels or None
        self.segments = rule.segments or None
        self.tiers = rule.tiers or None
        self.min_amount = rule.min_amount
        self.max_points = rule.max_points
        self.rate = rule.rate
        self.points = rule.points or 0
        self.threshold = rule.threshold if rule.threshold is not None else Decimal(0)
        self.factor_minus_one = (rule.factor - 1) if rule.factor is not None else Decimal(0)
        self.order = 0  # position by code, set by RuleSet
        self.rank = 0  # multiplier precedence (highest factor, then lowest code), set by RuleSet

    def context_reason(
        self, occurred_at: datetime, channel: str | None, segments: frozenset[str] | None, tier: str | None = None
    ) -> str | None:
        """Why the basket's context excludes this rule (dates, channel, segment, tier, in that order), or None."""
        if (self.starts_at is not None and occurred_at < self.starts_at) or (
            self.ends_at is not None and occurred_at >= self.ends_at
        ):
            return REASON_DATES
        if self.channels is not None and channel not in self.channels:
            return REASON_CHANNEL
        if self.segments is not None and (segments is None or self.segments.isdisjoint(segments)):
            return REASON_SEGMENT
        if self.tiers is not None and tier not in self.tiers:
            return REASON_TIER
        return None


class ReferenceRuleSet:
    """A set of promotion snapshots, indexed once so that each evaluation only touches the rules it reaches."""

    __slots__ = ("_by_category", "_by_code", "_by_sku", "_compiled", "_untargeted", "rules")

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        compiled = [_ReferenceCompiled(index, rule) for index, rule in enumerate(self.rules)]
        by_code = sorted(compiled, key=lambda c: c.code)
        for order, item in enumerate(by_code):
            if order and by_code[order - 1].code == item.code:
                raise ValueError(f"Promotion {item.code} appears twice in one rule set.")
            item.order = order
        multipliers = sorted((c for c in compiled if c.kind == MULTIPLIER and c.live), key=_multiplier_precedence)
        for rank, item in enumerate(multipliers):
            item.rank = rank

        by_sku: dict[str, list[int]] = {}
        by_category: dict[str, list[int]] = {}
        untargeted: list[int] = []
        for item in compiled:
            if not item.live:  # status never changes during evaluation: keep such rules out of the indexes
                continue
            rule = item.rule
            if not rule.products and not rule.product_categories:
                untargeted.append(item.index)
            for sku in rule.products:
                by_sku.setdefault(sku, []).append(item.index)
            for category in rule.product_categories:
                by_category.setdefault(category, []).append(item.index)
        self._compiled: tuple[_ReferenceCompiled, ...] = tuple(compiled)
        self._by_code: tuple[_ReferenceCompiled, ...] = tuple(by_code)
        self._by_sku: dict[str, tuple[int, ...]] = {key: tuple(value) for key, value in by_sku.items()}
        self._by_category: dict[str, tuple[int, ...]] = {key: tuple(value) for key, value in by_category.items()}
        self._untargeted: tuple[int, ...] = tuple(untargeted)

    def __len__(self) -> int:
        return len(self.rules)

    def evaluate(self, lines: Sequence[Line], context: Context, *, explain: bool = False) -> Evaluation:
        """Compute the points this basket earns under these rules; `explain` adds why the others gave nothing."""
        compiled = self._compiled
        occurred_at, channel, segments = context.occurred_at, context.channel, context.member_segments
        verdicts: dict[int, str | None] = {}  # context check memo: each rule is checked once per evaluation
        matched = self._match(lines, verdicts, occurred_at, channel, segments, context.member_tier)

        amounts = [line.amount for line in lines]
        n = len(lines)
        failed: dict[int, str] = {}
        outcomes: list[tuple[_ReferenceCompiled, Sequence[int], list[Number], Number]] = []
        spends: list[tuple[Sequence[int], list[Number]]] = []
        multipliers: list[tuple[_ReferenceCompiled, Sequence[int]]] = []
        inexact = False
        basket_total: Decimal | None = None
        for index, line_indexes in matched.items():
            item = compiled[index]
            kind = item.kind
            eligible: Decimal | None = None
            if item.min_amount is not None or kind == BASKET:
                if len(line_indexes) == n:  # every line: the basket total, summed once per evaluation
                    if basket_total is None:
                        basket_total = sum(amounts, Decimal(0))
                    eligible = basket_total
                else:
                    eligible = sum([amounts[i] for i in line_indexes], Decimal(0))
                if item.min_amount is not None and eligible < item.min_amount:
                    failed[index] = REASON_MIN_AMOUNT
                    continue
            shares: list[Number]
            if kind == SPEND:
                rate = item.rate
                shares = [amounts[i] * rate for i in line_indexes]  # type: ignore[operator]
                spends.append((line_indexes, shares))
                outcomes.append((item, line_indexes, shares, sum(shares)))
            elif kind == QUANTITY:
                per_unit = item.points
                shares = [lines[i].quantity * per_unit for i in line_indexes]
                outcomes.append((item, line_indexes, shares, sum(shares)))
            elif kind == BASKET:
                assert eligible is not None
                if eligible < item.threshold:
                    failed[index] = REASON_MIN_AMOUNT  # the threshold is the basket rule's own minimum
                    continue
                shares, prorated = _basket_shares(item.points, [amounts[i] for i in line_indexes], eligible)
                inexact = inexact or prorated
                outcomes.append((item, line_indexes, shares, item.points))
            else:
                multipliers.append((item, line_indexes))

        if multipliers:
            outcomes.extend(_multiplier_outcomes(multipliers, spends, n))

        outcomes.sort(key=lambda outcome: outcome[0].order)
        promotions: list[PromotionResult] = []
        line_sums: list[Number] = [0] * n
        line_codes: list[list[str]] = [[] for _ in range(n)]
        total = 0
        for item, line_indexes, shares, unrounded in outcomes:
            points = math.floor(unrounded) if unrounded > 0 else 0
            if item.max_points is not None and points > item.max_points:
                points = max(item.max_points, 0)
                if points:
                    divisor = Decimal(unrounded)
                    shares = [Decimal(share) * points / divisor for share in shares]
                    inexact = True
            if points <= 0:
                failed[item.index] = REASON_NO_ELIGIBLE_LINES
                continue
            promotions.append(PromotionResult(item.code, item.rule.name, points))
            total += points
            code = item.code
            for i, share in zip(line_indexes, shares, strict=True):
                line_sums[i] += share
                if share > 0:
                    line_codes[i].append(code)  # outcomes go by code, so each list stays sorted

        line_results = [
            LineResult(line.line_id, _floor_line(line_sums[i], inexact), line_codes[i]) for i, line in enumerate(lines)
        ]
        not_applied = self._explain(verdicts, matched, failed, context) if explain else []
        matched_rules = tuple(compiled[i].rule for i in sorted(matched, key=lambda i: compiled[i].order))
        return Evaluation(total, promotions, line_results, not_applied, matched_rules)

    def _match(
        self,
        lines: Sequence[Line],
        verdicts: dict[int, str | None],
        occurred_at: datetime,
        channel: str | None,
        segments: frozenset[str] | None,
        tier: str | None,
    ) -> dict[int, Sequence[int]]:
        """Map each rule that passes the context checks to the indexes (ascending) of its eligible lines."""
        compiled = self._compiled
        by_sku, by_category = self._by_sku, self._by_category
        matched: dict[int, list[int]] = {}
        for line_index, line in enumerate(lines):
            for candidates in (by_sku.get(line.sku), by_category.get(line.product_category)):  # type: ignore[arg-type]
                if not candidates:
                    continue
                for index in candidates:
                    verdict = verdicts.get(index, _UNSEEN)
                    if verdict is _UNSEEN:
                        verdict = verdicts[index] = compiled[index].context_reason(occurred_at, channel, segments, tier)
                    if verdict is not None:
                        continue
                    found = matched.get(index)
                    if found is None:
                        matched[index] = [line_index]
                    elif found[-1] != line_index:  # a rule reached by both the SKU and the category of one line
                        found.append(line_index)
        result: dict[int, Sequence[int]] = dict(matched)
        if lines:
            every_line = range(len(lines))
            for index in self._untargeted:
                verdict = verdicts.get(index, _UNSEEN)
                if verdict is _UNSEEN:
                    verdict = verdicts[index] = compiled[index].context_reason(occurred_at, channel, segments, tier)
                if verdict is None:
                    result[index] = every_line
        return result

    def _explain(
        self,
        verdicts: dict[int, str | None],
        matched: Mapping[int, Sequence[int]],
        failed: Mapping[int, str],
        context: Context,
    ) -> list[tuple[str, str]]:
        """One reason for every rule that gave no points; this is the only part that visits every rule."""
        reasons: list[tuple[str, str]] = []
        for item in self._by_code:
            index = item.index
            if not item.live:
                reasons.append((item.code, REASON_STATUS))
                continue
            verdict = verdicts.get(index, _UNSEEN)
            if verdict is _UNSEEN:
                verdict = item.context_reason(
                    context.occurred_at, context.channel, context.member_segments, context.member_tier
                )
            if verdict is not None:
                reasons.append((item.code, verdict))  # type: ignore[arg-type]
            elif index not in matched:
                reasons.append((item.code, REASON_NO_ELIGIBLE_LINES))
            elif index in failed:
                reasons.append((item.code, failed[index]))
        return reasons


def _multiplier_precedence(item: _ReferenceCompiled) -> tuple[Decimal, str]:
    return (-item.factor_minus_one, item.code)


def _basket_shares(points: int, amounts: list[Decimal], eligible: Decimal) -> tuple[list[Number], bool]:
    """Spread a basket rule's points over its lines by amount (evenly when the amount is not positive).

    Returns the shares and whether they were divided (and so may be approximations).
    """
    if len(amounts) == 1:
        return [points], False
    if eligible > 0:
        return [points * amount / eligible for amount in amounts], True
    even = Decimal(points) / len(amounts)
    return [even] * len(amounts), True


def _multiplier_outcomes(
    multipliers: list[tuple[_ReferenceCompiled, Sequence[int]]],
    spends: list[tuple[Sequence[int], list[Number]]],
    n: int,
) -> list[tuple[_ReferenceCompiled, Sequence[int], list[Number], Number]]:
    """Give each line to its highest applying multiplier, on the unrounded pre-cap spend points of that line."""
    spend_by_line: list[Number] = [0] * n
    for line_indexes, shares in spends:
        for i, share in zip(line_indexes, shares, strict=True):
            spend_by_line[i] += share
    taken = bytearray(n)
    outcomes: list[tuple[_ReferenceCompiled, Sequence[int], list[Number], Number]] = []
    for item, line_indexes in sorted(multipliers, key=lambda pair: pair[0].rank):
        mine = [i for i in line_indexes if not taken[i]]
        for i in mine:
            taken[i] = 1
        extra = item.factor_minus_one
        extras: list[Number] = [extra * spend_by_line[i] for i in mine]
        outcomes.append((item, mine, extras, sum(extras)))
    return outcomes


def _floor_line(value: Number, inexact: bool) -> int:
    if inexact and isinstance(value, Decimal):
        value += _LINE_EPSILON
    return max(math.floor(value), 0)


# --- comparison -------------------------------------------------------------------------------------------------


def assert_same(actual: Evaluation, expected: Evaluation) -> None:
    """Every field equal, and of the same type: `repr` tells 5 from Decimal('5') and shows any order change."""
    assert repr(actual) == repr(expected)
    assert actual == expected
    assert type(actual.points) is int
    assert all(type(p.points) is int for p in actual.promotions)
    assert all(type(r.points) is int for r in actual.lines)
    # the snapshot an earn stores: the very Rule objects the set was built from
    assert len(actual.matched_rules) == len(expected.matched_rules)
    assert all(a is b for a, b in zip(actual.matched_rules, expected.matched_rules, strict=True))


def floored(evaluate: Callable[[], Evaluation]) -> tuple[Evaluation, list[tuple[type, object]]]:
    """The evaluation, and every value it floored, in order: each promotion's unrounded sum, then each line's sum.

    Points are integers, so a share rounded differently (28 digits) would almost never change them; these sums
    show it. Both implementations look `math.floor` up at each evaluation, so a spy sees both.
    """
    seen: list[tuple[type, object]] = []
    real = math.floor

    def spy(value):
        seen.append((type(value), value))
        return real(value)

    with mock.patch.object(math, "floor", spy):
        result = evaluate()
    return result, seen


def assert_same_evaluation(optimised: RuleSet, reference: ReferenceRuleSet, lines, context, explain: bool) -> None:
    actual, actual_floored = floored(lambda: optimised.evaluate(lines, context, explain=explain))
    expected, expected_floored = floored(lambda: reference.evaluate(lines, context, explain=explain))
    assert_same(actual, expected)
    assert actual_floored == expected_floored  # the same values (and types), not merely the same integers


def build_both(rule_list: list[Rule]) -> tuple[RuleSet | None, ReferenceRuleSet | None]:
    """Both sets, or neither: a rule set the reference refuses must be refused with the same message."""
    try:
        expected = ReferenceRuleSet(rule_list)
    except ValueError as error:
        with pytest.raises(ValueError) as raised:
            RuleSet(rule_list)
        assert str(raised.value) == str(error)
        return None, None
    return RuleSet(rule_list), expected


def compare(rule_list: list[Rule], lines: list[Line], contexts: Iterable[Context], explain: bool) -> None:
    """Several evaluations on the same two sets, so that no state carries over from one basket to the next."""
    optimised, reference = build_both(rule_list)
    if optimised is None or reference is None:
        return
    for context in contexts:
        assert_same_evaluation(optimised, reference, lines, context, explain)
        # and without explain, which takes shortcuts of its own
        assert_same_evaluation(optimised, reference, lines, context, False)


# --- generated rule sets and baskets ---------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 10, 31, tzinfo=UTC)
MOMENTS = [NOW - timedelta(days=1), NOW, NOW + timedelta(days=1)]
SKUS = ["A", "B", "C", "D", "E", "F"]
CATEGORIES = ["x", "y", "z"]
CHANNELS = ["store", "web", "app"]
SEGMENTS = ["VIP", "GOLD", "NEW"]
TIERS = ["BRONZE", "SILVER", "GOLD"]


def money(low: str, high: str, places: int = 2) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False, allow_infinity=False
    )


# Values that stress the arithmetic: 28-digit products (inexact spend shares), thirds, zero and signs.
ODD_AMOUNTS = st.sampled_from(
    [
        Decimal("0"),
        Decimal("0.00"),
        Decimal("-0.01"),
        Decimal("0.01"),
        Decimal("33.33"),
        Decimal("98765432109876543.21"),
    ]
)
ODD_RATES = st.sampled_from(
    [Decimal("0.3333333333333333333333333333"), Decimal("1.0000000001"), Decimal("0"), Decimal("-0.5"), Decimal("3")]
)

amounts = money("-50", "500") | ODD_AMOUNTS
rates = money("0.01", "5") | money("0.001", "2", places=4) | ODD_RATES
factors = money("1.01", "4") | st.sampled_from([Decimal("1"), Decimal("0.5"), Decimal("1.3333333333333333")])


@st.composite
def rule_sets(draw: st.DrawFn) -> list[Rule]:
    """Up to 14 rules of every kind and condition; codes in an order unrelated to the list order."""
    codes = draw(st.lists(st.text("ABCMXZ", min_size=1, max_size=3), unique=True, max_size=14))
    moments = st.none() | st.sampled_from(MOMENTS)
    result = []
    for code in codes:
        kind = draw(st.sampled_from(sorted(KINDS)))
        products = draw(st.frozensets(st.sampled_from(SKUS), max_size=3))
        categories = draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2))
        result.append(
            Rule(
                code=code,
                version=draw(st.integers(1, 3)),
                name={"en": f"Rule {code}"},
                kind=kind,
                status=draw(st.sampled_from(["live", "live", "live", "live", "paused", "draft"])),
                rate=draw(rates) if kind == SPEND else None,
                points=draw(st.integers(-3, 60)) if kind in (QUANTITY, BASKET) else None,
                threshold=draw(st.none() | money("-10", "400")) if kind == BASKET else None,
                factor=draw(factors) if kind == MULTIPLIER else None,
                products=products,
                product_categories=categories,
                channels=draw(st.frozensets(st.sampled_from(CHANNELS), max_size=2)),
                segments=draw(st.frozensets(st.sampled_from(SEGMENTS), max_size=2)),
                tiers=draw(st.frozensets(st.sampled_from(TIERS), max_size=2)),
                starts_at=draw(moments),
                ends_at=draw(moments),
                min_amount=draw(st.none() | money("-10", "300")),
                max_points=draw(st.none() | st.integers(-1, 400)),
            )
        )
    return result


@st.composite
def baskets(draw: st.DrawFn) -> list[Line]:
    return [
        Line(
            line_id=f"L{n}",
            sku=draw(st.sampled_from([*SKUS, "OTHER"])),
            product_category=draw(st.sampled_from([*CATEGORIES, None])),
            quantity=draw(st.integers(-1, 6)),
            amount=draw(amounts),
        )
        for n in range(draw(st.integers(0, 12)))
    ]


contexts = st.builds(
    Context,
    occurred_at=st.sampled_from(MOMENTS),
    channel=st.sampled_from([*CHANNELS, None]),
    member_segments=st.none() | st.frozensets(st.sampled_from(SEGMENTS)),
    member_tier=st.sampled_from([*TIERS, None]),
)


@settings(max_examples=600, deadline=None)
@given(rule_sets(), baskets(), st.lists(contexts, min_size=1, max_size=3), st.booleans())
def test_the_engine_computes_what_the_reference_computes(rule_list, lines, context_list, explain):
    compare(rule_list, lines, context_list, explain)


@settings(max_examples=300, deadline=None)
@given(rule_sets(), baskets(), contexts)
def test_the_same_with_every_rule_live_and_in_context(rule_list, lines, context):
    """Most generated rules fail a condition; these all pass them, so every kind reaches the arithmetic."""
    unconditional = [
        replace(
            r, status=LIVE, channels=frozenset(), segments=frozenset(), tiers=frozenset(), starts_at=None, ends_at=None
        )
        for r in rule_list
    ]
    compare(unconditional, lines, [context], explain=True)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(sorted(KINDS)), max_size=6), st.data())
def test_the_same_for_rules_that_may_be_incomplete_or_repeat_a_code(kinds, data):
    """Construction errors: the same refusals, with the same messages."""
    rule_list = [
        Rule(
            code=data.draw(st.sampled_from(["A", "B", "C"])),
            version=1,
            name={},
            kind=kind,
            status=data.draw(st.sampled_from(["live", "paused"])),
            rate=data.draw(st.none() | st.just(Decimal("1"))),
            points=data.draw(st.none() | st.just(5)),
            threshold=data.draw(st.none() | st.just(Decimal("10"))),
            factor=data.draw(st.none() | st.just(Decimal("2"))),
        )
        for kind in kinds
    ]
    compare(rule_list, [Line("1", "A", None, 1, Decimal("20.00"))], [Context(NOW, "store", None)], explain=True)


# Decimals with 28 significant digits everywhere, so that products, sums and caps round: any step done
# differently (another order, another grouping) shows in the floored sums.
PRECISE = st.sampled_from(
    [
        Decimal("0.3333333333333333333333333333"),
        Decimal("0.1428571428571428571428571429"),
        Decimal("2.718281828459045235360287471"),
        Decimal("1.000000000000000000000000001"),
    ]
)


@st.composite
def rounding_rule_sets(draw: st.DrawFn) -> list[Rule]:
    result = []
    for n in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(sorted(KINDS)))
        result.append(
            Rule(
                code=f"R{draw(st.integers(0, 99)):02d}-{n}",
                version=1,
                name={"en": f"Rule {n}"},
                kind=kind,
                status=LIVE,
                rate=draw(PRECISE) if kind == SPEND else None,
                points=draw(st.integers(1, 10**6)) if kind in (QUANTITY, BASKET) else None,
                threshold=Decimal(0) if kind == BASKET else None,
                factor=draw(PRECISE) + 1 if kind == MULTIPLIER else None,
                products=draw(st.sampled_from([frozenset(), frozenset({"A"}), frozenset({"A", "B"})])),
                max_points=draw(st.sampled_from([None, None, 0, 1, 2, 7, 999_999])),
            )
        )
    return result


@settings(max_examples=400, deadline=None)
@given(
    rounding_rule_sets(),
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(1, 4), money("0.01", "1000000000000000000") | PRECISE),
        min_size=1,
        max_size=6,
    ),
)
def test_the_same_where_every_step_rounds(rule_list, line_specs):
    lines = [Line(f"L{n}", sku, None, quantity, amount) for n, (sku, quantity, amount) in enumerate(line_specs)]
    compare(rule_list, lines, [Context(NOW)], explain=True)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(PRECISE, st.sampled_from([frozenset(), frozenset({"A"}), frozenset({"B"}), frozenset({"A", "B"})])),
        min_size=3,
        max_size=8,
    ),
    PRECISE,
    st.lists(st.tuples(st.sampled_from(["A", "B"]), money("0.01", "1000000000000000000") | PRECISE), max_size=4),
)
def test_the_same_spend_points_under_a_multiplier(spends, factor, line_specs):
    """Several spend rules on one line, each share rounded: a multiplier adds them up in the order of _match."""
    rule_list = [
        Rule(code=f"S{n}", version=1, name={}, kind=SPEND, status=LIVE, rate=rate, products=products)
        for n, (rate, products) in enumerate(spends)
    ]
    rule_list.append(Rule(code="M", version=1, name={}, kind=MULTIPLIER, status=LIVE, factor=factor + 1))
    lines = [Line(f"L{n}", sku, None, 1, amount) for n, (sku, amount) in enumerate(line_specs)]
    compare(rule_list, lines, [Context(NOW)], explain=False)


# --- large baskets, shaped like bench/evaluate.py -------------------------------------------------------------


def large_rules(rng: random.Random, count: int, skus: list[str], categories: list[str]) -> list[Rule]:
    rules = []
    for n in range(count):
        kind = rng.choices([SPEND, QUANTITY, BASKET, MULTIPLIER], weights=[50, 20, 15, 15])[0]
        products: frozenset[str] = frozenset()
        product_categories: frozenset[str] = frozenset()
        if n >= 8:  # the first ones reach every line
            if rng.random() < 0.6:
                products = frozenset(rng.sample(skus, rng.randint(1, 20)))
            else:
                product_categories = frozenset(rng.sample(categories, rng.randint(1, 3)))
        rules.append(
            Rule(
                code=f"P{rng.randrange(10**6):06d}-{n}",
                version=1,
                name={"en": f"Promotion {n}"},
                kind=kind,
                status=rng.choice(["live"] * 9 + ["paused"]),
                rate=Decimal(rng.choice(["0.1", "0.5", "1", "2", "1.25", "0.333"])) if kind == SPEND else None,
                points=rng.choice([5, 10, 50, 100, 7]) if kind in (QUANTITY, BASKET) else None,
                threshold=Decimal(rng.choice(["0", "20.00", "50.00", "100.00"])) if kind == BASKET else None,
                factor=Decimal(rng.choice(["1.5", "2", "3", "1.25"])) if kind == MULTIPLIER else None,
                products=products,
                product_categories=product_categories,
                channels=frozenset(rng.sample(CHANNELS, 1)) if rng.random() < 0.2 else frozenset(),
                segments=frozenset(rng.sample(SEGMENTS, 2)) if rng.random() < 0.2 else frozenset(),
                tiers=frozenset(rng.sample(TIERS, 2)) if rng.random() < 0.1 else frozenset(),
                starts_at=NOW - timedelta(days=rng.randint(-5, 60)) if rng.random() < 0.3 else None,
                ends_at=NOW + timedelta(days=rng.randint(-5, 60)) if rng.random() < 0.3 else None,
                min_amount=Decimal(rng.choice(["10.00", "25.00", "400.00"])) if rng.random() < 0.2 else None,
                max_points=rng.choice([0, 7, 50, 200, 1000]) if rng.random() < 0.25 else None,
            )
        )
    return rules


@pytest.mark.parametrize("seed", range(6))
def test_the_same_on_large_baskets(seed):
    rng = random.Random(seed)
    skus = [f"SKU-{n:04d}" for n in range(400)]
    categories = [f"cat-{n:02d}" for n in range(40)]
    category_of = {sku: categories[n % len(categories)] for n, sku in enumerate(skus)}
    rule_list = large_rules(rng, 300, skus, categories)
    optimised, reference = RuleSet(rule_list), ReferenceRuleSet(rule_list)
    for size in (1, 10, 100):
        for _ in range(4):
            lines = []
            for n, sku in enumerate(rng.choices(skus, k=size)):  # a SKU may come back on another line
                quantity = rng.randint(1, 4)
                amount = Decimal(rng.randint(-500, 5_000)) / 100 * quantity
                lines.append(
                    Line(str(n), sku, rng.choice([category_of[sku], category_of[sku], None]), quantity, amount)
                )
            context = Context(
                NOW,
                rng.choice([*CHANNELS, None]),
                rng.choice([None, frozenset(), frozenset(rng.sample(SEGMENTS, rng.randint(1, 2)))]),
                rng.choice([*TIERS, None]),
            )
            for explain in (False, True):
                assert_same_evaluation(optimised, reference, lines, context, explain)
