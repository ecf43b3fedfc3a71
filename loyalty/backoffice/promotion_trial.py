"""Trying a promotion out before (or after) it goes live: a basket preview and a replay over past earns.

Both read only. The promotion is taken as saved, whatever its status: the engine ignores rules that are not
live, so the trial copy of the rule is marked live.

- The **preview** evaluates a sample basket under the program's live promotions plus this one, with the
  engine's explanation of why the others gave nothing.
- The **simulation** replays this promotion (as saved, or with the unsaved edits of the admin's form) alone
  over the program's earns of the last N days, with each earn's stored basket, moment, channel and member
  segments, and adds up what it would have given. A multiplier multiplies what spend promotions gave, so it
  is replayed with the spend rules the earn stored.
"""

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone

from members.models import Member
from rewards.engine import MULTIPLIER, SPEND, Context, Evaluation, Line, Rule, RuleSet
from rewards.models import Earn, Promotion
from rewards.rules import live_ruleset, rule_from_promotion
from rewards.services.earning import Basket, basket_evaluate
from rewards.services.promotions import ALL_KIND_KEYS, DEFINITION_FIELDS, KIND_KEYS
from rewards.snapshots import snapshot_rules

SIMULATION_CHUNK = 2000


def trial_rule(promotion: Promotion) -> Rule:
    """The promotion as the engine sees it, live whatever its stored status."""
    return replace(rule_from_promotion(promotion), status=Promotion.LIVE)


def edited_rule(promotion: Promotion, values: dict[str, Any], segment_codes: Iterable[str]) -> Rule:
    """The promotion with unsaved edits (an admin form's cleaned values), live: what it would be once saved."""
    definition = {name: values.get(name, getattr(promotion, name)) for name in DEFINITION_FIELDS}
    own = KIND_KEYS.get(definition["kind"], set())
    definition.update({name: None for name in ALL_KIND_KEYS - own})
    return Rule(
        code=promotion.code,
        version=promotion.version,
        name=dict(definition["name"] or {}),
        kind=definition["kind"],
        status=Promotion.LIVE,
        rate=definition["rate"],
        points=definition["points"],
        threshold=definition["threshold"],
        factor=definition["factor"],
        products=frozenset(definition["products"] or ()),
        product_categories=frozenset(definition["product_categories"] or ()),
        channels=frozenset(definition["channels"] or ()),
        segments=frozenset(segment_codes),
        starts_at=definition["starts_at"],
        ends_at=definition["ends_at"],
        min_amount=definition["min_amount"],
        max_points=definition["max_points"],
    )


def preview_ruleset(promotion: Promotion) -> RuleSet:
    """The program's live promotions, with this promotion (as saved) in place of its live version if any."""
    others = [rule for rule in live_ruleset(promotion.program).rules if rule.code != promotion.code]
    return RuleSet([*others, trial_rule(promotion)])


def basket_preview(*, promotion: Promotion, basket: Basket, member: Member | None) -> Evaluation:
    """The breakdown of `basket` for `member` (None: a guest), with the reasons of the promotions not applied."""
    return basket_evaluate(
        program=promotion.program, member=member, basket=basket, explain=True, ruleset=preview_ruleset(promotion)
    )


@dataclass(frozen=True)
class Simulation:
    days: int
    ignore_dates: bool
    since: datetime.datetime
    until: datetime.datetime
    earns: int  # scanned
    rewarded_earns: int
    points: int
    members: int  # distinct members who would have got points

    @property
    def average(self) -> int:
        """Points per rewarded earn, rounded down."""
        return math.floor(self.points / self.rewarded_earns) if self.rewarded_earns else 0


def _lines(data: list[dict]) -> list[Line]:
    return [
        Line(
            line_id=str(d["line_id"]),
            sku=d["sku"],
            product_category=d.get("product_category"),
            quantity=int(d["quantity"]),
            amount=Decimal(d["amount"]),
        )
        for d in data
    ]


def promotion_simulate(
    *,
    promotion: Promotion,
    days: int,
    ignore_dates: bool = False,
    rule: Rule | None = None,
    now: datetime.datetime | None = None,
    chunk_size: int = SIMULATION_CHUNK,
) -> Simulation:
    """What this promotion would have given over the program's earns whose purchase is in the last `days` days.

    With `ignore_dates`, its start and end are left out: what a promotion planned for later would have given
    over the same purchases. `rule` replays unsaved edits instead of the saved promotion (`edited_rule`).

    The earns are read in chunks (`iterator`), only the columns needed: memory stays flat whatever their number.
    An earn is posted after its purchase, so the extra bound on `created_at` changes no result but lets the
    database use the (program, created_at) index.
    """
    until = now or timezone.now()
    since = until - datetime.timedelta(days=days)
    trial = rule or trial_rule(promotion)
    if ignore_dates:
        trial = replace(trial, starts_at=None, ends_at=None)
    alone = RuleSet([trial])
    rows = (
        Earn.objects.filter(program_id=promotion.program_id, created_at__gte=since, occurred_at__gte=since)
        .filter(occurred_at__lte=until)
        .order_by()
        .values_list("member_id", "occurred_at", "channel", "segments", "lines", "rules", "rule_snapshots")
    )
    earns = rewarded = points = 0
    members: set[int] = set()
    snapshots: dict[int, Rule] = {}  # loaded as earns name them, each once
    for member_id, occurred_at, channel, segments, lines, rules, snapshot_ids in rows.iterator(chunk_size=chunk_size):
        earns += 1
        ruleset = alone
        if trial.kind == MULTIPLIER:
            missing = [pk for pk in snapshot_ids if pk not in snapshots]
            if missing:
                snapshots.update(snapshot_rules(missing))
            matched = [snapshots[pk] for pk in snapshot_ids] + [Rule.from_dict(r) for r in rules]
            spends = [r for r in matched if r.kind == SPEND and r.code != trial.code]
            ruleset = RuleSet([*spends, trial]) if spends else alone
        context = Context(occurred_at=occurred_at, channel=channel or None, member_segments=frozenset(segments or ()))
        evaluation = ruleset.evaluate(_lines(lines), context)
        given = next((p.points for p in evaluation.promotions if p.code == trial.code), 0)
        if given > 0:
            rewarded += 1
            points += given
            members.add(member_id)
    return Simulation(
        days=days,
        ignore_dates=ignore_dates,
        since=since,
        until=until,
        earns=earns,
        rewarded_earns=rewarded,
        points=points,
        members=len(members),
    )
