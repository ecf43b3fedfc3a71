"""The dashboard's periods: the last 12 ISO weeks, the last 12 calendar months, or a custom range of dates, each
period bounded by midnight in the PROGRAM's time zone (so a purchase at 23:30 on a Sunday there stays in its
week, and summer time changes move no entry across a bound).

The periods are chosen on the page with `PeriodForm` (query string `period`, `start`, `end`); a bad choice
is reported on the page and the default (12 weeks) shown instead.
"""

import datetime
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import pgettext, pgettext_lazy
from unfold.widgets import BASE_INPUT_CLASSES, UnfoldAdminSelectWidget

WEEKS = 12
MONTHS = 12
# A custom range is grouped by weeks up to this length, by months beyond, and may cover at most MAX_DAYS
# (two years: 25 monthly periods at most, so the page's queries stay a fixed, small size).
WEEKLY_UP_TO_DAYS = 26 * 7
MAX_DAYS = 731
EARLIEST = datetime.date(2000, 1, 1)

LAST_WEEKS, LAST_MONTHS, CUSTOM = "weeks", "months", "custom"
CHOICES = [
    (LAST_WEEKS, pgettext_lazy("dashboard", "Last 12 weeks")),
    (LAST_MONTHS, pgettext_lazy("dashboard", "Last 12 months")),
    (CUSTOM, pgettext_lazy("dashboard", "Custom range")),
]


@dataclass(frozen=True)
class Period:
    start: datetime.date  # its first day
    end: datetime.date  # the day after its last (exclusive)
    weekly: bool  # an ISO week (or part of one, at the ends of a custom range); else a calendar month (or part)

    @property
    def label(self) -> str:
        if self.weekly:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return date_format(self.start, "YEAR_MONTH_FORMAT")

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)


@dataclass(frozen=True)
class Periods:
    choice: str  # LAST_WEEKS, LAST_MONTHS or CUSTOM
    periods: list[Period]  # oldest first
    zone: zoneinfo.ZoneInfo

    @property
    def weekly(self) -> bool:
        return self.periods[0].weekly

    @property
    def first_day(self) -> datetime.date:
        return self.periods[0].start

    @property
    def last_day(self) -> datetime.date:
        return self.periods[-1].last_day

    def bounds(self) -> list[datetime.datetime]:
        """Midnight in the program's zone at the start of each period, then at the end of the last one."""
        days = [period.start for period in self.periods] + [self.periods[-1].end]
        return [datetime.datetime.combine(day, datetime.time(), tzinfo=self.zone) for day in days]


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _next_month(day: datetime.date) -> datetime.date:
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _split(first: datetime.date, end: datetime.date, weekly: bool) -> list[Period]:
    """[first, end) cut at each Monday (weekly) or each 1st of the month; the ends may be partial periods."""
    periods = []
    start = first
    while start < end:
        following = start + datetime.timedelta(days=7 - start.weekday()) if weekly else _next_month(start)
        periods.append(Period(start=start, end=min(following, end), weekly=weekly))
        start = following
    return periods


def last_weeks(today: datetime.date, weeks: int = WEEKS) -> list[Period]:
    """The last `weeks` ISO weeks, the current one last (whole: it ends on Sunday night)."""
    monday = _monday(today)
    first = monday - datetime.timedelta(weeks=weeks - 1)
    return _split(first, monday + datetime.timedelta(weeks=1), weekly=True)


def last_months(today: datetime.date, months: int = MONTHS) -> list[Period]:
    """The last `months` calendar months, the current one last (whole)."""
    month = today.year * 12 + today.month - 1 - (months - 1)
    first = datetime.date(month // 12, month % 12 + 1, 1)
    return _split(first, _next_month(today.replace(day=1)), weekly=False)


def custom_range(first: datetime.date, last: datetime.date) -> list[Period]:
    """The days from `first` to `last` included, by weeks when short enough, else by months."""
    weekly = (last - first).days + 1 <= WEEKLY_UP_TO_DAYS
    return _split(first, last + datetime.timedelta(days=1), weekly=weekly)


ISO_DATE = "%Y-%m-%d"  # what a browser's date input sends, whatever the language
DATE_INPUT = forms.DateInput(format=ISO_DATE, attrs={"type": "date", "class": " ".join(BASE_INPUT_CLASSES)})


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=pgettext_lazy("dashboard", "Period"), choices=CHOICES, required=False, widget=UnfoldAdminSelectWidget
    )
    start = forms.DateField(
        label=pgettext_lazy("dashboard", "From"), required=False, input_formats=[ISO_DATE], widget=DATE_INPUT
    )
    end = forms.DateField(
        label=pgettext_lazy("dashboard", "To"), required=False, input_formats=[ISO_DATE], widget=DATE_INPUT
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") != CUSTOM or self.errors:
            return data
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            raise forms.ValidationError(pgettext("dashboard", "A custom range needs a start and an end date."))
        if start > end:
            raise forms.ValidationError(pgettext("dashboard", "The start date must be on or before the end date."))
        if start < EARLIEST:
            raise forms.ValidationError(
                pgettext("dashboard", "The start date must be on or after %(date)s.") % {"date": EARLIEST.isoformat()}
            )
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                pgettext("dashboard", "A custom range covers at most %(days)s days (two years).") % {"days": MAX_DAYS}
            )
        return data


def chosen_periods(form: PeriodForm, zone: zoneinfo.ZoneInfo, now: datetime.datetime) -> Periods:
    """The periods the (bound) form asks for; the last 12 weeks when it asks for none or is invalid."""
    today = now.astimezone(zone).date()
    choice = form.cleaned_data.get("period") if form.is_valid() else LAST_WEEKS
    if choice == CUSTOM:
        return Periods(CUSTOM, custom_range(form.cleaned_data["start"], form.cleaned_data["end"]), zone)
    if choice == LAST_MONTHS:
        return Periods(LAST_MONTHS, last_months(today), zone)
    return Periods(LAST_WEEKS, last_weeks(today), zone)
