"""Tiers on the ledger's writes: qualifying points kept up to date, immediate upgrades, the daily assessment and
the manual override (API.md, Tiers).

The write paths call `tier_credit` under the member's locked balance row: the row's qualifying points move in
memory (written with the row, no statement of their own), are recounted only once a counted point has left the
window (`qualifying_until`), and an upgrade sets the tier fields and returns the change to record. Reversals lower
the qualifying points of an earn still in the window and never lower the tier.
"""

import datetime
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import Min, Q, Sum
from django.utils import timezone

from members.models import Member
from programs import webhooks
from programs.models import Program, Tier
from rewards import statements
from rewards.models import EntryKind, LedgerEntry, PointsBalance, TierChange
from rewards.tiers import TierDef, counts, kept_until, leaves_at, tier_for, window_start

ASSESSMENT_BATCH = 1000


def qualifying_recount(
    *, member_ids: Sequence[int], months: int, now: datetime.datetime
) -> dict[int, tuple[int, datetime.datetime | None]]:
    """Qualifying points at `now` and the earliest `occurred_at` they hold, by member (two grouped statements):
    earns and rewarded events in the window, less the reversals of earns in the window."""
    start = window_start(now, months)
    found: dict[int, tuple[int, datetime.datetime | None]] = {m: (0, None) for m in member_ids}
    owner = _with_merged(member_ids)  # a merged duplicate's earns count for the member it was merged into
    credits = (
        LedgerEntry.objects.filter(
            member_id__in=list(owner), kind__in=[EntryKind.EARN, EntryKind.EVENT], occurred_at__gt=start
        )
        .order_by()
        .values("member_id")
        .annotate(points=Sum("points"), first=Min("occurred_at"))
    )
    for row in credits:
        points, first = found[owner[row["member_id"]]]
        earliest = row["first"] if first is None or (row["first"] and row["first"] < first) else first
        found[owner[row["member_id"]]] = (points + (row["points"] or 0), earliest)
    reversals = (
        LedgerEntry.objects.filter(member_id__in=list(owner), kind=EntryKind.REVERSAL, earn__occurred_at__gt=start)
        .order_by()
        .values("member_id")
        .annotate(points=Sum("points"))
    )
    for reversal in reversals:
        points, first = found[owner[reversal["member_id"]]]
        found[owner[reversal["member_id"]]] = (points + (reversal["points"] or 0), first)
    return found


def _with_merged(member_ids: Sequence[int]) -> dict[int, int]:
    """Each member and every member merged into it (at any depth), mapped to the member it counts for."""
    owner = {pk: pk for pk in member_ids}
    frontier = list(member_ids)
    while frontier:
        rows = list(Member.objects.filter(merged_into_id__in=frontier).values_list("pk", "merged_into_id"))
        frontier = []
        for pk, into in rows:
            if pk not in owner:
                owner[pk] = owner[into]
                frontier.append(pk)
    return owner


def qualifying_refresh(*, balance: PointsBalance, program: Program, now: datetime.datetime) -> None:
    """Recounts the row's qualifying points once a counted point has left the window; nothing before."""
    if balance.qualifying_until is None or balance.qualifying_until > now:
        return
    points, first = qualifying_recount(member_ids=[balance.member_id], months=program.tier_window_months, now=now)[
        balance.member_id
    ]
    balance.qualifying_points = max(0, points)
    balance.qualifying_until = leaves_at(first, program.tier_window_months) if first is not None else None


def tier_credit(
    *,
    balance: PointsBalance,
    program: Program,
    tiers: Sequence[TierDef],
    points: int,
    occurred_at: datetime.datetime,
    now: datetime.datetime,
) -> TierChange | None:
    """Counts `points` earned (an earn or an event at `occurred_at`) and moves the member up when they reach a
    higher tier; the change to record (unsaved), or None. The balance row is written by the caller."""
    qualifying_refresh(balance=balance, program=program, now=now)
    months = program.tier_window_months
    if points > 0 and counts(occurred_at, now, months):
        balance.qualifying_points += points
        leaving = leaves_at(occurred_at, months)
        if balance.qualifying_until is None or leaving < balance.qualifying_until:
            balance.qualifying_until = leaving
    return _upgrade(balance, program, tiers, now)


def tier_debit(
    *,
    balance: PointsBalance,
    program: Program,
    points: int,
    earn_occurred_at: datetime.datetime,
    now: datetime.datetime,
) -> None:
    """A reversal of `points` of an earn: they stop counting if the earn is in the window. The tier stays."""
    qualifying_refresh(balance=balance, program=program, now=now)
    if points > 0 and counts(earn_occurred_at, now, program.tier_window_months):
        balance.qualifying_points = max(0, balance.qualifying_points - points)


def _upgrade(
    balance: PointsBalance, program: Program, tiers: Sequence[TierDef], now: datetime.datetime
) -> TierChange | None:
    target = tier_for(balance.qualifying_points, tiers)
    if target is None or target.threshold == 0:
        return None  # a threshold-0 tier is everyone's without a row (rewards.rules.LiveRules.tier)
    current = _position(balance.tier_id, tiers)
    if target.position <= current:
        return None
    change = TierChange(
        program_id=program.pk,
        member_id=balance.member_id,
        from_tier_id=balance.tier_id,
        to_tier_id=target.id,
        reason=TierChange.UPGRADE,
        qualifying_points=balance.qualifying_points,
        changed_at=now,
    )
    balance.tier_id = target.id
    balance.tier_since = now
    balance.tier_until = kept_until(now, program.tier_window_months)
    balance.tier_override_reason = ""
    balance.tier_override_until = None
    return change


