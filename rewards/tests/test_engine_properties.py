"""Property tests of the rule engine (hypothesis): invariants that must hold for any rules and basket."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rewards.engine import Context, Evaluation, Line, Rule, RuleSet

NOW = datetime(2026, 11, 25, 10, 31, tzinfo=UTC)
SKUS = ["A", "B", "C", "D", "E"]
CATEGORIES = ["x", "y", "z"]
SEGMENTS = ["VIP", "GOLD"]
CHANNELS = ["store", "web"]

ENGINE_SETTINGS = settings(max_examples=200, deadline=None)


def money(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw: st.DrawFn, *, targeted_only: bool = False) -> list[Rule]:
    """Up to 8 rules with distinct codes, of every kind, with every condition sometimes set."""
    result = []
    for n in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["spend", "quantity", "basket", "multiplier"]))
        products = draw(st.frozensets(st.sampled_from(SKUS), max_size=3))
        categories = draw(st.frozensets(st.sampled_from(CATEGORIES), max_size=2))
        if targeted_only and not products and not categories:
            products = frozenset({draw(st.sampled_from(SKUS))})
        moments = st.none() | st.sampled_from([NOW - timedelta(days=1), NOW, NOW + timedelta(days=1)])
        result.append(
            Rule(
                code=f"R{n}",
                version=1,
                name={"en": f"Rule {n}"},
                kind=kind,
                status=draw(st.sampled_from(["live", "live", "live", "paused", "draft"])),
                rate=draw(money("0.01", "5")) if kind == "spend" else None,
                points=draw(st.integers(1, 50)) if kind in ("quantity", "basket") else None,
                threshold=draw(money("0", "300")) if kind == "basket" else None,
                factor=draw(money("1.01", "4")) if kind == "multiplier" else None,
                products=products,
                product_categories=categories,
                channels=draw(st.frozensets(st.sampled_from(CHANNELS), max_size=1)),
                segments=draw(st.frozensets(st.sampled_from(SEGMENTS), max_size=2)),
                starts_at=draw(moments),
                ends_at=draw(moments),
                min_amount=draw(st.none() | money("0", "200")),
                max_points=draw(st.none() | st.integers(0, 300)),
            )
        )
    return result


@st.composite
def baskets(draw: st.DrawFn, *, min_amount: str = "0") -> list[Line]:
    size = draw(st.integers(0, 8))
    return [
        Line(
            line_id=str(n),
            sku=draw(st.sampled_from([*SKUS, "OTHER"])),
            product_category=draw(st.sampled_from([*CATEGORIES, None])),
            quantity=draw(st.integers(1, 5)),
            amount=draw(money(min_amount, "500")),
        )
        for n in range(size)
    ]


contexts = st.builds(
    Context,
    occurred_at=st.just(NOW),
    channel=st.sampled_from([*CHANNELS, None]),
    member_segments=st.none() | st.frozensets(st.sampled_from(SEGMENTS)),
)


def by_line(evaluation: Evaluation) -> dict[str, tuple[int, list[str]]]:
    return {r.line_id: (r.points, r.promotions) for r in evaluation.lines}


@ENGINE_SETTINGS
@given(rules(), baskets(min_amount="-50"), contexts)
def test_points_are_never_negative(rule_list, lines, context):
    """Even with discount lines of negative amount."""
    result = RuleSet(rule_list).evaluate(lines, context)
    assert result.points >= 0
    assert all(p.points > 0 for p in result.promotions)
    assert all(r.points >= 0 for r in result.lines)


@ENGINE_SETTINGS
@given(rules(), baskets(), contexts)
def test_promotion_points_add_up_to_the_total_and_respect_caps(rule_list, lines, context):
    result = RuleSet(rule_list).evaluate(lines, context, explain=True)
    assert sum(p.points for p in result.promotions) == result.points
    caps = {r.code: r.max_points for r in rule_list}
    assert all(caps[p.code] is None or p.points <= caps[p.code] for p in result.promotions)
    # every rule is either listed with points or explained, exactly once
    listed = [p.code for p in result.promotions] + [code for code, _ in result.not_applied]
    assert sorted(listed) == sorted(caps)


@ENGINE_SETTINGS
@given(rules(targeted_only=True), baskets(), contexts, st.data())
def test_a_line_no_rule_targets_changes_nothing(rule_list, lines, context, data):
    rule_set = RuleSet(rule_list)
    before = rule_set.evaluate(lines, context, explain=True)
    extra = Line(
        "extra", "UNTARGETED", data.draw(st.sampled_from(["untargeted", None])), 3, data.draw(money("0", "500"))
    )
    position = data.draw(st.integers(0, len(lines)))
    after = rule_set.evaluate([*lines[:position], extra, *lines[position:]], context, explain=True)
    assert after.points == before.points
    assert after.promotions == before.promotions
    assert after.not_applied == before.not_applied
    assert after.matched_rules == before.matched_rules
    lines_after = by_line(after)
    assert lines_after.pop("extra") == (0, [])
    assert lines_after == by_line(before)


@ENGINE_SETTINGS
@given(rules(), baskets(), contexts, st.randoms(use_true_random=False))
def test_line_order_does_not_matter(rule_list, lines, context, random):
    rule_set = RuleSet(rule_list)
    shuffled = list(lines)
    random.shuffle(shuffled)
    original, reordered = rule_set.evaluate(lines, context), rule_set.evaluate(shuffled, context)
    assert reordered.points == original.points
    assert reordered.promotions == original.promotions
    assert reordered.matched_rules == original.matched_rules
    assert by_line(reordered) == by_line(original)
