"""Evaluation: a `RuleSet` indexes promotion snapshots once, then computes a basket's breakdown.

The rules of the computation are in the package docstring (`rewards.engine`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from operator import add
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
_ZERO: Final = Decimal(0)


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
        "name",
        "needs_eligible",
        "order",
        "points",
        "rank",
        "rate",
        "rule",
        "segments",
        "starts_at",
        "threshold",
        "tiers",
        "unconditional",
        "zero",
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
        self.name = rule.name
        self.kind = rule.kind
        self.live = live
        self.starts_at = rule.starts_at
        self.ends_at = rule.ends_at
        self.channels = rule.channels or None
        self.segments = rule.segments or None
        self.tiers = rule.tiers or None
        conditions = (self.starts_at, self.ends_at, self.channels, self.segments, self.tiers)
        self.unconditional = all(condition is None for condition in conditions)  # so the context check is quick
        self.min_amount = rule.min_amount
        self.max_points = rule.max_points
        self.needs_eligible = rule.min_amount is not None or rule.kind == BASKET  # the amount of its lines
        # Its shares are compared with zero: ints with 0, Decimals with a Decimal 0 (twice as fast; same answer).
        self.zero: Number = 0 if rule.kind == QUANTITY else _ZERO
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
        if self.unconditional:
            return None
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

    __slots__ = (
        "_by_category",
        "_by_code",
        "_by_sku",
        "_compiled",
        "_has_multipliers",
        "_rule_by_order",
        "_untargeted",
        "rules",
    )

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
        self._has_multipliers = bool(multipliers)  # whether evaluation needs each line's spend points
        self._rule_by_order: tuple[Rule, ...] = tuple(item.rule for item in by_code)
        self._by_sku: dict[str, tuple[int, ...]] = {key: tuple(value) for key, value in by_sku.items()}
        self._by_category: dict[str, tuple[int, ...]] = {key: tuple(value) for key, value in by_category.items()}
        self._untargeted: tuple[int, ...] = tuple(untargeted)

    def __len__(self) -> int:
        return len(self.rules)

    def evaluate(self, lines: Sequence[Line], context: Context, *, explain: bool = False) -> Evaluation:
        """Compute the points this basket earns under these rules; `explain` adds why the others gave nothing."""
        verdicts: list[object] = [_UNSEEN] * len(self._compiled)  # context check memo: each rule checked once
        matched = self._match(
            lines, verdicts, context.occurred_at, context.channel, context.member_segments, context.member_tier
        )
        failed: dict[int, str] = {}
        outcomes, divided = self._outcomes(lines, matched, failed)
        orders = sorted(outcomes)  # the matched rules, in code order
        # From here on the outcomes alone hold the lists of lines, and _breakdown drops each outcome once used: fewer
        # objects alive at once, so the garbage collector runs less often (_explain needs only the rules reached).
        reached = matched.keys() if explain else None
        del matched
        total, promotions, line_results = _breakdown(lines, orders, outcomes, failed, divided)
        not_applied = self._explain(verdicts, reached, failed, context) if reached is not None else []
        rule_by_order = self._rule_by_order
        matched_rules = tuple([rule_by_order[order] for order in orders])
        return Evaluation(total, promotions, line_results, not_applied, matched_rules)

    def _outcomes(
        self, lines: Sequence[Line], matched: Mapping[int, Sequence[int]], failed: dict[int, str]
    ) -> tuple[dict[int, _Outcome | None], bool]:
        """Each matched rule's shares and unrounded points, by its position in code order (None: below its
        minimum, then also in `failed`), and whether any share was divided (basket proration).

        Rules are visited in the order of `_match`, as each line's spend points (for multipliers) have always been
        added up in that order. A rule that reaches one line (the most common case) gets no list of shares: its one
        share is its unrounded sum, since `sum([x])` is `0 + x`, which is x (an int, or a Decimal that an operation
        already rounded). A rule that reaches every line works on whole lists; the others add up with explicit
        loops: the same additions, in the same order, as `sum`.
        """
        compiled = self._compiled
        n = len(lines)
        amounts = [line.amount for line in lines]
        quantities = [line.quantity for line in lines]
        basket_total: Decimal | None = None  # summed once, for the rules that reach every line
        divided = False
        outcomes: dict[int, _Outcome | None] = {}
        multipliers: list[tuple[_Compiled, Sequence[int]]] = []
        spend_by_line: list[Number] | None = [0] * n if self._has_multipliers else None
        share: Number
        shares: list[Number] | None
        unrounded: Number
        for index, line_indexes in matched.items():
            item = compiled[index]
            count = len(line_indexes)  # distinct and ascending, so n of them are every line
            if item.needs_eligible:
                if count == n:
                    if basket_total is None:
                        basket_total = sum(amounts, _ZERO)
                    eligible = basket_total
                else:
                    eligible = _ZERO  # as sum(..., Decimal(0))
                    for i in line_indexes:
                        eligible += amounts[i]
                if item.min_amount is not None and eligible < item.min_amount:
                    failed[index] = REASON_MIN_AMOUNT
                    outcomes[item.order] = None
                    continue
            kind = item.kind
            if kind == SPEND:
                rate = item.rate
                if count == 1:
                    i = line_indexes[0]
                    shares, unrounded = None, amounts[i] * rate  # type: ignore[operator]
                    if spend_by_line is not None:
                        spend_by_line[i] += unrounded
                elif count == n:
                    shares = [amount * rate for amount in amounts]  # type: ignore[operator]
                    unrounded = sum(shares)
                    if spend_by_line is not None:
                        spend_by_line = list(map(add, spend_by_line, shares))
                else:
                    shares, unrounded = [], 0
                    for i in line_indexes:
                        share = amounts[i] * rate  # type: ignore[operator]
                        shares.append(share)
                        unrounded += share
                        if spend_by_line is not None:
                            spend_by_line[i] += share
            elif kind == QUANTITY:
                per_unit = item.points
                if count == 1:
                    shares, unrounded = None, quantities[line_indexes[0]] * per_unit
                elif count == n:
                    shares = [quantity * per_unit for quantity in quantities]
                    unrounded = sum(shares)
                else:
                    shares, unrounded = [], 0
                    for i in line_indexes:
                        share = quantities[i] * per_unit
                        shares.append(share)
                        unrounded += share
            elif kind == BASKET:
                if eligible < item.threshold:
                    failed[index] = REASON_MIN_AMOUNT  # the threshold is the basket rule's own minimum
                    outcomes[item.order] = None
                    continue
                unrounded = item.points
                if count == 1:
                    shares = None
                else:  # `points * amount / eligible` (evenly when not positive), the int converted once
                    scale = Decimal(unrounded)
                    if eligible <= 0:
                        shares = [scale / count] * count
                    elif count == n:
                        shares = [scale * amount / eligible for amount in amounts]
                    else:
                        shares = [scale * amounts[i] / eligible for i in line_indexes]
                    divided = True
            else:
                multipliers.append((item, line_indexes))
                continue
            outcomes[item.order] = (item, line_indexes, shares, unrounded)
        if multipliers:
            assert spend_by_line is not None
            _multiply(multipliers, spend_by_line, outcomes, failed)
        return outcomes, divided

    def _match(
        self,
        lines: Sequence[Line],
        verdicts: list[object],
        occurred_at: datetime,
        channel: str | None,
        segments: frozenset[str] | None,
        tier: str | None,
    ) -> dict[int, Sequence[int]]:
        """Map each rule that passes the context checks to the indexes (ascending) of its eligible lines.

        The map's order (first line reached, a line's SKU rules before its category rules) is the order in which
        spend points are added up per line for multipliers, so it must not change.
        """
        compiled = self._compiled
        by_sku, by_category = self._by_sku, self._by_category
        matched: defaultdict[int, list[int]] = defaultdict(list)
        # Lines often share a category: its rules are filtered once, and kept as their lists of lines. (A rule
        # enters `matched` at the first line it reaches, as before: the order of `matched` must not change.)
        reached_by_category: dict[str | None, list[list[int]]] = {}
        for line_index, line in enumerate(lines):
            by_sku_too = False
            candidates = by_sku.get(line.sku)
            if candidates:
                for index in candidates:
                    verdict = verdicts[index]
                    if verdict is _UNSEEN:
                        verdict = verdicts[index] = compiled[index].context_reason(occurred_at, channel, segments, tier)
                    if verdict is None:
                        by_sku_too = True
                        matched[index].append(line_index)
            category = line.product_category
            reached = reached_by_category.get(category)
            if reached is None:
                reached = reached_by_category[category] = []
                candidates = by_category.get(category)  # type: ignore[arg-type]
                if candidates:
                    for index in candidates:
                        verdict = verdicts[index]
                        if verdict is _UNSEEN:
                            verdict = verdicts[index] = compiled[index].context_reason(
                                occurred_at, channel, segments, tier
                            )
                        if verdict is None:
                            reached.append(matched[index])
            if by_sku_too:
                for found in reached:
                    if not found or found[-1] != line_index:  # else reached by the SKU of this line too
                        found.append(line_index)
            else:
                for found in reached:
                    found.append(line_index)
        matched.default_factory = None  # from here on a plain dict: a lookup must not add a rule
        result: dict[int, Sequence[int]] = matched  # type: ignore[assignment]
        if lines:
            every_line = range(len(lines))
            for index in self._untargeted:
                verdict = verdicts[index]
                if verdict is _UNSEEN:
                    verdict = verdicts[index] = compiled[index].context_reason(occurred_at, channel, segments, tier)
                if verdict is None:
                    result[index] = every_line
        return result

    def _explain(
        self,
        verdicts: Sequence[object],
        reached: Collection[int],
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
            verdict = verdicts[index]
            if verdict is _UNSEEN:
                verdict = item.context_reason(
                    context.occurred_at, context.channel, context.member_segments, context.member_tier
                )
            if verdict is not None:
                reasons.append((item.code, verdict))  # type: ignore[arg-type]
            elif index not in reached:
                reasons.append((item.code, REASON_NO_ELIGIBLE_LINES))
            elif index in failed:
                reasons.append((item.code, failed[index]))
        return reasons


# A rule's outcome: the rule, its lines (ascending), its share on each (None for one line: the share is the
# unrounded sum) and their unrounded sum.
_Outcome = tuple[_Compiled, Sequence[int], list[Number] | None, Number]


def _multiplier_precedence(item: _Compiled) -> tuple[Decimal, str]:
    return (-item.factor_minus_one, item.code)


def _multiply(
    multipliers: list[tuple[_Compiled, Sequence[int]]],
    spend_by_line: list[Number],
    outcomes: dict[int, _Outcome | None],
    failed: dict[int, str],
) -> None:
    """Give each line to its highest applying multiplier, on the unrounded pre-cap spend points of that line."""
    n = len(spend_by_line)
    taken = bytearray(n)
    free = n  # lines not taken yet
    multipliers.sort(key=_multiplier_rank)
    for item, line_indexes in multipliers:
        extra = item.factor_minus_one
        if free == n and len(line_indexes) == n:  # the first to reach every line takes them all
            taken = bytearray(b"\x01") * n
            free = 0
            extras: list[Number] = [extra * spend for spend in spend_by_line]
            outcomes[item.order] = (item, line_indexes, extras, sum(extras))
            continue
        mine: list[int] = []
        extras = []
        unrounded: Number = 0  # as sum(extras): the same additions in the same order
        if free:
            for i in line_indexes:
                if not taken[i]:
                    taken[i] = 1
                    mine.append(i)
                    share = extra * spend_by_line[i]
                    extras.append(share)
                    unrounded += share
            free -= len(mine)
        if mine:
            outcomes[item.order] = (item, mine, None if len(mine) == 1 else extras, unrounded)
        else:  # beaten on every line: no points (as _breakdown would find)
            failed[item.index] = REASON_NO_ELIGIBLE_LINES
            outcomes[item.order] = None


def _multiplier_rank(pair: tuple[_Compiled, Sequence[int]]) -> int:
    return pair[0].rank


def _breakdown(
    lines: Sequence[Line],
    orders: list[int],
    outcomes: dict[int, _Outcome | None],
    failed: dict[int, str],
    divided: bool,
) -> tuple[int, list[PromotionResult], list[LineResult]]:
    """Round, cap and list each promotion, and add its shares to its lines, in code order: a line adds its shares
    in that order (28-digit Decimals round, so the order matters) and its list of codes comes out sorted."""
    n = len(lines)
    floor = math.floor
    promotions: list[PromotionResult] = []
    line_sums: list[Number] = [0] * n
    line_codes: list[list[str]] = [[] for _ in range(n)]
    total = 0
    inexact = divided  # some line's share may be a 28-digit approximation
    for order in orders:
        outcome = outcomes.pop(order)  # dropped once used (see evaluate)
        if outcome is None:
            continue
        item, line_indexes, shares, unrounded = outcome
        zero = item.zero
        points = floor(unrounded) if unrounded > zero else 0
        max_points = item.max_points
        if max_points is not None and points > max_points:
            points = max(max_points, 0)
            if points:  # the shares scaled to add up to the cap: `Decimal(share) * points / unrounded`
                scale, divisor = Decimal(points), Decimal(unrounded)
                if shares is None:
                    unrounded = divisor * scale / divisor
                elif item.kind == QUANTITY:  # int shares, of few values: each value scaled once
                    scaled = {share: share * scale / divisor for share in set(shares)}
                    shares = [scaled[share] for share in shares]
                else:
                    shares = [share * scale / divisor for share in shares]
                inexact = True
        if points <= 0:
            failed[item.index] = REASON_NO_ELIGIBLE_LINES
            continue
        code = item.code
        promotions.append(PromotionResult(code, item.name, points))
        total += points
        if shares is None:  # one line: its share is the unrounded sum
            i = line_indexes[0]
            line_sums[i] += unrounded
            if unrounded > zero:
                line_codes[i].append(code)
        elif len(shares) == n:  # every line: whole lists, no indexing
            line_sums = list(map(add, line_sums, shares))
            if min(shares) > zero:
                for codes in line_codes:
                    codes.append(code)
            else:
                for codes, share in zip(line_codes, shares):  # noqa: B905 - both have n items
                    if share > zero:
                        codes.append(code)
        else:
            for i, share in zip(line_indexes, shares):  # noqa: B905 - one share per index
                line_sums[i] += share
                if share > zero:
                    line_codes[i].append(code)
    if inexact:  # see _LINE_EPSILON
        line_sums = [s + _LINE_EPSILON if isinstance(s, Decimal) else s for s in line_sums]
    floors = [f if f > 0 else 0 for f in map(floor, line_sums)]
    return total, promotions, list(map(LineResult, [line.line_id for line in lines], floors, line_codes))
