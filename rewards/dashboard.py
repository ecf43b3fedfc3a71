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
- pending redemptions: exchanged, in preparation or in delivery.

The ledger queries read the (program, kind, created_at) index, covering `points` and `member`
(migration 0004): the weekly sums and the count of active members are index-only scans on PostgreSQL.
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek

from catalog.models import Gift
from programs.models import Program
from rewards.models import EntryKind, LedgerEntry, PointsBalance, Redemption, RedemptionStatus

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


def _series(kind: str, positive: int, total: int) -> tuple[str, int] | None:
    """Which chart series an entry kind feeds, and by how much (points as the member sees them)."""
    if kind in (K.EARN, K.EVENT):
        return "issued", total
    if kind == K.ADJUSTMENT:
        return "issued", positive
    if kind in (K.REDEMPTION, K.CAPTURE, K.REFUND):
        return "burned", -total
    if kind == K.REVERSAL:
        return "reversed", -total
    if kind == K.EXPIRY:
        return "expired", -total
    return None


def weekly_flows(program: Program, now: datetime.datetime) -> list[Week]:
    """Points issued, burned, reversed and expired per week: one GROUP BY (week, kind) query."""
    zone = zoneinfo.ZoneInfo(program.timezone)
    mondays = week_starts(now, zone)
    start = datetime.datetime.combine(mondays[0], datetime.time(), tzinfo=zone)
    rows = (
        LedgerEntry.objects.filter(program=program, kind__in=FLOW_KINDS, created_at__gte=start)
        .annotate(week=TruncWeek("created_at", tzinfo=zone))
        .values("week", "kind")
        .annotate(total=Sum("points"), positive=Sum("points", filter=Q(points__gt=0)))
        .order_by()
    )
    sums: dict[datetime.date, dict[str, int]] = {monday: dict.fromkeys(SERIES, 0) for monday in mondays}
    for row in rows:
        week = row["week"]
        monday = week.astimezone(zone).date() if isinstance(week, datetime.datetime) else week
        found = _series(row["kind"], row["positive"] or 0, row["total"] or 0)
        if found is not None and monday in sums:
            sums[monday][found[0]] += found[1]
    return [Week(start=monday, **values) for monday, values in sums.items()]


def program_dashboard(*, program: Program, now: datetime.datetime) -> Dashboard:
    since = now - datetime.timedelta(days=ACTIVE_DAYS)
    active = (
        LedgerEntry.objects.filter(program=program, kind__in=ACTIVITY_KINDS, created_at__gte=since)
        .values("member_id")
        .distinct()
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
    )
