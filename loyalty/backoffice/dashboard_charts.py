"""The dashboard's charts as Chart.js configurations (data and options), drawn by django-unfold's Chart.js.

The page passes each configuration with `json_script` (a JSON data block, no inline script) and
`backoffice/dashboard_charts.js` hands it to the canvas in the form unfold's chart components use
(`data-value`, `data-options`), before unfold draws every `.chart` canvas on load. Colours are unfold's theme
variables, which its script resolves. Every chart has a table with the same data beside it.
"""

from typing import Any

from django.utils.translation import pgettext, pgettext_lazy

from loyalty.backoffice.dashboard import Dashboard

COLORS = {
    "issued": "var(--color-green-600)",
    "burned": "var(--color-blue-600)",
    "reversed": "var(--color-orange-500)",
    "expired": "var(--color-base-400)",
}
SERIES_LABELS = {
    "issued": pgettext_lazy("dashboard", "Issued"),
    "burned": pgettext_lazy("dashboard", "Burned"),
    "reversed": pgettext_lazy("dashboard", "Reversed"),
    "expired": pgettext_lazy("dashboard", "Expired"),
}


def _options(*, legend: bool, horizontal: bool = False, money_axis: str | None = None) -> dict[str, Any]:
    """Chart.js options: the numbers on the axes and in the tooltips are formatted by Chart.js in the page's
    language (thousands separators included)."""
    value_axis, label_axis = ("x", "y") if horizontal else ("y", "x")
    options: dict[str, Any] = {
        "responsive": True,
        "maintainAspectRatio": False,  # the box's height is set by backoffice/dashboard.css
        "plugins": {"legend": {"display": legend, "position": "bottom"}},
        "scales": {value_axis: {"beginAtZero": True}, label_axis: {"ticks": {"autoSkip": True, "maxRotation": 0}}},
    }
    if horizontal:
        options["indexAxis"] = "y"
    if money_axis:
        options["scales"]["y1"] = {
            "position": "right",
            "beginAtZero": True,
            "grid": {"drawOnChartArea": False},
            "title": {"display": True, "text": money_axis},
        }
    return options


def charts(d: Dashboard, language: str) -> dict[str, dict[str, Any]]:
    def chart(data: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
        return {"data": data, "options": {**options, "locale": language}}

    labels = [flow.label for flow in d.flows]
    liability: list[dict[str, Any]] = [
        {
            "label": pgettext("dashboard", "Outstanding points"),
            "data": [row.points for row in d.liability],
            "borderColor": "var(--color-primary-600)",
            "backgroundColor": "var(--color-primary-600)",
            "yAxisID": "y",
        }
    ]
    currency = d.program.currency
    if d.point_value is not None:
        liability.append(
            {
                "label": pgettext("dashboard", "Value (%(currency)s)") % {"currency": currency},
                "data": [float(row.value) if row.value is not None else None for row in d.liability],
                "borderColor": "var(--color-orange-500)",
                "backgroundColor": "var(--color-orange-500)",
                "borderDash": [6, 4],
                "yAxisID": "y1",
            }
        )
    tier_labels = [t.name for t in d.tiers.tiers] + [pgettext("dashboard", "No tier")]
    return {
        "points": chart(
            {
                "labels": labels,
                "datasets": [
                    {
                        "label": str(SERIES_LABELS[s]),
                        "data": [getattr(flow, s) for flow in d.flows],
                        "backgroundColor": COLORS[s],
                    }
                    for s in SERIES_LABELS
                ],
            },
            _options(legend=True),
        ),
        "liability": chart(
            {"labels": labels, "datasets": liability},
            _options(legend=True, money_axis=currency if d.point_value is not None else None),
        ),
        "redemptions": chart(
            {
                "labels": [row.label for row in d.funnel],
                "datasets": [
                    {
                        "label": pgettext("dashboard", "Redemptions"),
                        "data": [row.redemptions for row in d.funnel],
                        "backgroundColor": "var(--color-primary-600)",
                    }
                ],
            },
            _options(legend=False, horizontal=True),
        ),
        "promotions": chart(
            {
                "labels": [p.name for p in d.top_promotions],
                "datasets": [
                    {
                        "label": pgettext("dashboard", "Points issued"),
                        "data": [p.points for p in d.top_promotions],
                        "backgroundColor": "var(--color-green-600)",
                    }
                ],
            },
            _options(legend=False, horizontal=True),
        ),
        "tiers": chart(
            {
                "labels": tier_labels,
                "datasets": [
                    {
                        "label": pgettext("dashboard", "Members"),
                        "data": [t.members for t in d.tiers.tiers] + [d.tiers.no_tier],
                        "backgroundColor": "var(--color-primary-600)",
                    }
                ],
            },
            _options(legend=False),
        ),
    }
