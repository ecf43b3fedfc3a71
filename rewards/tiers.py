"""Tier arithmetic, without the database: the qualifying window, when a point leaves it, which tier points give.

A point counts for tiers while its `occurred_at` is after `window_start(now)`, the same UTC time
`tier_window_months` calendar months earlier (the last day of a shorter month, as expiry counts). `leaves_at` is
the exact first moment it no longer counts: the figure kept on the balance row is exact until the earliest of
these among the points it holds.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class TierDef:
    id: int
    code: str
    name: dict
    threshold: int
    position: int


def window_start(now: datetime.datetime, months: int) -> datetime.datetime:
    return now.astimezone(datetime.UTC) - relativedelta(months=months)


def counts(occurred_at: datetime.datetime, now: datetime.datetime, months: int) -> bool:
    return occurred_at > window_start(now, months)


def leaves_at(occurred_at: datetime.datetime, months: int) -> datetime.datetime:
    """The first moment `occurred_at` is no longer in the window."""
    moment = occurred_at.astimezone(datetime.UTC) + relativedelta(months=months)
    if window_start(moment, months) >= occurred_at:
        return moment
    # Clamped to a shorter month's last day (January 30 + 1 month = February 28): until that month ends, the
    # window starts on an earlier day of the month than occurred_at, so the point leaves when the next one begins.
    return (moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + relativedelta(months=1)).astimezone(
        datetime.UTC
    )


def kept_until(since: datetime.datetime, months: int) -> datetime.datetime:
    """A tier reached at `since` is kept at least until then (months counted like expiry)."""
    return since.astimezone(datetime.UTC) + relativedelta(months=months)


def tier_for(points: int, tiers: Sequence[TierDef]) -> TierDef | None:
    """The highest tier whose threshold the points reach (tiers lowest first)."""
    reached = None
    for tier in tiers:
        if tier.threshold <= points:
            reached = tier
    return reached


def next_tier(current: TierDef | None, tiers: Iterable[TierDef]) -> TierDef | None:
    for tier in tiers:
        if current is None or tier.position > current.position:
            return tier
    return None
