"""The program dashboard's figures: a fixed handful of aggregate queries, whatever the size of the ledger and
whatever the number of periods shown.

Periods (see `dashboard_periods`) are ISO weeks or calendar months in the program's time zone, and entries fall
in them by `occurred_at`, the date of the purchase (or of the redemption, the expiry...), not by the time the
server posted them: two years of purchases imported today spread over their two years.

Definitions (points per period):
- issued: earn + event + positive adjustment entries (pending points count when earned);
- burned: redemption + capture entries, net of refunds (a cancelled or returned redemption un-burns);
- reversed: earn reversals; expired: expiry entries.
Transfers move points between members (no change for the program) and negative adjustments are
corrections: neither is a flow of the chart, both show in the outstanding points.

- outstanding points (the liability): now, the sum of the balance rows, available + pending + locked; at the end
  of a period, that sum less every entry that occurred after the period (the ledger is the history of the
  balances: the entries of a member add up to their balance row);
- their value: outstanding points × the program's average value of a point, taken from its validated
  gifts as sum(value) / sum(points), i.e. what the points would cost if spent across the current catalog
  (today's catalog prices the past periods too);
- active members: members with a ledger entry in the last 90 days, clock-driven entries (activation of
  pending points, expiry, release of an expired lock) excepted;
- top promotions: the earns of the periods by the promotions that gave them points (an earn's ledger entry names
  them). An earn stores its total only, not each promotion's share, so an earn where several promotions applied
  counts in full for each of them: its points are shown apart, as "shared";
- redemption funnel: the redemptions created in the periods (in the program's zone), by their status now;
- top gifts: by redemptions created in the last 90 days, cancelled and returned ones left out;
- pending redemptions: exchanged, in preparation or in delivery;
- members per tier: the tier on each balance row now (a member with none is in the threshold-0 tier, if the
  program has one: the page says so);
- upgrades and downgrades per period, from the tier changes (by `changed_at`): an upgrade is a change to a higher
  tier position or from no tier to a tier, a downgrade to a lower position or to no tier.

Cost: eleven queries for the figures at most (ten with no promotion to name), whatever the ledger holds. The ledger is read in ONE query (`ledger_figures`)
grouping its entries into a few dozen groups (kind, sign, the promotions of an earn) with one filtered sum per
period; bench/dashboard.py measures the page on a million entries.
"""

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, Case, CharField, Count, ExpressionWrapper, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from catalog.models import Gift
from loyalty.backoffice.dashboard_periods import LAST_WEEKS, Period, Periods, last_weeks
from programs.models import Program, Tier
from rewards.models import (
    EntryKind,
    LedgerEntry,
    PointsBalance,
    Promotion,
    Redemption,
    RedemptionStatus,
    TierChange,
)

K = EntryKind
ACTIVE_DAYS = 90
TOP_GIFTS = 10
TOP_PROMOTIONS = 10
SERIES = ("issued", "burned", "reversed", "expired")
CLOCK_KINDS = (K.ACTIVATION, K.EXPIRY, K.RELEASE)
ACTIVITY_KINDS = tuple(kind for kind in K if kind not in CLOCK_KINDS)
PENDING_STATUSES = (RedemptionStatus.EXCHANGED, RedemptionStatus.IN_PREPARATION, RedemptionStatus.IN_DELIVERY)
UNDONE_STATUSES = (RedemptionStatus.CANCELLED, RedemptionStatus.RETURNED)
FUNNEL = tuple(RedemptionStatus)  # the order of the funnel: exchanged ... delivered, then cancelled, returned
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Flow:
    period: Period
    issued: int = 0
    burned: int = 0
    reversed: int = 0
    expired: int = 0

    @property
    def label(self) -> str:
        return self.period.label


@dataclass(frozen=True)
class Liability:
    period: Period
    points: int  # outstanding at the end of the period
    value: Decimal | None


@dataclass(frozen=True)
class PromotionFigure:
    code: str
    name: str
    earns: int
    points: int  # of all its earns
    shared_points: int  # of those earns where other promotions applied too


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    redemptions: int


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
class TierMoves:
    period: Period
    upgrades: int = 0
    downgrades: int = 0

    @property
    def label(self) -> str:
        return self.period.label


@dataclass(frozen=True)
class Tiers:
    tiers: list[TierCount]  # lowest first
    no_tier: int  # members whose balance row holds no tier
    base: TierCount | None  # the threshold-0 tier, which those members have without a row
    moves: list[TierMoves]


@dataclass(frozen=True)
class LedgerFigures:
    flows: list[Flow]
    net: list[int]  # every entry's points, per period (transfers and corrections included)
    after: int  # the points of the entries after the last period
    promotions: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # code: (earns, points, shared)


