"""Reads on the ledger."""

import datetime
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.db import connection
from django.db.models import BigIntegerField, Model, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from members.models import Member
from members.selectors import member_with_segment_codes
from programs.models import Program, Tier
from rewards.engine import Rule
from rewards.lots import expirable_points
from rewards.models import (
    INTERNAL_KINDS,
    Earn,
    EntryKind,
    LedgerEntry,
    LockStatus,
    PointsBalance,
    PointsLock,
    PointsLot,
)
from rewards.snapshots import snapshot_rules
from rewards.tiers import TierDef

if TYPE_CHECKING:
    from django_stubs_ext import ValuesQuerySet

HISTORY_KINDS = [k.value for k in EntryKind if k not in INTERNAL_KINDS]


def history_queryset(
    *,
    member: Member,
    kinds: list[str] | None = None,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[LedgerEntry]:
    """The member's entries as history shows them (internal moves between balance parts left out)."""
    queryset = LedgerEntry.objects.filter(member=member, kind__in=kinds or HISTORY_KINDS).select_related(
        "earn", "redemption__gift", "event__event_type"
    )
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__lte=until)
    return queryset


def entry_status(entry: LedgerEntry, now: datetime.datetime | None = None) -> str:
    """The redemption's current status on redemption rows; `pending` for an earn whose points are not
    yet available; `posted` otherwise."""
    if entry.kind == EntryKind.REDEMPTION and entry.redemption is not None:
        return entry.redemption.status
    earn = entry.earn if entry.kind == EntryKind.EARN else None
    if earn is not None and earn.available_at is not None and earn.available_at > (now or timezone.now()):
        return "pending"
    return "posted"


def member_total(model: type[Model], field: str, *conditions: Q, **filters: Any) -> Coalesce:
    """A subquery: the sum of `field` over the member's rows of `model` (0 when none), to annotate
    balance rows with (one query for any number of members)."""
    rows = (
        model._default_manager.filter(*conditions, member_id=OuterRef("member_id"), **filters)
        .order_by()
        .values("member_id")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=BigIntegerField()), Value(0))


def balance_view(
    balance: PointsBalance | None, program: Program | None = None, now: datetime.datetime | None = None
) -> dict[str, int]:
    """The balance as the member has it now, even when the clock jobs have not run yet: pending
    points past `available_at` count as available, expired locks as released, and lots past their
    expiry as expired. One query, only when something could be due."""
    if balance is None:
        return {"available": 0, "pending": 0, "locked": 0, "total": 0}
    available, pending, locked = balance.available, balance.pending, balance.locked
    now = now or timezone.now()
    # Nothing can be due before the row's next_due_at: no query then (the common case).
    if balance.next_due_at is not None and balance.next_due_at <= now:
        due = (
            PointsBalance.objects.filter(pk=balance.pk)
            .annotate(
                due_pending=member_total(PointsLot, "remaining", pending=True, available_at__lte=now),
                due_locks=member_total(PointsLock, "points", status=LockStatus.LOCKED, expires_at__lte=now),
                # Lots past expiry, pending ones included once due: settling activates, then expires them.
                due_lots=member_total(
                    PointsLot,
                    "remaining",
                    Q(pending=False) | Q(available_at__lte=now),
                    remaining__gt=0,
                    expires_at__lte=now,
                ),
            )
            .values("due_pending", "due_locks", "due_lots")
            .first()
        )
        if due:
            available += due["due_pending"] + due["due_locks"]
            pending -= due["due_pending"]
            locked -= due["due_locks"]
            available -= expirable_points(due["due_lots"], available, locked)
    return {"available": available, "pending": pending, "locked": locked, "total": available + pending + locked}


def member_balance(*, member: Member, now: datetime.datetime | None = None) -> dict[str, int]:
    """The member's balance as of now, `{available, pending, locked, total}`: what the API, the admin, the shop
    and the catalog's `affordable_for` all show. Uses the balance row loaded with the member when there is one."""
    try:
        balance = member.balance
    except PointsBalance.DoesNotExist:
        balance = None
    return balance_view(balance, member.program, now)


class ExpiringPoints(TypedDict):
    expires_at: datetime.datetime
    points: int


