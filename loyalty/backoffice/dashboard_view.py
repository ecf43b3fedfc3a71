"""The program dashboard page of the admin (/admin/dashboard/) and its tables as CSV files
(/admin/dashboard/export/<table>.csv).

Any staff user opens them for one of their programs (a superuser for any; another program's id is a 404); the
figures come from `loyalty.backoffice.dashboard`, the periods from the query string (`dashboard_periods`). The
charts are drawn by unfold's Chart.js from JSON data blocks (`dashboard_charts`); each has its table beside it.
"""

import re
import zoneinfo

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import pgettext, pgettext_lazy
from unfold.widgets import SELECT_CLASSES

from loyalty.backoffice.dashboard import Dashboard, program_dashboard
from loyalty.backoffice.dashboard_charts import charts
from loyalty.backoffice.dashboard_periods import CUSTOM, PeriodForm, Periods, chosen_periods
from loyalty.backoffice.dashboard_tables import TABLES, Table, display, table_csv, tables
from loyalty.backoffice.scope import staff_program_list
from programs.models import Program

# The page's sections, in order: (table slug, chart type or None, full width, first numeric column, note).
SECTIONS = [
    (
        "points",
        "bar",
        True,
        3,
        pgettext_lazy(
            "dashboard",
            "Issued: earns, events and positive adjustments. Burned: redemptions and captures, net of refunds. "
            "Reversed: earn reversals. Expired: expiry. Transfers and negative adjustments are not flows of the program.",
        ),
    ),
    (
        "liability",
        "line",
        False,
        2,
        pgettext_lazy(
            "dashboard",
            "The points held by members (available, pending and locked) at the end of each period, by purchase date; "
            "valued at today's average point value.",
        ),
    ),
    (
        "redemptions",
        "bar",
        False,
        1,
        pgettext_lazy("dashboard", "The redemptions created in these periods, by their status now."),
    ),
    (
        "promotions",
        "bar",
        False,
        2,
        pgettext_lazy(
            "dashboard",
            "The points of the earns each promotion gave points to. An earn stores its total only: when several "
            "promotions applied, it counts in full for each of them, and its points show in the last column too.",
        ),
    ),
    ("tiers", "bar", False, 2, pgettext_lazy("dashboard", "The tier on each member's balance now.")),
    (
        "tier-moves",
        None,
        False,
        3,
        pgettext_lazy(
            "dashboard",
            "An upgrade is a change to a higher tier, or from no tier to a tier; a downgrade to a lower tier or to "
            "no tier; by an earn, the daily assessment or by hand.",
        ),
    ),
    ("gifts", None, False, 2, ""),
]


def _program(request: HttpRequest, programs: list[Program]) -> Program | None:
    chosen = request.GET.get("program")
    if not chosen:
        return programs[0] if programs else None
    program = next((p for p in programs if str(p.pk) == chosen), None)
    if program is None:
        raise Http404("No such program.")
    return program


def _zone(program: Program) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(program.timezone)


def _query(program: Program, periods: Periods) -> str:
    """The query string that asks for the same program and periods (for the CSV links)."""
    params: dict[str, str | int] = {"program": program.pk, "period": periods.choice}
    if periods.choice == CUSTOM:
        params.update(start=periods.first_day.isoformat(), end=periods.last_day.isoformat())
    return urlencode(params)


def _errors(form: PeriodForm) -> list[str]:
    """The form's errors as sentences for the page (a field's errors named by its label)."""
    return [
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)  # "From: Enter a valid date."
        for name, errors in form.errors.items()
        for error in errors
    ]


