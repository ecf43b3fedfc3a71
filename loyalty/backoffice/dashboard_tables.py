"""The dashboard's tables: each chart's data with human headers, shown on the page (numbers with the language's
thousands separators) and downloadable as CSV (plain numbers, the same headers and rows).

One definition per table, so the page, its charts and the CSV files cannot drift apart.
"""

import csv
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import pgettext

from loyalty.backoffice.dashboard import Dashboard
from loyalty.backoffice.fulfilment import safe_cell

Cell = str | int | Decimal | datetime.date | None


@dataclass(frozen=True)
class Table:
    slug: str  # its CSV's name: /admin/dashboard/export/<slug>.csv
    title: str
    headers: list[str]
    rows: list[list[Cell]]

    def formatted(self) -> list[list[str]]:
        """The rows as the page shows them."""
        return [[display(cell) for cell in row] for row in self.rows]


def display(cell: Cell) -> str:
    """A cell for the page: numbers grouped by thousands in the active language, dates as ISO dates."""
    if cell is None:
        return "—"
    if isinstance(cell, bool):
        return str(cell)
    if isinstance(cell, int):
        return number_format(cell, force_grouping=True)
    if isinstance(cell, Decimal):
        return number_format(cell, decimal_pos=2, force_grouping=True)
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    return cell


def csv_value(cell: Cell) -> str | int:
    """A cell for the CSV file: plain numbers; a name that a spreadsheet would run as a formula, quoted."""
    if cell is None:
        return ""
    if isinstance(cell, datetime.date):
        return cell.isoformat()
    if isinstance(cell, Decimal):
        return f"{cell:.2f}"
    if isinstance(cell, str):
        return safe_cell(cell)
    return cell


def flows_table(d: Dashboard) -> Table:
    return Table(
        slug="points",
        title=pgettext("dashboard", "Points per period"),
        headers=[
            pgettext("dashboard", "Period"),
            pgettext("dashboard", "From"),
            pgettext("dashboard", "To"),
            pgettext("dashboard", "Issued"),
            pgettext("dashboard", "Burned"),
            pgettext("dashboard", "Reversed"),
            pgettext("dashboard", "Expired"),
        ],
        rows=[[f.label, f.period.start, f.period.last_day, f.issued, f.burned, f.reversed, f.expired] for f in d.flows],
    )


def liability_table(d: Dashboard) -> Table:
    currency = d.program.currency
    headers = [
        pgettext("dashboard", "Period"),
        pgettext("dashboard", "At the end of"),
        pgettext("dashboard", "Outstanding points"),
    ]
    if d.point_value is not None:
        headers.append(pgettext("dashboard", "Value (%(currency)s)") % {"currency": currency})
    rows: list[list[Cell]] = []
    for row in d.liability:
        cells: list[Cell] = [row.period.label, row.period.last_day, row.points]
        rows.append([*cells, row.value] if d.point_value is not None else cells)
    return Table(
        slug="liability",
        title=pgettext("dashboard", "Outstanding points (liability)"),
        headers=headers,
        rows=rows,
    )


def funnel_table(d: Dashboard) -> Table:
    return Table(
        slug="redemptions",
        title=pgettext("dashboard", "Redemptions by status"),
        headers=[pgettext("dashboard", "Status"), pgettext("dashboard", "Redemptions")],
        rows=[[row.label, row.redemptions] for row in d.funnel],
    )


def promotions_table(d: Dashboard) -> Table:
    return Table(
        slug="promotions",
        title=pgettext("dashboard", "Top promotions by points issued"),
        headers=[
            pgettext("dashboard", "Promotion"),
            pgettext("dashboard", "Code"),
            pgettext("dashboard", "Earns"),
            pgettext("dashboard", "Points issued"),
            pgettext("dashboard", "Of which shared with other promotions"),
        ],
        rows=[[p.name, p.code, p.earns, p.points, p.shared_points] for p in d.top_promotions],
    )


def tiers_table(d: Dashboard) -> Table:
    tiers = d.tiers
    rows: list[list[Cell]] = [[t.name, t.code, t.threshold, t.members] for t in tiers.tiers]
    no_tier = (
        pgettext("dashboard", "No tier (so in %(tier)s, the threshold-0 tier)") % {"tier": tiers.base.name}
        if tiers.base
        else pgettext("dashboard", "No tier")
    )
    rows.append([no_tier, "", None, tiers.no_tier])
    return Table(
        slug="tiers",
        title=pgettext("dashboard", "Members per tier"),
        headers=[
            pgettext("dashboard", "Tier"),
            pgettext("dashboard", "Code"),
            pgettext("dashboard", "From (qualifying points)"),
            pgettext("dashboard", "Members now"),
        ],
        rows=rows,
    )


def tier_moves_table(d: Dashboard) -> Table:
    return Table(
        slug="tier-moves",
        title=pgettext("dashboard", "Tier moves per period"),
        headers=[
            pgettext("dashboard", "Period"),
            pgettext("dashboard", "From"),
            pgettext("dashboard", "To"),
            pgettext("dashboard", "Upgrades"),
            pgettext("dashboard", "Downgrades"),
        ],
        rows=[[m.label, m.period.start, m.period.last_day, m.upgrades, m.downgrades] for m in d.tiers.moves],
    )


def gifts_table(d: Dashboard) -> Table:
    return Table(
        slug="gifts",
        title=pgettext("dashboard", "Top gifts (redemptions in the last 90 days)"),
        headers=[
            pgettext("dashboard", "SKU"),
            pgettext("dashboard", "Gift"),
            pgettext("dashboard", "Redemptions"),
            pgettext("dashboard", "Units"),
            pgettext("dashboard", "Points"),
        ],
        rows=[[g.sku, g.name, g.redemptions, g.units, g.points] for g in d.top_gifts],
    )


TABLES: dict[str, Callable[[Dashboard], Table]] = {
    "points": flows_table,
    "liability": liability_table,
    "redemptions": funnel_table,
    "promotions": promotions_table,
    "tiers": tiers_table,
    "tier-moves": tier_moves_table,
    "gifts": gifts_table,
}


def tables(d: Dashboard) -> dict[str, Table]:
    return {slug: build(d) for slug, build in TABLES.items()}


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([csv_value(cell) for cell in row])
    return out.getvalue()