def points_expiring(
    *, member: Member, now: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> "ValuesQuerySet[PointsLot, ExpiringPoints]":
    """The member's points by exact expiry moment, `{"expires_at", "points"}` rows, soonest first (unordered
    until the caller orders or pages them by `expires_at`): the remaining points of available and locked lots,
    pending lots included once their `available_at` has passed (as the balance counts them), points that never
    expire left out. `until` keeps the moments up to then."""
    now = now or timezone.now()
    lots = PointsLot.objects.filter(
        Q(pending=False) | Q(available_at__lte=now), member=member, remaining__gt=0, expires_at__gt=now
    )
    if until is not None:
        lots = lots.filter(expires_at__lte=until)
    rows = lots.order_by().values("expires_at").annotate(points=Sum("remaining"))
    # The stubs type `expires_at` as nullable; the filter above leaves no null.
    return cast("ValuesQuerySet[PointsLot, ExpiringPoints]", rows)


def earn_rules(earn: Earn) -> list[Rule]:
    """The promotion definitions an earn matched, as they were then (its snapshots, or its inline copy for earns
    posted before snapshots), in the order the earn stored them."""
    if earn.rule_snapshots:
        rules = snapshot_rules(earn.rule_snapshots)
        return [rules[pk] for pk in earn.rule_snapshots]
    return [Rule.from_dict(rule) for rule in earn.rules]


def tiers_list(*, program: Program) -> list[TierDef]:
    """The program's tiers, lowest first."""
    return [
        TierDef(id=t.pk, code=t.code, name=dict(t.name or {}), threshold=t.threshold, position=t.position)
        for t in Tier.objects.filter(program=program).order_by("threshold")
    ]


class TierView(TypedDict):
    tier: TierDef
    since: datetime.datetime | None
    until: datetime.datetime | None
    qualifying_points: int
    next: TierDef | None
    points_needed: int | None


def qualifying_points(*, member: Member, now: datetime.datetime | None = None) -> int:
    """The member's qualifying points as of now: the balance row's figure, recounted (and not stored) only when
    some have left the window since the row was written."""
    now = now or timezone.now()
    try:
        balance = member.balance
    except PointsBalance.DoesNotExist:
        return 0
    if balance.qualifying_until is None or balance.qualifying_until > now:
        return balance.qualifying_points
    # Local import: services import selectors, not the reverse, except for this pure count.
    from rewards.services.tiers import qualifying_recount

    recounted = qualifying_recount(member_ids=[member.pk], months=member.program.tier_window_months, now=now)
    return max(0, recounted[member.pk][0])


def member_tier(*, member: Member, now: datetime.datetime | None = None) -> TierView | None:
    """The member's tier as of now (None: no tier reached and no threshold-0 tier), with the qualifying points,
    recounted only when some have left the window since the row was written (a read: nothing is stored)."""
    tiers = tiers_list(program=member.program)
    if not tiers:
        return None
    try:
        balance: PointsBalance | None = member.balance
    except PointsBalance.DoesNotExist:
        balance = None
    qualifying = qualifying_points(member=member, now=now)
    stored = next((t for t in tiers if balance is not None and t.id == balance.tier_id), None)
    if stored is not None:
        current, since, until = stored, balance.tier_since if balance else None, balance.tier_until if balance else None
    elif tiers[0].threshold == 0:
        current, since, until = tiers[0], member.enrolled_at, None
    else:
        return None
    following = next((t for t in tiers if t.position > current.position), None)
    return {
        "tier": current,
        "since": since,
        "until": until,
        "qualifying_points": qualifying,
        "next": following,
        "points_needed": max(0, following.threshold - qualifying) if following is not None else None,
    }


def member_for_evaluation(*, program_id: int, member_id: str, program: Program | None = None) -> Member | None:
    """The member with its segment codes and tier id, as evaluation needs it, and `member.program`: one
    hand-written statement on PostgreSQL (rewards.statements) that reads the program's row too when `program` is
    not given; the ORM elsewhere."""
    if "\x00" in member_id:
        return None  # no member id holds NUL, and PostgreSQL refuses it in a query
    if connection.vendor == "postgresql":
        from rewards import statements

        return statements.member_for_evaluation(program_id=program_id, member_id=member_id, program=program)
    if program is None:
        program = Program.objects.get(pk=program_id)
    return member_with_segment_codes(program=program, member_id=member_id)
