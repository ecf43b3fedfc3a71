"""The program dashboard page of the admin (/admin/dashboard/), with its chart drawn as inline SVG.

Any staff user opens it for one of their programs (a superuser for any); the figures come from
`loyalty.backoffice.dashboard`. The chart is plain SVG written here: no script, no style attribute, no external resource.
"""

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from loyalty.backoffice.dashboard import SERIES, Week, program_dashboard
from loyalty.backoffice.scope import staff_programs

COLORS = {"issued": "#2e7d32", "burned": "#1565c0", "reversed": "#ef6c00", "expired": "#9e9e9e"}
WIDTH, HEIGHT = 760, 260
LEFT, BOTTOM, TOP = 56, 40, 28
BAR, GAP = 11, 14


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10^n at or above `value` (an axis top with round ticks)."""
    if value <= 0:
        return 10
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude


def flows_chart(weeks: list[Week]) -> SafeString:
    """Grouped bars: for each week, issued / burned / reversed / expired points. Negative sums (more
    refunds than redemptions in a week) are drawn as 0; the table beside the chart gives the numbers."""
    top = _nice_ceiling(max((max(getattr(w, s), 0) for w in weeks for s in SERIES), default=0))
    plot_height = HEIGHT - BOTTOM - TOP
    group = len(SERIES) * BAR + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="flows-title" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" class="flows-chart">',  # max-width: backoffice/admin.css
        '<title id="flows-title">Points issued, burned, reversed and expired per week</title>',
    ]
    for tick in range(5):
        value = top * tick / 4
        y = TOP + plot_height - plot_height * tick / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{value:,.0f}</text>'
        )
    for index, week in enumerate(weeks):
        x0 = LEFT + 8 + index * group
        for offset, series in enumerate(SERIES):
            value = getattr(week, series)
            height = plot_height * max(value, 0) / top
            y = TOP + plot_height - height
            parts.append(
                f'<rect x="{x0 + offset * BAR}" y="{y:.1f}" width="{BAR - 1}" height="{height:.1f}" '
                f'fill="{COLORS[series]}"><title>{escape(week.label)} {series}: {value:,}</title></rect>'
            )
        label = escape(week.label.split("-")[1])
        parts.append(
            f'<text x="{x0 + len(SERIES) * BAR / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11" fill="#555">{label}</text>'
        )
    for offset, series in enumerate(SERIES):
        x = LEFT + offset * 110
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLORS[series]}"/>')
        parts.append(f'<text x="{x + 16}" y="16" font-size="12" fill="#333">{series}</text>')
    parts.append("</svg>")
    # Safe: built only from numbers, fixed names and escaped labels.
    return mark_safe("".join(parts))


def dashboard_view(request: HttpRequest) -> HttpResponse:
    programs = list(staff_programs(request.user))
    chosen = request.GET.get("program")
    if chosen:
        program = next((p for p in programs if str(p.pk) == chosen), None)
        if program is None:
            raise Http404("No such program.")
    else:
        program = programs[0] if programs else None
    context = {
        **admin.site.each_context(request),
        "title": "Program dashboard",
        "programs": programs,
        "program": program,
    }
    if program is not None:
        dashboard = program_dashboard(program=program, now=timezone.now())
        context.update(dashboard=dashboard, chart=flows_chart(dashboard.weeks))
    return render(request, "admin/rewards/dashboard.html", context)
