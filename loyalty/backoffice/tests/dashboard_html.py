"""Reading the dashboard page in tests: a table's cells as text, a KPI's value, a chart's JSON data block."""

import json
from html.parser import HTMLParser


class _Cells(HTMLParser):
    """The rows (lists of cell texts) of the element with `wanted` id and of everything inside it."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted = wanted
        self.depth = 0  # inside the wanted element: the open-tag depth
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0 and dict(attrs).get("id") == self.wanted:
            self.depth = 1
            return
        if self.depth == 0:
            return
        if tag not in ("br", "input", "img", "meta", "link"):
            self.depth += 1
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if self.depth == 0:
            return
        self.depth -= 1
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.depth and self.cell is not None:
            self.cell.append(data)


def table(page: str, slug: str) -> list[list[str]]:
    """The table of a dashboard section, header row first."""
    parser = _Cells(f"table-{slug}")
    parser.feed(page)
    return parser.rows


class _Text(HTMLParser):
    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted, self.depth, self.parts = wanted, 0, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth or dict(attrs).get("id") == self.wanted:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text(page: str, element_id: str) -> str:
    """The text of an element, white space collapsed."""
    parser = _Text(element_id)
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


def chart(page: str, slug: str) -> dict:
    """A chart's Chart.js configuration, read from its JSON data block."""
    start = page.index(f'<script id="chart-data-{slug}" type="application/json">')
    body = page[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)
