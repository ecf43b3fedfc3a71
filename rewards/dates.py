"""Point dates: expiry in calendar months, pending in days, both from `occurred_at` in UTC."""

import datetime

from dateutil.relativedelta import relativedelta


def expiry_for(occurred_at: datetime.datetime, months: int | None) -> datetime.datetime | None:
    """`months` calendar months later at the same UTC time; on a shorter month, its last day."""
    if not months:
        return None
    return occurred_at.astimezone(datetime.UTC) + relativedelta(months=months)


def available_for(occurred_at: datetime.datetime, pending_days: int) -> datetime.datetime:
    """`pending_days` × 24 h after `occurred_at` (the moment itself when the program has no pending days)."""
    return occurred_at.astimezone(datetime.UTC) + datetime.timedelta(days=pending_days)
