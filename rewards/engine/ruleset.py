"""Evaluation: a `RuleSet` indexes promotion snapshots once, then computes a basket's breakdown.

The rules of the computation are in the package docstring (`rewards.engine`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

from rewards.engine.model import (
    BASKET,
    KINDS,
    LIVE,
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
)

Number = Decimal | int

# Basket proration and cap scaling divide, so a line's share may be a 28-digit approximation (1/3 of a
# point). Added before flooring a line's sum, this keeps 0.99999…9 (meant as exactly 1) from becoming 0.
_LINE_EPSILON: Final = Decimal("1e-12")
_UNSEEN: Final = object()


class _Compiled:
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


class RuleSet:
    """A set of promotion snapshots, indexed once so that each evaluation only touches the rules it reaches."""

    __slots__ = ("_by_category", "_by_code", "_by_sku", "_compiled", "_untargeted", "rules")

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        compiled = [_Compiled(index, rule) for index, rule in enumerate(self.rules)]
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
        self._compiled: tuple[_Compiled, ...] = tuple(compiled)
        self._by_code: tuple[_Compiled, ...] = tuple(by_code)
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
        outcomes: list[tuple[_Compiled, Sequence[int], list[Number], Number]] = []
        spends: list[tuple[Sequence[int], list[Number]]] = []
        multipliers: list[tuple[_Compiled, Sequence[int]]] = []
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


def _multiplier_precedence(item: _Compiled) -> tuple[Decimal, str]:
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
    multipliers: list[tuple[_Compiled, Sequence[int]]],
    spends: list[tuple[Sequence[int], list[Number]]],
    n: int,
) -> list[tuple[_Compiled, Sequence[int], list[Number], Number]]:
    """Give each line to its highest applying multiplier, on the unrounded pre-cap spend points of that line."""
    spend_by_line: list[Number] = [0] * n
    for line_indexes, shares in spends:
        for i, share in zip(line_indexes, shares, strict=True):
            spend_by_line[i] += share
    taken = bytearray(n)
    outcomes: list[tuple[_Compiled, Sequence[int], list[Number], Number]] = []
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
