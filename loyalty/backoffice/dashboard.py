"""The program dashboard's figures: a handful of aggregate queries, whatever the size of the ledger.

Definitions (points, per ISO week in the program's time zone, the current week included):
- issued: earn + event + positive adjustment entries (pending points count when earned);
- burned: redemption + capture entries, net of refunds (a cancelled or returned redemption un-burns);
- reversed: earn reversals; expired: expiry entries.
Transfers move points between members (no change for the program) and negative adjustments are
corrections: neither is a flow of the chart, both show in the outstanding points.

- active members: members with a ledger entry in the last 90 days, clock-driven entries (activation of
  pending points, expiry, release of an expired lock) excepted;
- outstanding points (the liability): the sum of the balance rows, available + pending + locked;
- their value: outstanding points × the program's average value of a point, taken from its validated
  gifts as sum(value) / sum(points), i.e. what the points would cost if spent across the current catalog;
- top gifts: by redemptions created in the last 90 days, cancelled and returned ones left out;
- pending redemptions: exchanged, in preparation or in delivery;
- members per tier: the tier on each balance row now (a member with none is in the threshold-0 tier, if the
  program has one: the page says so);
- upgrades and downgrades per week (the same weeks as the points), from the tier changes: an upgrade is a
  change to a higher tier position or from no tier to a tier, a downgrade to a lower position or to no tier;
  whatever made it (an earn, the daily assessment or a change by hand).

Cost: twelve queries for the page (three of them the tiers'), whatever the ledger holds. The two ledger queries filter on
(program, kind, created_at), the columns of `ledger_program_kind_idx`, and aggregate into a few groups
(see `weekly_flows`); bench/dashboard.py measures them on a million entries.
"""

import datetime
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Gift
from programs.models import Program, Tier
from rewards.models import EntryKind, LedgerEntry, PointsBalance, Redemption, RedemptionStatus, TierChange

K = EntryKind
WEEKS = 12
ACTIVE_DAYS = 90
TOP_GIFTS = 10
SERIES = ("issued", "burned", "reversed", "expired")
FLOW_KINDS = (K.EARN, K.EVENT, K.ADJUSTMENT, K.REDEMPTION, K.CAPTURE, K.REFUND, K.REVERSAL, K.EXPIRY)
CLOCK_KINDS = (K.ACTIVATION, K.EXPIRY, K.RELEASE)
ACTIVITY_KINDS = tuple(kind for kind in K if kind not in CLOCK_KINDS)
PENDING_STATUSES = (RedemptionStatus.EXCHANGED, RedemptionStatus.IN_PREPARATION, RedemptionStatus.IN_DELIVERY)
UNDONE_STATUSES = (RedemptionStatus.CANCELLED, RedemptionStatus.RETURNED)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Week:
    start: datetime.date  # the Monday
    issued: int = 0
    burned: int = 0
    reversed: int = 0
    expired: int = 0

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class TopGift:
    sku: str
    name: str
    redemptions: int
    units: int
    points: int


@dataclass(frozen=True)
class TierCount:
    code: str
    name: str
    threshold: int
    members: int


@dataclass(frozen=True)
class TierWeek:
    start: datetime.date  # the Monday
    upgrades: int = 0
    downgrades: int = 0

    @property
    def label(self) -> str:
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Tiers:
    tiers: list[TierCount]  # lowest first
    no_tier: int  # members whose balance row holds no tier
    base: TierCount | None  # the threshold-0 tier, which those members have without a row
    weeks: list[TierWeek]


@dataclass(frozen=True)
class Dashboard:
    program: Program
    weeks: list[Week]
    active_members: int
    available: int
    pending: int
    locked: int
    point_value: Decimal | None  # None: no validated gift to price a point with
    top_gifts: list[TopGift]
    pending_redemptions: int
    tiers: Tiers

    @property
    def outstanding(self) -> int:
        return self.available + self.pending + self.locked

    @property
    def outstanding_value(self) -> Decimal | None:
        if self.point_value is None:
            return None
        return (self.outstanding * self.point_value).quantize(CENT)


