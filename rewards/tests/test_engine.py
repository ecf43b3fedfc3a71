"""Unit tests of the rule engine: pure Python, no database."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from rewards.engine import Context, Evaluation, Line, Rule, RuleSet
from rewards.engine import ruleset as engine

NOW = datetime(2026, 11, 25, 10, 31, tzinfo=UTC)
TICK = timedelta(microseconds=1)
MEMBER = Context(NOW, "store", frozenset())  # a member in no segment
GUEST = Context(NOW, "store", None)

KIND_DEFAULTS = {
    "spend": {"rate": Decimal("1")},
    "quantity": {"points": 5},
    "basket": {"points": 100, "threshold": Decimal("50.00")},
    "multiplier": {"factor": Decimal("2")},
}


def rule(code: str, kind: str = "spend", **fields) -> Rule:
    """A live rule with the usual defaults of its kind; list/set fields may be given as any iterable."""
    values = {"version": 1, "name": {"en": code}, "status": "live", **KIND_DEFAULTS[kind], **fields}
    for key in ("products", "product_categories", "channels", "segments"):
        values[key] = frozenset(values.get(key, ()))
    return Rule(code=code, kind=kind, **values)


def line(line_id: str, amount: str, sku: str = "SKU", category: str | None = None, quantity: int = 1) -> Line:
    return Line(line_id, sku, category, quantity, Decimal(amount))


def evaluate(rules: list[Rule], lines: list[Line], context: Context = MEMBER, explain: bool = True) -> Evaluation:
    return RuleSet(rules).evaluate(lines, context, explain=explain)


def promotion_points(evaluation: Evaluation) -> dict[str, int]:
    return {p.code: p.points for p in evaluation.promotions}


def line_points(evaluation: Evaluation) -> dict[str, int]:
    return {r.line_id: r.points for r in evaluation.lines}


def reasons(evaluation: Evaluation) -> dict[str, str]:
    return dict(evaluation.not_applied)


# --- kinds ---------------------------------------------------------------------------------------------


def test_spend_gives_rate_points_per_unit_of_amount():
    result = evaluate([rule("BASE", rate=Decimal("0.1"))], [line("1", "15.00"), line("2", "7.50")])
    # 15.00 × 0.1 + 7.50 × 0.1 = 1.5 + 0.75 = 2.25 → floor 2
    assert result.points == 2
    assert promotion_points(result) == {"BASE": 2}
    assert line_points(result) == {"1": 1, "2": 0}  # floor(1.5), floor(0.75)
    assert [r.promotions for r in result.lines] == [["BASE"], ["BASE"]]
    assert result.promotions[0].name == {"en": "BASE"}


def test_quantity_gives_points_per_unit():
    result = evaluate(
        [rule("QTY", "quantity", points=5)], [line("1", "1.00", quantity=3), line("2", "9.00", quantity=2)]
    )
    # 3 × 5 + 2 × 5 = 25
    assert result.points == 25
    assert line_points(result) == {"1": 15, "2": 10}


def test_basket_gives_points_once_prorated_over_lines_by_amount():
    result = evaluate(
        [rule("BIG", "basket", points=100, threshold=Decimal("50.00"))], [line("1", "30.00"), line("2", "20.00")]
    )
    # 50.00 ≥ 50.00: 100 points once; shares 100 × 30/50 = 60 and 100 × 20/50 = 40
    assert result.points == 100
    assert line_points(result) == {"1": 60, "2": 40}


def test_basket_below_threshold_gives_nothing_and_says_min_amount():
    result = evaluate([rule("BIG", "basket", points=100, threshold=Decimal("50.00"))], [line("1", "49.99")])
    assert result.points == 0
    assert result.not_applied == [("BIG", "min_amount")]


def test_basket_with_zero_eligible_amount_splits_evenly():
    result = evaluate(
        [rule("FREE", "basket", points=100, threshold=Decimal("0"))],
        [line("1", "0.00"), line("2", "0.00"), line("3", "0.00")],
    )
    # 100 / 3 = 33.33… per line: each line shows 33, the promotion gives its 100 once
    assert result.points == 100
    assert line_points(result) == {"1": 33, "2": 33, "3": 33}


def test_basket_prorated_thirds_still_add_up_on_the_line():
    rules = [
        rule("B1", "basket", points=1, threshold=Decimal("0")),
        rule("B2", "basket", points=2, threshold=Decimal("0")),
    ]
    result = evaluate(rules, [line("1", "1.00"), line("2", "1.00"), line("3", "1.00")])
    # each line: 1/3 + 2/3 = 1 exactly, even though both shares are 28-digit approximations
    assert result.points == 3
    assert line_points(result) == {"1": 1, "2": 1, "3": 1}


def test_multiplier_adds_factor_minus_one_times_spend_points_of_its_lines():
    rules = [rule("BASE"), rule("X2", "multiplier", factor=Decimal("2"), products={"COF"})]
    result = evaluate(rules, [line("1", "10.50", sku="COF"), line("2", "4.25", sku="TEA")])
    # BASE: 10.50 + 4.25 = 14.75 → 14; X2 only on line 1: (2 − 1) × 10.50 = 10.5 → 10
    assert promotion_points(result) == {"BASE": 14, "X2": 10}
    assert result.points == 24
    assert line_points(result) == {"1": 21, "2": 4}  # floor(10.50 + 10.50), floor(4.25)
    assert [r.promotions for r in result.lines] == [["BASE", "X2"], ["BASE"]]


# --- eligibility -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "paused"])
def test_only_live_rules_apply(status):
    result = evaluate([rule("OFF", status=status)], [line("1", "10.00")])
    assert result.points == 0
    assert result.not_applied == [("OFF", "status")]
    assert result.matched_rules == ()


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "applies"),
    [
        (NOW, None, True),  # starts_at is inclusive
        (NOW + TICK, None, False),
        (None, NOW + TICK, True),
        (None, NOW, False),  # ends_at is exclusive
        (NOW - timedelta(days=1), NOW + timedelta(days=1), True),
        (None, None, True),
    ],
)
def test_date_bounds(starts_at, ends_at, applies):
    result = evaluate([rule("R", starts_at=starts_at, ends_at=ends_at)], [line("1", "10.00")])
    assert result.points == (10 if applies else 0)
    assert result.not_applied == ([] if applies else [("R", "dates")])


def test_dates_compare_instants_across_time_zones():
    brussels = timezone(timedelta(hours=1))
    starts = datetime(2026, 11, 25, 11, 31, tzinfo=brussels)  # the same instant as NOW
    assert evaluate([rule("R", starts_at=starts)], [line("1", "10.00")]).points == 10
    assert evaluate([rule("R", ends_at=starts)], [line("1", "10.00")]).points == 0


@pytest.mark.parametrize(
    ("channels", "channel", "applies"),
    [
        ((), "store", True),
        ((), None, True),
        (("store", "web"), "web", True),
        (("web",), "store", False),
        (("web",), None, False),
    ],
)
def test_channels(channels, channel, applies):
    result = evaluate([rule("R", channels=channels)], [line("1", "10.00")], Context(NOW, channel, frozenset()))
    assert result.points == (10 if applies else 0)
    assert result.not_applied == ([] if applies else [("R", "channel")])


@pytest.mark.parametrize(
    ("segments", "member_segments", "applies"),
    [
        ((), None, True),  # no segment: everyone, guests included
        ((), frozenset({"VIP"}), True),
        (("VIP",), None, False),  # a guest never gets a segmented rule
        (("VIP",), frozenset(), False),
        (("VIP",), frozenset({"GOLD"}), False),
        (("VIP", "GOLD"), frozenset({"GOLD", "STAFF"}), True),  # in one of several segments
        (("VIP",), frozenset({"VIP"}), True),
    ],
)
def test_segments(segments, member_segments, applies):
    result = evaluate([rule("R", segments=segments)], [line("1", "10.00")], Context(NOW, "store", member_segments))
    assert result.points == (10 if applies else 0)
    assert result.not_applied == ([] if applies else [("R", "segment")])


def test_products_target_lines_by_sku():
    result = evaluate(
        [rule("COFFEE", products={"COF-250", "COF-500"})],
        [line("1", "9.00", sku="COF-250"), line("2", "5.00", sku="TEA")],
    )
    assert result.points == 9
    assert [r.promotions for r in result.lines] == [["COFFEE"], []]


def test_categories_target_lines_by_category():
    lines = [line("1", "9.00", category="coffee"), line("2", "5.00", category="tea"), line("3", "3.00", category=None)]
    result = evaluate([rule("HOT", product_categories={"coffee", "tea"})], lines)
    assert result.points == 14
    assert line_points(result) == {"1": 9, "2": 5, "3": 0}


def test_products_or_categories_and_a_line_matching_both_counts_once():
    lines = [
        line("1", "9.00", sku="COF", category="coffee"),  # by SKU and by category: once
        line("2", "5.00", sku="MUG", category="home"),  # by SKU
        line("3", "4.00", sku="TEA", category="coffee"),  # by category
        line("4", "100.00", sku="TV", category="tech"),  # neither
    ]
    result = evaluate([rule("MIX", products={"COF", "MUG"}, product_categories={"coffee"})], lines)
    # 9 + 5 + 4 = 18
    assert result.points == 18
    assert line_points(result) == {"1": 9, "2": 5, "3": 4, "4": 0}


def test_no_products_and_no_categories_means_every_line():
    result = evaluate([rule("ALL")], [line("1", "1.00", sku="A"), line("2", "2.00", sku="B", category="x")])
    assert result.points == 3
    assert [r.promotions for r in result.lines] == [["ALL"], ["ALL"]]


@pytest.mark.parametrize(("min_amount", "applies"), [("20.00", True), ("20.01", False), (None, True)])
def test_min_amount_counts_only_the_eligible_lines(min_amount, applies):
    lines = [line("1", "12.00", sku="COF"), line("2", "8.00", sku="COF"), line("3", "50.00", sku="TV")]
    minimum = None if min_amount is None else Decimal(min_amount)
    result = evaluate([rule("R", products={"COF"}, min_amount=minimum)], lines)
    # eligible amount 12 + 8 = 20 (the TV does not count towards the minimum)
    assert result.points == (20 if applies else 0)
    assert result.not_applied == ([] if applies else [("R", "min_amount")])


def test_no_eligible_line():
    result = evaluate([rule("R", products={"COF"})], [line("1", "10.00", sku="TEA")])
    assert result.points == 0
    assert result.not_applied == [("R", "no_eligible_lines")]
    assert result.matched_rules == ()


def test_empty_basket():
    result = evaluate([rule("R"), rule("Q", "quantity")], [])
    assert (result.points, result.promotions, result.lines, result.matched_rules) == (0, [], [], ())
    assert result.not_applied == [("Q", "no_eligible_lines"), ("R", "no_eligible_lines")]


# --- rounding -------------------------------------------------------------------------------------------------


def test_rounding_is_once_per_promotion_not_per_line():
    result = evaluate([rule("R")], [line("1", "0.60"), line("2", "0.60"), line("3", "0.60")])
    # per line 0.60 → 0 each, but the promotion rounds once: floor(1.80) = 1
    assert result.points == 1
    assert line_points(result) == {"1": 0, "2": 0, "3": 0}
    assert [r.promotions for r in result.lines] == [["R"], ["R"], ["R"]]


def test_each_promotion_rounds_on_its_own():
    result = evaluate([rule("A"), rule("B")], [line("1", "1.70")])
    # A: floor(1.70) = 1, B: floor(1.70) = 1 → 2 (not floor(3.40) = 3)
    assert promotion_points(result) == {"A": 1, "B": 1}
    assert result.points == 2
    assert line_points(result) == {"1": 3}  # the line shows floor(1.70 + 1.70): informative only


def test_a_promotion_that_rounds_to_zero_is_not_listed():
    result = evaluate([rule("A"), rule("TINY", rate=Decimal("0.01"))], [line("1", "10.00")])
    # TINY: 10.00 × 0.01 = 0.1 → 0
    assert promotion_points(result) == {"A": 10}
    assert result.not_applied == [("TINY", "no_eligible_lines")]
    assert result.lines[0].promotions == ["A"]


# --- caps -------------------------------------------------------------------------------------------------------


def test_max_points_caps_a_promotion_and_scales_its_line_shares():
    result = evaluate([rule("R", max_points=20)], [line("1", "30.00"), line("2", "10.00")])
    # uncapped 40 → 20; line shares scaled by 20/40: 15 and 5
    assert result.points == 20
    assert line_points(result) == {"1": 15, "2": 5}


def test_cap_is_applied_after_rounding():
    assert evaluate([rule("R", max_points=20)], [line("1", "20.90")]).points == 20  # floor 20.90 = 20 ≤ 20
    assert evaluate([rule("R", max_points=21)], [line("1", "20.90")]).points == 20  # not reached


def test_capped_line_shares_that_do_not_divide_evenly():
    result = evaluate([rule("R", max_points=10)], [line("1", "10.00"), line("2", "10.00"), line("3", "10.00")])
    # 30 → 10; each line 10 × 10/30 = 3.33… → 3 (the lines need not add up to the total)
    assert result.points == 10
    assert line_points(result) == {"1": 3, "2": 3, "3": 3}


def test_max_points_zero_gives_nothing():
    result = evaluate([rule("R", max_points=0)], [line("1", "10.00")])
    assert result.points == 0
    assert result.not_applied == [("R", "no_eligible_lines")]
    assert result.lines[0].promotions == []


def test_cap_per_kind():
    rules = [
        rule("Q", "quantity", points=5, max_points=12),
        rule("B", "basket", points=100, threshold=Decimal("0"), max_points=30),
    ]
    result = evaluate(rules, [line("1", "30.00", quantity=2), line("2", "10.00", quantity=2)])
    # Q: 4 units × 5 = 20 → 12, lines 10 × 12/20 = 6 each; B: 100 → 30, lines 75 and 25 scaled by 0.3
    assert promotion_points(result) == {"B": 30, "Q": 12}
    assert line_points(result) == {"1": 6 + 22, "2": 6 + 7}  # floor(6 + 22.5), floor(6 + 7.5)


# --- multipliers ----------------------------------------------------------------------------------------------


def test_multiplier_uses_unrounded_spend_points():
    result = evaluate([rule("BASE"), rule("X3", "multiplier", factor=Decimal("3"))], [line("1", "0.50")])
    # BASE: 0.50 → 0 points; X3: (3 − 1) × 0.50 = 1.00 → 1
    assert promotion_points(result) == {"X3": 1}
    assert result.not_applied == [("BASE", "no_eligible_lines")]


def test_multiplier_uses_spend_points_before_the_spend_cap():
    result = evaluate([rule("BASE", max_points=10), rule("X2", "multiplier")], [line("1", "100.00")])
    # BASE: 100 → capped at 10; X2: (2 − 1) × 100 (uncapped) = 100
    assert promotion_points(result) == {"BASE": 10, "X2": 100}
    assert result.points == 110


def test_multiplier_sums_every_applying_spend_rule_and_ignores_other_kinds():
    rules = [
        rule("BASE"),
        rule("HALF", rate=Decimal("0.5")),
        rule("Q", "quantity", points=7),
        rule("B", "basket", points=50, threshold=Decimal("0")),
        rule("X2", "multiplier"),
    ]
    result = evaluate(rules, [line("1", "10.00")])
    # spend points on the line: 10 + 5 = 15 → X2 adds 15; Q (7) and B (50) are not multiplied
    assert promotion_points(result) == {"B": 50, "BASE": 10, "HALF": 5, "Q": 7, "X2": 15}


def test_spend_rule_below_its_minimum_feeds_no_multiplier():
    rules = [rule("BASE"), rule("BIG", min_amount=Decimal("100.00")), rule("X2", "multiplier")]
    result = evaluate(rules, [line("1", "10.00")])
    assert promotion_points(result) == {"BASE": 10, "X2": 10}


def test_only_the_highest_multiplier_applies_to_a_line():
    rules = [
        rule("BASE"),
        rule("X2", "multiplier", factor=Decimal("2")),  # every line
        rule("X3", "multiplier", factor=Decimal("3"), products={"COF"}),
    ]
    result = evaluate(rules, [line("1", "10.00", sku="COF"), line("2", "4.00", sku="TEA")])
    # line 1: X3 only, 2 × 10 = 20; line 2: X2, 1 × 4 = 4
    assert promotion_points(result) == {"BASE": 14, "X2": 4, "X3": 20}
    assert [r.promotions for r in result.lines] == [["BASE", "X3"], ["BASE", "X2"]]


def test_a_multiplier_beaten_on_every_line_gives_nothing():
    rules = [rule("BASE"), rule("X2", "multiplier"), rule("X3", "multiplier", factor=Decimal("3"))]
    result = evaluate(rules, [line("1", "10.00")])
    assert promotion_points(result) == {"BASE": 10, "X3": 20}
    assert result.not_applied == [("X2", "no_eligible_lines")]


def test_equal_multipliers_go_to_the_lowest_code():
    rules = [rule("BASE"), rule("M-B", "multiplier"), rule("M-A", "multiplier")]
    result = evaluate(rules, [line("1", "10.00")])
    assert promotion_points(result) == {"BASE": 10, "M-A": 10}


def test_a_multiplier_below_its_minimum_leaves_the_line_to_the_next():
    rules = [
        rule("BASE"),
        rule("X2", "multiplier"),
        rule("X3", "multiplier", factor=Decimal("3"), products={"COF"}, min_amount=Decimal("20.00")),
    ]
    # X3's own eligible amount is 10 (the COF line), below 20, although the basket holds 30
    result = evaluate(rules, [line("1", "10.00", sku="COF"), line("2", "20.00", sku="TEA")])
    assert promotion_points(result) == {"BASE": 30, "X2": 30}
    assert reasons(result) == {"X3": "min_amount"}


def test_multiplier_own_cap():
    rules = [rule("BASE"), rule("X3", "multiplier", factor=Decimal("3"), max_points=5)]
    result = evaluate(rules, [line("1", "10.00"), line("2", "10.00")])
    # X3: 2 × 20 = 40 → 5; lines 20 × 5/40 = 2.5 each
    assert promotion_points(result) == {"BASE": 20, "X3": 5}
    assert line_points(result) == {"1": 12, "2": 12}  # floor(10 + 2.5)


def test_multiplier_without_spend_points_says_no_eligible_lines():
    result = evaluate([rule("Q", "quantity"), rule("X2", "multiplier")], [line("1", "10.00")])
    assert promotion_points(result) == {"Q": 5}
    assert result.not_applied == [("X2", "no_eligible_lines")]
    assert [r.code for r in result.matched_rules] == ["Q", "X2"]


# --- explain -----------------------------------------------------------------------------------------------------


def test_explain_checks_reasons_in_order():
    rules = [
        rule("A-STATUS", status="paused", ends_at=NOW, channels={"web"}),
        rule("B-DATES", ends_at=NOW, channels={"web"}, segments={"VIP"}),
        rule("C-CHANNEL", channels={"web"}, segments={"VIP"}),
        rule("D-SEGMENT", segments={"VIP"}, products={"NONE"}),
        rule("E-NO-LINES", products={"NONE"}, min_amount=Decimal("1000")),
        rule("F-MIN", min_amount=Decimal("1000")),
        rule("G-OK"),
    ]
    result = evaluate(rules, [line("1", "10.00")], GUEST)
    assert result.not_applied == [
        ("A-STATUS", "status"),
        ("B-DATES", "dates"),
        ("C-CHANNEL", "channel"),
        ("D-SEGMENT", "segment"),
        ("E-NO-LINES", "no_eligible_lines"),
        ("F-MIN", "min_amount"),
    ]
    assert promotion_points(result) == {"G-OK": 10}


def test_every_rule_without_points_is_explained_exactly_once_in_code_order():
    rules = [rule(code, products={"NONE"}) for code in ("Z", "M", "A")] + [rule("OK")]
    result = evaluate(rules, [line("1", "10.00")])
    assert result.not_applied == [("A", "no_eligible_lines"), ("M", "no_eligible_lines"), ("Z", "no_eligible_lines")]


def test_without_explain_not_applied_is_empty():
    result = evaluate([rule("R", status="draft"), rule("S", channels={"web"})], [line("1", "10.00")], explain=False)
    assert result.not_applied == []


def test_explain_does_not_change_the_result():
    rules = [rule("BASE"), rule("X2", "multiplier", products={"COF"}), rule("V", segments={"VIP"})]
    lines = [line("1", "10.00", sku="COF"), line("2", "5.00")]
    with_explain, without = evaluate(rules, lines), evaluate(rules, lines, explain=False)
    assert (with_explain.points, with_explain.promotions, with_explain.lines) == (
        without.points,
        without.promotions,
        without.lines,
    )
    assert with_explain.matched_rules == without.matched_rules


# --- matched rules (the earn's snapshot) -------------------------------------------------------------------------


def test_matched_rules_are_the_rules_that_passed_the_context_and_reached_a_line():
    rules = [
        rule("PAID", max_points=0),  # reached a line, gave 0: kept
        rule("MIN", min_amount=Decimal("1000")),  # reached a line, below its minimum: kept
        rule("BASE"),
        rule("DRAFT", status="draft"),
        rule("WEB", channels={"web"}),
        rule("ELSEWHERE", products={"NONE"}),
        rule("LATER", starts_at=NOW + timedelta(days=1)),
    ]
    result = evaluate(rules, [line("1", "10.00")])
    assert [r.code for r in result.matched_rules] == ["BASE", "MIN", "PAID"]
    assert all(isinstance(r, Rule) for r in result.matched_rules)


def test_matched_rules_recompute_a_partial_return():
    rules = [rule("BASE"), rule("X2", "multiplier", products={"COF"}), rule("OTHER", products={"TV"})]
    lines = [line("1", "10.00", sku="COF"), line("2", "5.00", sku="TEA")]
    earned = evaluate(rules, lines)
    snapshot = [Rule.from_dict(json.loads(json.dumps(r.to_dict()))) for r in earned.matched_rules]
    remaining = [line("1", "5.00", sku="COF"), line("2", "5.00", sku="TEA")]  # half of line 1 returned
    assert evaluate(snapshot, lines).points == earned.points == 25
    assert evaluate(snapshot, remaining).points == evaluate(rules, remaining).points == 15


# --- rules as data ------------------------------------------------------------------------------------------------


def test_rule_round_trips_through_json():
    original = rule(
        "FULL",
        "basket",
        name={"en": "Big basket", "fr": "Gros panier"},
        version=3,
        points=100,
        threshold=Decimal("50.00"),
        products={"B", "A"},
        product_categories={"coffee"},
        channels={"web", "store"},
        segments={"VIP"},
        starts_at=datetime(2026, 11, 1, tzinfo=UTC),
        ends_at=datetime.fromisoformat("2026-12-01T00:00:00+01:00"),
        min_amount=Decimal("10.50"),
        max_points=500,
    )
    data = original.to_dict()
    assert data["threshold"] == "50.00"
    assert data["min_amount"] == "10.50"
    assert data["rate"] is None
    assert data["products"] == ["A", "B"]
    assert data["channels"] == ["store", "web"]
    assert data["ends_at"] == "2026-12-01T00:00:00+01:00"
    restored = Rule.from_dict(json.loads(json.dumps(data)))
    assert restored == original
    assert hash(restored) == hash(original)


def test_rule_from_the_program_file_shape():
    data = {"code": "BASE", "name": {"en": "1 point per euro"}, "kind": "spend", "rate": "1", "status": "live",
            "products": [], "product_categories": [], "segments": [], "channels": [],
            "starts_at": None, "ends_at": None, "min_amount": None, "max_points": None}  # fmt: skip
    restored = Rule.from_dict(data)
    assert restored.rate == Decimal("1")
    assert restored.version == 1
    assert restored.factor is None
    assert restored.products == frozenset()


def test_rule_set_refuses_ambiguous_rules():
    with pytest.raises(ValueError, match="twice"):
        RuleSet([rule("A"), rule("A", "quantity")])
    with pytest.raises(ValueError, match="unknown kind"):
        RuleSet([Rule("A", 1, {}, "bonus", "live")])
    with pytest.raises(ValueError, match="needs a rate"):
        RuleSet([Rule("A", 1, {}, "spend", "live")])


# --- output shape and cost ---------------------------------------------------------------------------------------


def test_lines_keep_input_order_and_promotions_are_sorted_by_code():
    rules = [rule("Z"), rule("A", products={"B"}), rule("M", "quantity")]
    result = evaluate(rules, [line("c", "1.00", sku="C"), line("a", "2.00", sku="B"), line("b", "3.00", sku="C")])
    assert [r.line_id for r in result.lines] == ["c", "a", "b"]
    assert [p.code for p in result.promotions] == ["A", "M", "Z"]
    assert result.lines[1].promotions == ["A", "M", "Z"]


def test_evaluation_checks_only_indexed_rules_and_each_once(monkeypatch):
    checked: list[str] = []
    original = engine._Compiled.context_reason

    def spy(self, *args):
        checked.append(self.code)
        return original(self, *args)

    monkeypatch.setattr(engine._Compiled, "context_reason", spy)
    rules = [rule(f"SKU-{n}", products={f"S{n}"}) for n in range(500)]
    rules += [rule(f"CAT-{n}", product_categories={f"c{n}"}) for n in range(500)]
    rules += [rule("ALL"), rule("OFF", status="paused")]
    rule_set = RuleSet(rules)
    lines = [line(str(n), "1.00", sku="S7", category="c3") for n in range(20)] + [line("x", "1.00", sku="S9")]
    result = rule_set.evaluate(lines, MEMBER)
    assert sorted(checked) == ["ALL", "CAT-3", "SKU-7", "SKU-9"]
    assert result.points == 21 + 20 + 20 + 1  # ALL + CAT-3 + SKU-7 + SKU-9


# --- tiers ----------------------------------------------------------------------------------------------------


def test_a_tier_restricted_promotion_applies_only_to_members_in_one_of_its_tiers():
    gold = rule("GOLD", tiers=frozenset({"GOLD", "PLATINUM"}))
    lines = [line("1", "10.00")]
    for context, points, reason in (
        (GUEST, 0, "tier"),
        (MEMBER, 0, "tier"),  # a member without a tier
        (Context(NOW, "store", frozenset(), "SILVER"), 0, "tier"),
        (Context(NOW, "store", frozenset(), "GOLD"), 10, None),
        (Context(NOW, "store", frozenset(), "PLATINUM"), 10, None),
    ):
        result = evaluate([gold], lines, context)
        assert result.points == points, context
        assert reasons(result).get("GOLD") == reason, context


def test_dates_channel_and_segment_are_reported_before_tier():
    early = rule("EARLY", tiers=frozenset({"GOLD"}), starts_at=NOW + TICK)
    vip = rule("VIP", tiers=frozenset({"GOLD"}), segments=frozenset({"VIP"}))
    assert reasons(evaluate([early, vip], [line("1", "10.00")], GUEST)) == {"EARLY": "dates", "VIP": "segment"}


def test_a_multiplier_for_a_tier_multiplies_only_that_tier_s_spend_points():
    base = rule("BASE")
    double = rule("X2", kind="multiplier", tiers=frozenset({"GOLD"}))
    lines = [line("1", "10.00")]
    assert evaluate([base, double], lines, Context(NOW, "store", frozenset(), "GOLD")).points == 20
    silver = evaluate([base, double], lines, Context(NOW, "store", frozenset(), "SILVER"))
    assert silver.points == 10 and reasons(silver)["X2"] == "tier"


def test_tiers_survive_the_snapshot_and_old_snapshots_read_as_any_tier():
    gold = rule("GOLD", tiers=frozenset({"GOLD"}))
    assert Rule.from_dict(json.loads(json.dumps(gold.to_dict()))) == gold
    plain = rule("PLAIN")
    assert "tiers" not in plain.to_dict()  # the digest of a rule without tiers is what it was before tiers
    assert Rule.from_dict(plain.to_dict()).tiers == frozenset()
