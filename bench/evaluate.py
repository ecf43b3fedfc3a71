"""Benchmark of the rule engine: 1,000 live promotions of mixed kinds, baskets of 10 and 100 lines.

The engine is pure Python, so no Django settings are needed: run `.venv/bin/python bench/evaluate.py`.
The target is a median of at most 5 ms for a 100-line basket on one core.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rewards.engine import Context, Line, Rule, RuleSet

NOW = datetime(2026, 11, 25, 10, 31, tzinfo=UTC)
SKUS = [f"SKU-{n:05d}" for n in range(5_000)]
CATEGORIES = [f"cat-{n:03d}" for n in range(100)]
CATEGORY_OF = {sku: CATEGORIES[n % len(CATEGORIES)] for n, sku in enumerate(SKUS)}
CHANNELS = ["store", "web", "app"]
SEGMENTS = [f"SEG-{n}" for n in range(20)]


def build_rules(rng: random.Random, count: int = 1_000, untargeted: int = 10) -> list[Rule]:
    """Live rules: ~60% on a few SKUs, ~40% on one to three categories, `untargeted` on every line."""
    rules = []
    for n in range(count):
        kind = rng.choices(["spend", "quantity", "basket", "multiplier"], weights=[50, 20, 15, 15])[0]
        products: frozenset[str] = frozenset()
        categories: frozenset[str] = frozenset()
        if n >= untargeted:
            if rng.random() < 0.6:
                products = frozenset(rng.sample(SKUS, rng.randint(1, 20)))
            else:
                categories = frozenset(rng.sample(CATEGORIES, rng.randint(1, 3)))
        rules.append(
            Rule(
                code=f"P{n:04d}",
                version=1,
                name={"en": f"Promotion {n}"},
                kind=kind,
                status="live",
                rate=Decimal(rng.choice(["0.1", "0.5", "1", "2", "1.25"])) if kind == "spend" else None,
                points=rng.choice([5, 10, 50, 100]) if kind in ("quantity", "basket") else None,
                threshold=Decimal(rng.choice(["20.00", "50.00", "100.00"])) if kind == "basket" else None,
                factor=Decimal(rng.choice(["1.5", "2", "3"])) if kind == "multiplier" else None,
                products=products,
                product_categories=categories,
                channels=frozenset(rng.sample(CHANNELS, 1)) if rng.random() < 0.2 else frozenset(),
                segments=frozenset(rng.sample(SEGMENTS, 2)) if rng.random() < 0.2 else frozenset(),
                starts_at=NOW - timedelta(days=rng.randint(-5, 60)) if rng.random() < 0.3 else None,
                ends_at=NOW + timedelta(days=rng.randint(-5, 60)) if rng.random() < 0.3 else None,
                min_amount=Decimal(rng.choice(["10.00", "25.00"])) if rng.random() < 0.2 else None,
                max_points=rng.choice([50, 200, 1000]) if rng.random() < 0.2 else None,
            )
        )
    return rules


def build_basket(rng: random.Random, size: int) -> list[Line]:
    lines = []
    for n, sku in enumerate(rng.sample(SKUS, size)):
        quantity = rng.randint(1, 4)
        unit_price = Decimal(rng.randint(50, 5_000)) / 100
        lines.append(Line(str(n + 1), sku, CATEGORY_OF[sku], quantity, unit_price * quantity))
    return lines


def measure(rule_set: RuleSet, baskets: list[list[Line]], contexts: list[Context], runs: int) -> list[int]:
    for basket, context in zip(baskets[:50], contexts, strict=False):  # warm-up
        rule_set.evaluate(basket, context)
    timings = []
    for n in range(runs):
        basket, context = baskets[n % len(baskets)], contexts[n % len(contexts)]
        start = time.perf_counter_ns()
        rule_set.evaluate(basket, context)
        timings.append(time.perf_counter_ns() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    start = time.perf_counter_ns()
    rule_set = RuleSet(build_rules(rng))
    print(f"RuleSet of {len(rule_set.rules)} live rules built in {(time.perf_counter_ns() - start) / 1e6:.2f} ms")
    contexts = [
        Context(NOW, rng.choice([*CHANNELS, None]), frozenset(rng.sample(SEGMENTS, rng.randint(0, 3))) or None)
        for _ in range(20)
    ]
    for size in (10, 100):
        baskets = [build_basket(rng, size) for _ in range(50)]
        sample = rule_set.evaluate(baskets[0], contexts[0])
        timings = sorted(measure(rule_set, baskets, contexts, args.runs))
        median = statistics.median(timings) / 1e6
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))] / 1e6
        print(
            f"{size:>3} lines: median {median:.3f} ms, p99 {p99:.3f} ms over {args.runs} evaluations"
            f" (e.g. {sample.points} points from {len(sample.promotions)} promotions,"
            f" {len(sample.matched_rules)} rules matched)"
        )


if __name__ == "__main__":
    main()