def _position(tier_id: int | None, tiers: Iterable[TierDef]) -> int:
    for tier in tiers:
        if tier.id == tier_id:
            return tier.position
    return 0


def tiers_of(program: Program) -> tuple[TierDef, ...]:
    return tuple(
        TierDef(id=t.pk, code=t.code, name=dict(t.name or {}), threshold=t.threshold, position=t.position)
        for t in Tier.objects.filter(program=program).order_by("threshold")
    )


def tiers_assess(*, now: datetime.datetime | None = None, batch: int = ASSESSMENT_BATCH) -> int:
    """The daily assessment: every member whose tier's `until` has passed (and whose override, if any, has
    ended) gets the tier their qualifying points give now — lower, the same (then `until` moves on by a
    window), or higher. Batches of `batch` members, each in its own transaction: restartable, and a second run
    on the same day finds nothing left. Returns the number of members assessed."""
    now = now or timezone.now()
    assessed = 0
    for program in Program.objects.filter(tiers__isnull=False).distinct().order_by("pk"):
        tiers = tiers_of(program)
        after = 0
        while True:
            with transaction.atomic():
                balances = list(
                    PointsBalance.objects.select_for_update(skip_locked=True)
                    .filter(program=program, tier__isnull=False, tier_until__lte=now, member_id__gt=after)
                    .filter(Q(tier_override_until__isnull=True) | Q(tier_override_until__lte=now))
                    .order_by("member_id")[:batch]
                )
                if not balances:
                    break
                after = balances[-1].member_id
                _assess(balances, program, tiers, now)
                assessed += len(balances)
    return assessed


def _assess(balances: list[PointsBalance], program: Program, tiers: Sequence[TierDef], now: datetime.datetime) -> None:
    months = program.tier_window_months
    recounted = qualifying_recount(member_ids=[b.member_id for b in balances], months=months, now=now)
    changes = []
    for balance in balances:
        points, first = recounted[balance.member_id]
        balance.qualifying_points = max(0, points)
        balance.qualifying_until = leaves_at(first, months) if first is not None else None
        target = tier_for(balance.qualifying_points, tiers)
        kept = target is not None and target.id == balance.tier_id
        if kept:
            until = kept_until(balance.tier_until or now, months)
            balance.tier_until = until if until > now else kept_until(now, months)
        else:
            changes.append(
                TierChange(
                    program_id=program.pk,
                    member_id=balance.member_id,
                    from_tier_id=balance.tier_id,
                    to_tier_id=target.id if target is not None and target.threshold > 0 else None,
                    reason=TierChange.ASSESSMENT,
                    qualifying_points=balance.qualifying_points,
                    changed_at=now,
                )
            )
            if target is None or target.threshold == 0:
                balance.tier_id = None
                balance.tier_since = balance.tier_until = None
            else:
                balance.tier_id = target.id
                balance.tier_since = now
                balance.tier_until = kept_until(now, months)
        balance.tier_override_reason = ""
        balance.tier_override_until = None
    fields = ["qualifying_points", "qualifying_until", *PointsBalance.TIER_FIELDS]
    if connection.vendor == "postgresql":
        statements.update_rows(PointsBalance, balances, fields)
    else:
        PointsBalance.objects.bulk_update(balances, fields, batch_size=len(balances))
    TierChange.objects.bulk_create(changes)
    if changes and webhooks.emit_wanted(program.pk, "member.tier_changed"):
        members = Member.objects.select_related("program").in_bulk([c.member_id for c in changes])
        for change in changes:
            webhooks.emit(program=program, event_type="member.tier_changed", subject=members[change.member_id])


@transaction.atomic
def tier_override(
    *,
    balance: PointsBalance,
    tier: Tier | None,
    reason: str,
    until: datetime.datetime,
    now: datetime.datetime | None = None,
) -> TierChange:
    """Sets the member's tier by hand (the back office), kept until `until` whatever the points; then the daily
    assessment decides again. `reason` is required (it is shown in the history)."""
    now = now or timezone.now()
    if not reason.strip():
        raise ValueError("A reason is required.")
    if until <= now:
        raise ValueError("The end date must be in the future.")
    locked = PointsBalance.objects.select_for_update().get(pk=balance.pk)
    if tier is not None and tier.program_id != locked.program_id:
        raise ValueError("Not a tier of the member's program.")
    change = TierChange.objects.create(
        program_id=locked.program_id,
        member_id=locked.member_id,
        from_tier_id=locked.tier_id,
        to_tier_id=tier.pk if tier is not None else None,
        reason=TierChange.OVERRIDE,
        qualifying_points=locked.qualifying_points,
        note=reason.strip()[:255],
        changed_at=now,
    )
    if tier is None:
        locked.tier_id = None
        locked.tier_since = locked.tier_until = None
        locked.tier_override_reason = ""
        locked.tier_override_until = None
    else:
        locked.tier_id = tier.pk
        locked.tier_since = now
        locked.tier_until = until
        locked.tier_override_reason = reason.strip()[:255]
        locked.tier_override_until = until
    locked.save(update_fields=list(PointsBalance.TIER_FIELDS))
    webhooks.emit(program=locked.program_id, event_type="member.tier_changed", subject=locked.member)
    balance.refresh_from_db()
    return change
