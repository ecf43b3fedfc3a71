"""The program's promotions as engine rules, cached per process.

The cache key is the program's `rules_version`, which every promotion change bumps in the same
transaction; the token query already loads the program, so a warm evaluation costs no query
and a change is seen by every process on its next request.
"""

import threading
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Prefetch

from members.models import Segment
from programs.models import Program, Tier
from rewards.engine import Rule, RuleSet
from rewards.models import Promotion
from rewards.snapshots import snapshot_ids
from rewards.tiers import TierDef


@dataclass(frozen=True)
class LiveRules:
    ruleset: RuleSet
    snapshots: dict[tuple[str, int], int]  # (code, version) -> RuleSnapshot id, for the earns that match them
    tiers: tuple[TierDef, ...] = ()  # the program's tiers, lowest first

    def tier(self, tier_id: int | None) -> TierDef | None:
        """The tier of this id; with None, the program's threshold-0 tier if it has one (everyone's)."""
        if tier_id is None:
            return self.tiers[0] if self.tiers and self.tiers[0].threshold == 0 else None
        for tier in self.tiers:
            if tier.id == tier_id:
                return tier
        return None


_cache: dict[int, tuple[int, LiveRules]] = {}
_cache_lock = threading.Lock()


def rule_from_promotion(promotion: Promotion) -> Rule:
    """The engine's view of a promotion (segments must be prefetched)."""
    return Rule(
        code=promotion.code,
        version=promotion.version,
        name=dict(promotion.name or {}),
        kind=promotion.kind,
        status=promotion.status,
        rate=promotion.rate,
        points=promotion.points,
        threshold=promotion.threshold,
        factor=promotion.factor,
        products=frozenset(promotion.products or ()),
        product_categories=frozenset(promotion.product_categories or ()),
        channels=frozenset(promotion.channels or ()),
        segments=frozenset(s.code for s in promotion.segments.all()),
        tiers=frozenset(t.code for t in promotion.tiers.all()),
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        min_amount=promotion.min_amount,
        max_points=promotion.max_points,
    )


def promotions_with_segments(program: Program):
    return Promotion.objects.filter(program=program).prefetch_related(
        Prefetch("segments", queryset=Segment.objects.only("id", "code")),
        Prefetch("tiers", queryset=Tier.objects.only("id", "code")),
    )


def live_ruleset(program: Program) -> RuleSet:
    """The program's live promotions (dates are checked at evaluation, against `occurred_at`)."""
    return live_rules(program).ruleset


def live_rules(program: Program) -> LiveRules:
    """The live rule set with the snapshot of each rule, built once per `rules_version` and process."""
    cached = _cache.get(program.pk)
    if cached is not None and cached[0] == program.rules_version:
        return cached[1]
    version, committed = _version(program.pk)
    ruleset = RuleSet(rule_from_promotion(p) for p in promotions_with_segments(program).filter(status=Promotion.LIVE))
    tiers = tuple(
        TierDef(id=t.pk, code=t.code, name=dict(t.name or {}), threshold=t.threshold, position=t.position)
        for t in Tier.objects.filter(program_id=program.pk).order_by("threshold")
    )
    snapshots, stored = snapshot_ids(program_id=program.pk, rules=ruleset.rules)
    live = LiveRules(ruleset=ruleset, snapshots=snapshots, tiers=tiers)

    def remember() -> None:
        with _cache_lock:
            _cache[program.pk] = (version, live)

    if committed and not stored:
        remember()  # read from committed rows only: true whatever becomes of the caller's transaction
    else:
        # Kept once committed: a rolled-back transaction must leave no rules it changed, nor ids of rows it stored.
        transaction.on_commit(remember)
    program.rules_version = version
    return live


def live_rules_warm(program_id: int) -> None:
    """Builds the program's rules now if this process has none, for a caller about to write: in a transaction
    that has written nothing yet they are kept at once, even if it then rolls back (an earn retried after a
    restart is answered from its record and rolls back its work: without this, each retry rebuilt the rules)."""
    if program_id not in _cache:
        live_rules(Program.objects.only("id", "rules_version").get(pk=program_id))


def _version(program_id: int) -> tuple[int, bool]:
    """The program's `rules_version`, and whether everything this transaction reads is committed: always outside
    a transaction; on PostgreSQL, inside one that has written nothing yet (no transaction id assigned)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {connection.ops.quote_name('rules_version')}, txid_current_if_assigned() IS NULL "
                f"FROM {connection.ops.quote_name(Program._meta.db_table)} WHERE {connection.ops.quote_name('id')} = %s",
                [program_id],
            )
            version, committed = cursor.fetchone()
        return version, committed
    version = Program.objects.values_list("rules_version", flat=True).get(pk=program_id)
    return version, not connection.in_atomic_block


def promotions_changed(*, program: Program) -> None:
    """Call in the transaction of any promotion change: evaluations everywhere reload the rules."""
    Program.objects.filter(pk=program.pk).update(rules_version=F("rules_version") + 1)
    _cache.pop(program.pk, None)


def clear_cache() -> None:
    _cache.clear()