@dataclass(frozen=True)
class Dashboard:
    program: Program
    periods: Periods
    flows: list[Flow]
    liability: list[Liability]
    active_members: int
    available: int
    pending: int
    locked: int
    point_value: Decimal | None  # None: no validated gift to price a point with
    top_promotions: list[PromotionFigure]
    funnel: list[StatusCount]
    top_gifts: list[TopGift]
    pending_redemptions: int
    tiers: Tiers

    @property
    def outstanding(self) -> int:
        return self.available + self.pending + self.locked

    @property
    def outstanding_value(self) -> Decimal | None:
        return money(self.outstanding, self.point_value)

    def total(self, series: str) -> int:
        return sum(getattr(flow, series) for flow in self.flows)


def money(points: int, point_value: Decimal | None) -> Decimal | None:
    return None if point_value is None else (points * point_value).quantize(CENT)


def default_periods(program: Program, now: datetime.datetime) -> Periods:
    zone = zoneinfo.ZoneInfo(program.timezone)
    return Periods(LAST_WEEKS, last_weeks(now.astimezone(zone).date()), zone)


def _series(kind: str, gain: bool) -> tuple[str, int] | None:
    """Which chart series an entry kind feeds, and with which sign (burns, reversals, expiries as positive)."""
    if kind in (K.EARN, K.EVENT) or (kind == K.ADJUSTMENT and gain):
        return "issued", 1  # a negative adjustment is a correction, not an issue
    if kind in (K.REDEMPTION, K.CAPTURE, K.REFUND):
        return "burned", -1
    if kind == K.REVERSAL:
        return "reversed", -1
    if kind == K.EXPIRY:
        return "expired", -1
    return None


def ledger_figures(program: Program, periods: Periods) -> LedgerFigures:
    """Flows per period, the net movement per period and after them, and the earns per set of promotions: one query.

    The periods' bounds are computed here and each period is a filtered sum: the database groups by (kind, sign,
    the promotions of an earn) only, a few dozen groups summed in one pass over the entries since the first
    period, with no per-row time zone conversion nor a sort of the rows.
    """
    bounds = periods.bounds()
    count = len(periods.periods)
    sums: dict[str, Any] = {
        f"p{i}": Sum("points", filter=Q(occurred_at__gte=bounds[i], occurred_at__lt=bounds[i + 1]))
        for i in range(count)
    }
    sums["after"] = Sum("points", filter=Q(occurred_at__gte=bounds[-1]))
    sums["entries"] = Count("id", filter=Q(occurred_at__lt=bounds[-1]))
    rows = (
        LedgerEntry.objects.filter(program=program, occurred_at__gte=bounds[0])
        .annotate(
            gain=ExpressionWrapper(Q(points__gt=0), output_field=BooleanField()),
            # An earn's entry names the promotions that gave it points; other kinds' descriptions are free text.
            rules=Case(When(kind=K.EARN, then=F("description")), default=Value(""), output_field=CharField()),
        )
        .values("kind", "gain", "rules")
        .annotate(**sums)
        .order_by()
    )
    totals: list[dict[str, int]] = [dict.fromkeys(SERIES, 0) for _ in range(count)]
    net = [0] * count
    after = 0
    promotions: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for group in rows:
        row: Mapping[str, Any] = group  # the sums are annotated under computed names (p0, p1...)
        after += row["after"] or 0
        found = _series(row["kind"], row["gain"])
        in_periods = 0
        for i in range(count):
            points = row[f"p{i}"] or 0
            net[i] += points
            in_periods += points
            if found is not None:
                totals[i][found[0]] += found[1] * points
        codes = [code.strip() for code in row["rules"].split(",") if code.strip()]
        for code in codes:
            figures = promotions[code]
            figures[0] += row["entries"]
            figures[1] += in_periods
            if len(codes) > 1:
                figures[2] += in_periods
    return LedgerFigures(
        flows=[Flow(period=period, **values) for period, values in zip(periods.periods, totals, strict=True)],
        net=net,
        after=after,
        promotions={code: (f[0], f[1], f[2]) for code, f in promotions.items() if f[0]},
    )


def liability_over_time(figures: LedgerFigures, outstanding: int, point_value: Decimal | None) -> list[Liability]:
    """The outstanding points at the end of each period: today's, less what occurred after that end."""
    later = figures.after
    points: list[int] = []
    for net in reversed(figures.net):
        points.append(outstanding - later)
        later += net
    points.reverse()
    return [
        Liability(period=flow.period, points=value, value=money(value, point_value))
        for flow, value in zip(figures.flows, points, strict=True)
    ]