def week_starts(now: datetime.datetime, zone: zoneinfo.ZoneInfo, weeks: int = WEEKS) -> list[datetime.date]:
    """The Mondays of the last `weeks` ISO weeks in the zone, oldest first, the current week last."""
    today = now.astimezone(zone).date()
    monday = today - datetime.timedelta(days=today.weekday())
    return [monday - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def _series(kind: str, points: int) -> tuple[str, int] | None:
    """Which chart series an entry kind feeds, and by how much (burns, reversals, expiries as positive)."""
    if kind in (K.EARN, K.EVENT, K.ADJUSTMENT):
        return "issued", points
    if kind in (K.REDEMPTION, K.CAPTURE, K.REFUND):
        return "burned", -points
    if kind == K.REVERSAL:
        return "reversed", -points
    if kind == K.EXPIRY:
        return "expired", -points
    return None


def week_bounds(program: Program, now: datetime.datetime) -> tuple[list[datetime.date], list[datetime.datetime]]:
    """The Mondays of the dashboard's weeks and their bounds (Monday 00:00 in the program's zone, so summer
    time is right), one more than the weeks: the end of the current week last."""
    zone = zoneinfo.ZoneInfo(program.timezone)
    mondays = week_starts(now, zone)
    bounds = [datetime.datetime.combine(day, datetime.time(), tzinfo=zone) for day in mondays]
    bounds.append(bounds[-1] + datetime.timedelta(weeks=1))
    return mondays, bounds


def weekly_flows(program: Program, now: datetime.datetime) -> list[Week]:
    """Points issued, burned, reversed and expired per week, in one query.

    The weeks' bounds are computed here (`week_bounds`) and each week is a filtered sum: the database groups
    by (kind, sign) only, a handful of groups summed in one pass, with no per-row time zone conversion nor a
    sort of the rows.
    """
    mondays, bounds = week_bounds(program, now)
    sums = {
        f"w{i}": Sum("points", filter=Q(created_at__gte=bounds[i], created_at__lt=bounds[i + 1]))
        for i in range(len(mondays))
    }
    rows = (
        LedgerEntry.objects.filter(program=program, kind__in=FLOW_KINDS, created_at__gte=bounds[0])
        .annotate(gain=ExpressionWrapper(Q(points__gt=0), output_field=BooleanField()))
        .values("kind", "gain")
        .annotate(**sums)
        .order_by()
    )
    totals: list[dict[str, int]] = [dict.fromkeys(SERIES, 0) for _ in mondays]
    for group in rows:
        row: Mapping[str, Any] = group  # the weekly sums are annotated under computed names (w0, w1...)
        for i, week in enumerate(totals):
            points = row[f"w{i}"] or 0
            kind = row["kind"]
            if kind == K.ADJUSTMENT and not row["gain"]:
                continue  # a negative adjustment is a correction, not an issue
            found = _series(kind, points)
            if found is not None:
                week[found[0]] += found[1]
    return [Week(start=monday, **values) for monday, values in zip(mondays, totals, strict=True)]


def weekly_tier_moves(program: Program, now: datetime.datetime) -> list[TierWeek]:
    """Upgrades and downgrades per week, in one query: each week's changes counted with a filter, no tier
    counted as position 0 (below every tier, whose positions start at 1)."""
    mondays, bounds = week_bounds(program, now)
    counts = {}
    for i in range(len(mondays)):
        week = Q(changed_at__gte=bounds[i], changed_at__lt=bounds[i + 1])
        counts[f"up{i}"] = Count("id", filter=week & Q(to_position__gt=F("from_position")))
        counts[f"down{i}"] = Count("id", filter=week & Q(to_position__lt=F("from_position")))
    found = (
        TierChange.objects.filter(program=program, changed_at__gte=bounds[0], changed_at__lt=bounds[-1])
        .annotate(
            from_position=Coalesce("from_tier__position", Value(0)), to_position=Coalesce("to_tier__position", Value(0))
        )
        .aggregate(**counts)
    )
    return [
        TierWeek(start=monday, upgrades=found[f"up{i}"] or 0, downgrades=found[f"down{i}"] or 0)
        for i, monday in enumerate(mondays)
    ]


def tier_figures(program: Program, now: datetime.datetime) -> Tiers:
    """Members per tier now and the weekly moves: three queries, whatever the number of members or tiers."""
    tiers = list(Tier.objects.filter(program=program).order_by("position", "threshold"))
    members: dict[int | None, int] = {
        row["tier_id"]: row["members"]
        for row in PointsBalance.objects.filter(program=program)
        .values("tier_id")
        .annotate(members=Count("pk"))
        .order_by()
    }
    counted = [
        TierCount(
            code=tier.code,
            name=program.text(tier.name) or tier.code,
            threshold=tier.threshold,
            members=members.get(tier.pk, 0),
        )
        for tier in tiers
    ]
    return Tiers(
        tiers=counted,
        no_tier=members.get(None, 0),
        base=next((tier for tier in counted if tier.threshold == 0), None),
        weeks=weekly_tier_moves(program, now),
    )


def program_dashboard(*, program: Program, now: datetime.datetime) -> Dashboard:
    since = now - datetime.timedelta(days=ACTIVE_DAYS)
    # GROUP BY rather than DISTINCT: PostgreSQL aggregates it in parallel workers.
    active = (
        LedgerEntry.objects.filter(program=program, kind__in=ACTIVITY_KINDS, created_at__gte=since)
        .values("member_id")
        .annotate(entries=Count("id"))
        .order_by()
        .count()
    )
    balances = PointsBalance.objects.filter(program=program).aggregate(
        available=Sum("available"), pending=Sum("pending"), locked=Sum("locked")
    )
    catalog = Gift.objects.filter(program=program, validated=True).aggregate(value=Sum("value"), points=Sum("points"))
    point_value = catalog["value"] / catalog["points"] if catalog["points"] and catalog["value"] is not None else None
    top = (
        Redemption.objects.filter(program=program, created_at__gte=since)
        .exclude(status__in=UNDONE_STATUSES)
        .values("gift_id", "gift__sku", "gift__name")
        .annotate(redemptions=Count("id"), units=Sum("quantity"), points=Sum("points"))
        .order_by("-redemptions", "-units", "gift__sku")[:TOP_GIFTS]
    )
    pending = Redemption.objects.filter(program=program, status__in=PENDING_STATUSES).count()
    return Dashboard(
        program=program,
        weeks=weekly_flows(program, now),
        active_members=active,
        available=balances["available"] or 0,
        pending=balances["pending"] or 0,
        locked=balances["locked"] or 0,
        point_value=Decimal(point_value) if point_value is not None else None,
        top_gifts=[
            TopGift(
                sku=row["gift__sku"],
                name=program.text(row["gift__name"]),
                redemptions=row["redemptions"],
                units=row["units"] or 0,
                points=row["points"] or 0,
            )
            for row in top
        ],
        pending_redemptions=pending,
        tiers=tier_figures(program, now),
    )