def _kpis(dashboard: Dashboard) -> list[dict[str, str]]:
    currency = dashboard.program.currency
    value = dashboard.outstanding_value
    redemptions = reverse("admin:rewards_redemption_changelist")
    return [
        {
            "id": "active-members",
            "title": pgettext("dashboard", "Active members"),
            "value": display(dashboard.active_members),
            "note": pgettext("dashboard", "with a ledger entry in the last 90 days"),
        },
        {
            "id": "outstanding",
            "title": pgettext("dashboard", "Outstanding points"),
            "value": display(dashboard.outstanding),
            "note": pgettext("dashboard", "available %(available)s + pending %(pending)s + locked %(locked)s")
            % {
                "available": display(dashboard.available),
                "pending": display(dashboard.pending),
                "locked": display(dashboard.locked),
            },
        },
        {
            "id": "outstanding-value",
            "title": pgettext("dashboard", "Their value"),
            "value": f"{display(value)} {currency}" if value is not None else "—",
            "note": (
                pgettext("dashboard", "at %(value)s %(currency)s a point: the average of the validated gifts")
                % {
                    "value": number_format(dashboard.point_value, decimal_pos=4, force_grouping=True),
                    "currency": currency,
                }
                if dashboard.point_value is not None
                else pgettext("dashboard", "no validated gift to price a point")
            ),
        },
        {
            "id": "pending-redemptions",
            "title": pgettext("dashboard", "Pending redemptions"),
            "value": display(dashboard.pending_redemptions),
            "note": pgettext("dashboard", "exchanged, in preparation or in delivery"),
            "href": f"{redemptions}?program__id__exact={dashboard.program.pk}",
        },
        {
            "id": "issued",
            "title": pgettext("dashboard", "Points issued"),
            "value": display(dashboard.total("issued")),
            "note": pgettext("dashboard", "in these periods"),
        },
        {
            "id": "burned",
            "title": pgettext("dashboard", "Points burned"),
            "value": display(dashboard.total("burned")),
            "note": pgettext("dashboard", "in these periods, net of refunds"),
        },
    ]


def _sections(dashboard: Dashboard, language: str, query: str) -> list[dict[str, object]]:
    found: dict[str, Table] = tables(dashboard)
    drawn = charts(dashboard, language)
    return [
        {
            "slug": slug,
            "table": found[slug],
            "chart": drawn[slug] if chart_type else None,
            "chart_type": chart_type,
            "data_id": f"chart-data-{slug}",
            "wide": wide,
            "numeric_from": numeric_from,
            "note": note,
            "export": f"{reverse('admin-dashboard-export', args=[slug])}?{query}",
        }
        for slug, chart_type, wide, numeric_from, note in SECTIONS
    ]


def dashboard_view(request: HttpRequest) -> HttpResponse:
    programs = staff_program_list(request)
    program = _program(request, programs)
    form = PeriodForm(request.GET)
    context = {
        **admin.site.each_context(request),
        "title": pgettext("dashboard", "Program dashboard"),
        "programs": programs,
        "program": program,
        "form": form,
        "select_classes": " ".join(SELECT_CLASSES),
    }
    if program is not None:
        now = timezone.now()
        periods = chosen_periods(form, _zone(program), now)
        dashboard = program_dashboard(program=program, now=now, periods=periods)
        context.update(
            dashboard=dashboard,
            periods=periods,
            period_errors=_errors(form) if form.errors else [],
            kpis=_kpis(dashboard),
            sections=_sections(dashboard, translation.get_language() or "en", _query(program, periods)),
        )
    return render(request, "admin/rewards/dashboard.html", context)


def dashboard_export(request: HttpRequest, table: str) -> HttpResponse:
    """One table of the dashboard as CSV, for the same program and periods as the page it was linked from."""
    if table not in TABLES:
        raise Http404("No such table.")
    program = _program(request, staff_program_list(request))
    if program is None:
        raise Http404("No program.")
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("; ".join(_errors(form)), content_type="text/plain; charset=utf-8")
    now = timezone.now()
    periods = chosen_periods(form, _zone(program), now)
    dashboard = program_dashboard(program=program, now=now, periods=periods)
    found = TABLES[table](dashboard)
    response = HttpResponse(table_csv(found), content_type="text/csv; charset=utf-8")
    code = re.sub(r"[^A-Za-z0-9_-]", "_", program.code)  # a file name with no quote nor path in it
    name = f"{code}-{table}-{periods.first_day.isoformat()}-{periods.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