def top_promotions(program: Program, figures: LedgerFigures) -> list[PromotionFigure]:
    """The promotions with the most points issued in the periods, named (one query for the names)."""
    ranked = sorted(figures.promotions.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))[:TOP_PROMOTIONS]
    names = {
        row["code"]: row["name"]
        for row in Promotion.objects.filter(program=program, code__in=[code for code, _ in ranked]).values(
            "code", "name"
        )
    }
    return [
        PromotionFigure(
            code=code,
            # A promotion deleted since its earns keeps its code.
            name=program.text(names[code]) or code if code in names else code,
            earns=earns,
            points=points,
            shared_points=shared,
        )
        for code, (earns, points, shared) in ranked
    ]


def redemption_funnel(program: Program, periods: Periods) -> list[StatusCount]:
    """The redemptions created in the periods, by status now: one query, every status listed (0 included)."""
    bounds = periods.bounds()
    counts = {
        row["status"]: row["redemptions"]
        for row in Redemption.objects.filter(program=program, created_at__gte=bounds[0], created_at__lt=bounds[-1])
        .values("status")
        .annotate(redemptions=Count("id"))
        .order_by()
    }
    return [StatusCount(status=s.value, label=str(s.label), redemptions=counts.get(s.value, 0)) for s in FUNNEL]


def tier_moves(program: Program, periods: Periods) -> list[TierMoves]:
    """Upgrades and downgrades per period, in one query: each period's changes counted with a filter, no tier
    counted as position 0 (below every tier, whose positions start at 1)."""
    bounds = periods.bounds()
    counts = {}
    for i in range(len(periods.periods)):
        within = Q(changed_at__gte=bounds[i], changed_at__lt=bounds[i + 1])
        counts[f"up{i}"] = Count("id", filter=within & Q(to_position__gt=F("from_position")))
        counts[f"down{i}"] = Count("id", filter=within & Q(to_position__lt=F("from_position")))
    found = (
        TierChange.objects.filter(program=program, changed_at__gte=bounds[0], changed_at__lt=bounds[-1])
        .annotate(
            from_position=Coalesce("from_tier__position", Value(0)), to_position=Coalesce("to_tier__position", Value(0))
        )
        .aggregate(**counts)
    )
    return [
        TierMoves(period=period, upgrades=found[f"up{i}"] or 0, downgrades=found[f"down{i}"] or 0)
        for i, period in enumerate(periods.periods)
    ]


def tier_figures(program: Program, periods: Periods) -> Tiers:
    """Members per tier now and the moves per period: three queries, whatever the number of members or tiers."""
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
        moves=tier_moves(program, periods),
    )


def point_value(program: Program) -> Decimal | None:
    catalog = Gift.objects.filter(program=program, validated=True).aggregate(value=Sum("value"), points=Sum("points"))
    if not catalog["points"] or catalog["value"] is None:
        return None
    return Decimal(catalog["value"]) / Decimal(catalog["points"])


def outstanding_points(program: Program) -> dict[str, int]:
    balances = PointsBalance.objects.filter(program=program).aggregate(
        available=Sum("available"), pending=Sum("pending"), locked=Sum("locked")
    )
    return {key: value or 0 for key, value in balances.items()}


def program_dashboard(*, program: Program, now: datetime.datetime, periods: Periods | None = None) -> Dashboard:
    periods = periods or default_periods(program, now)
    since = now - datetime.timedelta(days=ACTIVE_DAYS)
    # GROUP BY rather than DISTINCT: PostgreSQL aggregates it in parallel workers.
    active = (
        LedgerEntry.objects.filter(program=program, kind__in=ACTIVITY_KINDS, created_at__gte=since)
        .values("member_id")
        .annotate(entries=Count("id"))
        .order_by()
        .count()
    )
    balances = outstanding_points(program)
    value = point_value(program)
    top = (
        Redemption.objects.filter(program=program, created_at__gte=since)
        .exclude(status__in=UNDONE_STATUSES)
        .values("gift_id", "gift__sku", "gift__name")
        .annotate(redemptions=Count("id"), units=Sum("quantity"), points=Sum("points"))
        .order_by("-redemptions", "-units", "gift__sku")[:TOP_GIFTS]
    )
    pending = Redemption.objects.filter(program=program, status__in=PENDING_STATUSES).count()
    figures = ledger_figures(program, periods)
    outstanding = balances["available"] + balances["pending"] + balances["locked"]
    return Dashboard(
        program=program,
        periods=periods,
        flows=figures.flows,
        liability=liability_over_time(figures, outstanding, value),
        active_members=active,
        available=balances["available"],
        pending=balances["pending"],
        locked=balances["locked"],
        point_value=value,
        top_promotions=top_promotions(program, figures),
        funnel=redemption_funnel(program, periods),
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
        tiers=tier_figures(program, periods),
    )
