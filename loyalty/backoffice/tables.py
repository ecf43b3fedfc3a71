"""Small read-only tables inside admin pages (a member's ledger, redemptions, expiring points), in unfold's look.

Cells are escaped (format_html); a cell may be a SafeString built with format_html (a link).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

TABLE = "w-full border-separate border-spacing-none"
HEAD = "bg-base-50 border-b border-base-200 font-semibold px-3 py-2 text-left whitespace-nowrap dark:bg-white/[.02]"
CELL = "border-b border-base-200 px-3 py-2 dark:border-base-800"
FRAME = "bo-table-frame border border-base-200 overflow-x-auto rounded-default dark:border-base-800"


def data_table(table_id: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]], label: Any) -> SafeString:
    """A table in a frame that scrolls sideways on a narrow screen (focusable, so a keyboard can scroll it too)."""
    head = format_html_join("", '<th scope="col" class="{}">{}</th>', ((HEAD, h) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", '<td class="{}">{}</td>', ((CELL, cell) for cell in row)),) for row in rows),
    )
    return format_html(
        '<div class="{}" tabindex="0" role="region" aria-label="{}"><table id="{}" class="{}"><thead><tr>{}</tr>'
        "</thead><tbody>{}</tbody></table></div>",
        FRAME,
        label,
        table_id,
        TABLE,
        head,
        body,
    )


# unfold's primary and secondary button looks (its button component's classes), for links and form buttons.
BUTTON = (
    "bg-primary-600 border border-transparent cursor-pointer font-medium inline-flex items-center gap-1 px-3 py-2 "
    "rounded-default text-white whitespace-nowrap hover:bg-primary-600/80"
)
BUTTON_SECONDARY = (
    "bg-white border border-base-200 cursor-pointer font-medium inline-flex items-center gap-1 px-3 py-2 "
    "rounded-default shadow-xs text-important whitespace-nowrap dark:bg-transparent dark:border-base-700 "
    "hover:bg-base-100/80"
)
BUTTON_DANGER = (
    "bg-red-600 border border-transparent cursor-pointer font-medium inline-flex items-center gap-1 px-3 py-2 "
    "rounded-default text-white whitespace-nowrap hover:bg-red-600/80"
)
