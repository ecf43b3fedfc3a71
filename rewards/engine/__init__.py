"""The promotion rule engine: a basket and promotion snapshots in, a points breakdown out.

Pure Python, with no Django or database access, so that basket evaluation, earn and partial reversal share
one computation (an earn stores `Evaluation.matched_rules`; a reversal rebuilds a `RuleSet` from them and
recomputes the remaining basket), and so that it is fast and testable in isolation.

How points are computed (API.md, "Promotion rules"):

- Every promotion computes an unrounded share per eligible line (Decimal, never float). Its points are the
  sum of its shares rounded down once (floor), then capped at `max_points`. The total is the sum over
  promotions. A promotion whose unrounded sum is negative (discount lines with negative amounts) gives 0.
- A line's `points` is informative only: the floor of the sum of its shares over the promotions that gave
  points. A capped promotion's shares are scaled by `cap / uncapped_total` (the unrounded total) so that they
  add up to what the promotion actually gave; a promotion that ends with 0 points contributes no share.
  Per-line figures therefore need not add up to the total, which is rounded once per promotion.
- A multiplier adds `(factor - 1) x` the unrounded, pre-cap points that the applying `spend` promotions gave
  the line. On one line only the highest factor applies (tie: lowest code); its own `max_points` caps it.
- A basket promotion gives `points` once, when its eligible amount reaches `threshold` (a missing threshold
  is 0). Its shares are prorated by amount, or split evenly when the eligible amount is not positive.

Cost: `RuleSet` indexes live rules by SKU and by product category once, so `evaluate` (without explain) does
work in proportion to the lines and the rules they reach through the indexes, not to the size of the set.
"""

from rewards.engine.model import (
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
)
from rewards.engine.ruleset import RuleSet

__all__ = [
    "BASKET",
    "KINDS",
    "MULTIPLIER",
    "QUANTITY",
    "REASON_CHANNEL",
    "REASON_DATES",
    "REASON_MIN_AMOUNT",
    "REASON_NO_ELIGIBLE_LINES",
    "REASON_SEGMENT",
    "REASON_STATUS",
    "REASON_TIER",
    "SPEND",
    "Context",
    "Evaluation",
    "Line",
    "LineResult",
    "PromotionResult",
    "Rule",
    "RuleSet",
]
