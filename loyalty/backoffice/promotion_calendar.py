"""The calendar of promotions: the next 12 weeks as columns, each promotion a bar from its start to its end.

Shown: the live promotions whose dates meet the window (those starting later are "scheduled"), and the drafts
and paused ones that have a start date inside it (planned, not live). A bar is clipped to the window and says
so in words; kind and status are written on it, not only coloured. Weeks start on Monday, in the time zone of
the user's program (of the default time zone for a user of several programs); each bar's dates are its
program's.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

from loyalty.backoffice import labels
from loyalty.backoffice.scope import staff_programs
from rewards.models import Promotion

WEEKS = 12


@dataclass(frozen=True)
class Bar:
    promotion: Promotion
    name: str
    status: str  # live, scheduled, draft, paused
    status_label: str
    kind_label: str
    before: int  # empty weeks before the bar
    span: int  # weeks the bar covers
    after: int
    starts: str  # in the program's time zone, or "" when open
    ends: str
    clipped_start: bool  # it started before the window
    clipped_end: bool  # it goes on after the window

    @property
    def empty_before(self) -> range:
        return range(self.before)

    @property
    def empty_after(self) -> range:
        return range(self.after)


STATUS_LABELS = labels.PROMOTION_CALENDAR_STATUS


def window(now: datetime.datetime, tz: datetime.tzinfo) -> tuple[datetime.datetime, list[datetime.date]]:
    """The Monday 00:00 of this week in `tz`, and the first day of each of the WEEKS weeks."""
    today = timezone.localtime(now, tz).date()
    monday = today - datetime.timedelta(days=today.weekday())
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)
    return start, [monday + datetime.timedelta(weeks=n) for n in range(WEEKS)]


def calendar_promotions(
    programs: QuerySet, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> QuerySet[Promotion]:
    meets = (Q(starts_at__isnull=True) | Q(starts_at__lt=end)) & (Q(ends_at__isnull=True) | Q(ends_at__gt=start))
    planned = Q(status__in=[Promotion.DRAFT, Promotion.PAUSED], starts_at__gte=start, starts_at__lt=end)
    return (
        Promotion.objects.filter(program__in=programs)
        .filter(Q(status=Promotion.LIVE) & meets | planned)
        .select_related("program")
        .order_by("program__code", "starts_at", "code")
    )


def _week_index(moment: datetime.datetime, start: datetime.datetime) -> int:
    return (moment - start) // datetime.timedelta(weeks=1)


def bar_of(promotion: Promotion, start: datetime.datetime, now: datetime.datetime) -> Bar:
    end = start + datetime.timedelta(weeks=WEEKS)
    first = 0 if promotion.starts_at is None else max(0, _week_index(promotion.starts_at, start))
    # An end at Monday 00:00 does not touch that week.
    last = WEEKS - 1
    if promotion.ends_at is not None and promotion.ends_at < end:
        last = _week_index(promotion.ends_at - datetime.timedelta(microseconds=1), start)
    status = promotion.status
    if status == Promotion.LIVE and promotion.starts_at is not None and promotion.starts_at > now:
        status = "scheduled"
    tz = zoneinfo.ZoneInfo(promotion.program.timezone)

    def day(moment: datetime.datetime | None) -> str:
        # Day and month names in the staff user's language.
        return dateformat.format(timezone.localtime(moment, tz), "D j M Y H:i") if moment else ""

    return Bar(
        promotion=promotion,
        name=promotion.program.text(promotion.name),
        status=status,
        status_label=labels.label(STATUS_LABELS, status),
        kind_label=labels.label(labels.PROMOTION_KIND, promotion.kind),
        before=first,
        span=last - first + 1,
        after=WEEKS - 1 - last,
        starts=day(promotion.starts_at),
        ends=day(promotion.ends_at),
        clipped_start=promotion.starts_at is None or promotion.starts_at < start,
        clipped_end=promotion.ends_at is None or promotion.ends_at > end,
    )


def calendar_page(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    programs = staff_programs(request.user)
    zones = set(programs.values_list("timezone", flat=True)[:2])
    tz = zoneinfo.ZoneInfo(zones.pop()) if len(zones) == 1 else timezone.get_default_timezone()
    now = timezone.now()
    start, weeks = window(now, tz)
    end = start + datetime.timedelta(weeks=WEEKS)
    bars = [bar_of(p, start, now) for p in calendar_promotions(programs, start, end, now)]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Calendar of promotions"),
        "subtitle": None,
        "weeks": weeks,
        "bars": bars,
        "several_programs": len({bar.promotion.program_id for bar in bars}) > 1 or programs.count() > 1,
        "timezone_name": str(tz),
        "window_end": (end - datetime.timedelta(days=1)).date(),
    }
    return TemplateResponse(request, "admin/rewards/promotion/calendar.html", context)
