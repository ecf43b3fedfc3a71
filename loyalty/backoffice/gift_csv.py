"""Gifts as CSV: one row per gift, a name and a description column per program language.

Export writes every gift of a program. Import reads the same format: every row is checked with the
program document's value checks (`catalog.document`) and compared with the stored gift, giving a
preview of each row as new, update (with its changed fields), unchanged, or an error at its line.
`gift_csv_apply` writes all the rows in one transaction, and nothing when any row has an error.

Cells are text: integers in digits, booleans `true`/`false`, times in ISO 8601 with their offset,
images as URLs separated by spaces. An empty cell means null (no limit, no date), an empty list, or no
text in that language. A column left out of the header keeps the stored values of the gifts. The file
is UTF-8 (a byte-order mark is skipped), separated by commas, or by semicolons when the header is.
"""

import csv
import datetime
import hashlib
import io
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.document import gift_spec
from catalog.models import Gift, GiftCategory
from catalog.services import gift_stock_set
from loyalty.core.values import INVALID, object_values
from programs.models import Program

BASE_COLUMNS = (
    "sku",
    "category",
    "type",
    "points",
    "value",
    "stock",
    "validated",
    "valid_from",
    "valid_until",
    "voucher_valid_days",
    "images",
)
TEXT_FIELDS = ("name", "description")
INTEGER_COLUMNS = {"points", "stock", "voucher_valid_days"}
NULLABLE_COLUMNS = {"category", "stock", "valid_from", "valid_until", "voucher_valid_days"}
BOOLEANS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
# Model fields a row may write, in the order of the preview's change lists.
WRITTEN = (
    "category_id",
    "type",
    "points",
    "value",
    "stock",
    "validated",
    "valid_from",
    "valid_until",
    "voucher_valid_days",
    "images",
    "name",
    "description",
)
MAX_ROWS = 20_000


def columns(program: Program) -> list[str]:
    texts = [f"{name}_{language}" for language in program.languages for name in TEXT_FIELDS]
    return [*BASE_COLUMNS, *texts]


# ---- export ---------------------------------------------------------------------------------------------------


def _when(value: datetime.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(zone).isoformat() if value else ""


def gift_csv_rows(*, program: Program) -> Iterator[list[str]]:
    """The header, then every gift of the program by sku (two queries, gifts read in chunks)."""
    zone = zoneinfo.ZoneInfo(program.timezone)
    categories = dict(GiftCategory.objects.filter(program=program).values_list("id", "code"))
    yield columns(program)
    for gift in Gift.objects.filter(program=program).order_by("sku").iterator(chunk_size=1000):
        names, descriptions = gift.name or {}, gift.description or {}
        texts = []
        for language in program.languages:
            texts += [names.get(language, ""), descriptions.get(language, "")]
        yield [
            gift.sku,
            "" if gift.category_id is None else categories.get(gift.category_id, ""),
            gift.type,
            str(gift.points),
            f"{gift.value:.2f}",
            "" if gift.stock is None else str(gift.stock),
            "true" if gift.validated else "false",
            _when(gift.valid_from, zone),
            _when(gift.valid_until, zone),
            "" if gift.voucher_valid_days is None else str(gift.voucher_valid_days),
            " ".join(url for url in gift.images or [] if isinstance(url, str)),
            *texts,
        ]


def gift_csv_text(*, program: Program) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(gift_csv_rows(program=program))
    return out.getvalue()


# ---- import: read, check, compare -----------------------------------------------------------------------------


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class RowPreview:
    line: int
    sku: str
    status: str  # new | update | unchanged | error
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    gift: Gift | None = field(default=None, repr=False)


@dataclass
class GiftCsvPreview:
    program: Program
    rows: list[RowPreview]
    errors: list[str]  # problems of the file itself (encoding, header), with their line

    @property
    def ok(self) -> bool:
        return not self.errors and not any(row.status == "error" for row in self.rows)

    @property
    def error_lines(self) -> list[int]:
        return [row.line for row in self.rows if row.status == "error"]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def fingerprint(self) -> str:
        """Identifies what applying would write: the apply refuses a file whose preview changed since."""
        digest = hashlib.sha256()
        for row in self.rows:
            digest.update(
                repr((row.line, row.sku, row.status, [(c.field, c.before, c.after) for c in row.changes])).encode()
            )
        for error in self.errors:
            digest.update(error.encode())
        return digest.hexdigest()[:32]


class GiftCsvRefused(Exception):
    def __init__(self, preview: GiftCsvPreview, message: str):
        super().__init__(message)
        self.preview = preview


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    return data.decode("utf-8-sig")


def _cell_value(column: str, raw: str) -> Any:
    """The CSV cell as the JSON value the program document would hold, for the document's checks."""
    text = raw.strip()
    if column in NULLABLE_COLUMNS and text == "":
        return None
    if column in INTEGER_COLUMNS:
        return int(text) if text.isdigit() and text.isascii() else text
    if column == "validated":
        return BOOLEANS.get(text.lower(), text)
    if column == "images":
        return text.split()
    return text


def _display(name: str, value: Any, zone: zoneinfo.ZoneInfo, categories: dict[int, str]) -> str:
    if value is None:
        return "—"
    if name == "category_id":
        return categories.get(value, str(value))
    if isinstance(value, datetime.datetime):
        return value.astimezone(zone).isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list):
        return " ".join(map(str, value)) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) or "—"
    return str(value)


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, Decimal) or isinstance(after, Decimal):
        return before is not None and after is not None and Decimal(before) == Decimal(after)
    return before == after


def _header(rows: Iterator[list[str]], program: Program, errors: list[str]) -> list[str] | None:
    header = next(rows, None)
    if header is None:
        errors.append("line 1: the file is empty")
        return None
    header = [cell.strip().lower() for cell in header]
    known = set(columns(program))
    unknown = [name for name in header if name not in known]
    if unknown:
        languages = ", ".join(program.languages)
        errors.append(
            f"line 1: unknown column(s) {', '.join(unknown)} (texts go in name_xx and description_xx columns, xx among {languages})"
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        errors.append(f"line 1: duplicate column(s) {', '.join(duplicates)}")
    if "sku" not in header:
        errors.append("line 1: a sku column is required")
    return None if errors else header


def _row(
    line: int,
    cells: dict[str, str],
    *,
    program: Program,
    spec: dict,
    stored: dict[str, Gift],
    categories: dict[str, int],
) -> RowPreview:
    errors: list[str] = []
    document: dict[str, Any] = {}
    for column in BASE_COLUMNS:
        if column in cells:
            document[column] = _cell_value(column, cells[column])
    sku = document.get("sku", "")
    gift = stored.get(sku) if isinstance(sku, str) else None
    for name in TEXT_FIELDS:
        present = [language for language in program.languages if f"{name}_{language}" in cells]
        if present:
            texts = dict(getattr(gift, name) or {}) if gift is not None else {}
            for language in present:
                text = cells[f"{name}_{language}"].strip()
                if text:
                    texts[language] = text
                else:
                    texts.pop(language, None)
            document[name] = texts
    values = object_values(document, spec, "", errors)

    category = values.pop("category", None) if "category" in values else ...
    if category is not ... and category is not INVALID:
        if category is not None and category not in categories:
            errors.append(f"category: no category {category!r} in {program.code}")
        else:
            values["category_id"] = categories.get(category) if category is not None else None

    def merged(name: str, default: Any = None) -> Any:
        if name in values:
            return values[name]
        return getattr(gift, name) if gift is not None else default

    if gift is None and "points" not in values:
        errors.append("points: required for a new gift")
    start, end = merged("valid_from"), merged("valid_until")
    if INVALID not in (start, end) and start is not None and end is not None and start >= end:
        errors.append("valid_until: must be after valid_from")
    kind, days = merged("type", Gift.PHYSICAL), merged("voucher_valid_days")
    if INVALID not in (kind, days) and kind != Gift.VOUCHER and days is not None:
        errors.append("voucher_valid_days: only for voucher gifts (leave it empty)")
    names = merged("name", {})
    if names is not INVALID and not (names or {}).get(program.default_language):
        errors.append(f"name_{program.default_language}: required (the program's default language)")

    if errors:
        return RowPreview(line=line, sku=str(sku), status="error", errors=[f"line {line}: {e}" for e in errors])
    if gift is None:
        return RowPreview(line=line, sku=sku, status="new", values={k: v for k, v in values.items() if k != "sku"})
    changes = [name for name in WRITTEN if name in values and not _same(getattr(gift, name), values[name])]
    return RowPreview(
        line=line,
        sku=sku,
        status="update" if changes else "unchanged",
        changes=[Change(name, "", "") for name in changes],
        values={name: values[name] for name in changes},
        gift=gift,
    )


def gift_csv_preview(*, program: Program, data: bytes | str, lock: bool = False) -> GiftCsvPreview:
    """Reads and checks the file against the program's stored gifts; writes nothing."""
    errors: list[str] = []
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        return GiftCsvPreview(program, [], [f"the file is not UTF-8 text (byte {exc.start})"])
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = _header(reader, program, errors)
    except csv.Error as exc:
        return GiftCsvPreview(program, [], [f"line 1: {exc}"])
    if header is None:
        return GiftCsvPreview(program, [], errors)

    gifts = Gift.objects.filter(program=program).order_by("pk")
    if lock:  # the apply locks the program's gifts, in primary-key order like the program importer
        gifts = gifts.select_for_update()
    stored = {gift.sku: gift for gift in gifts}
    categories = dict(GiftCategory.objects.filter(program=program).values_list("code", "id"))
    codes = {pk: code for code, pk in categories.items()}
    spec = gift_spec(list(program.languages))
    zone = zoneinfo.ZoneInfo(program.timezone)
    rows: list[RowPreview] = []
    seen: dict[str, int] = {}
    last_line = reader.line_num
    while True:
        line = last_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows.append(RowPreview(line=line, sku="", status="error", errors=[f"line {line}: {exc}"]))
            break
        last_line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(f"line {line}: more than {MAX_ROWS} gifts; split the file")
            break
        if len(cells) != len(header):
            problem = f"line {line}: {len(cells)} cells, but the header has {len(header)} columns"
            rows.append(RowPreview(line=line, sku=cells[0].strip() if cells else "", status="error", errors=[problem]))
            continue
        row = _row(
            line,
            dict(zip(header, cells, strict=True)),
            program=program,
            spec=spec,
            stored=stored,
            categories=categories,
        )
        if row.status != "error" and row.sku in seen:
            row = RowPreview(
                line=line,
                sku=row.sku,
                status="error",
                errors=[f"line {line}: sku {row.sku} is already on line {seen[row.sku]}"],
            )
        if row.sku:
            seen.setdefault(row.sku, line)
        for change in row.changes:
            change.before = _display(change.field, getattr(row.gift, change.field), zone, codes)
            change.after = _display(change.field, row.values[change.field], zone, codes)
            change.field = "category" if change.field == "category_id" else change.field
        rows.append(row)
    if not rows and not errors:
        errors.append("the file has no gift rows")
    return GiftCsvPreview(program, rows, errors)


# ---- import: write --------------------------------------------------------------------------------------------


def gift_csv_apply(*, program: Program, data: bytes | str, actor: str, expected: str | None = None) -> GiftCsvPreview:
    """Writes every row of the file in one transaction: new gifts are created, changed ones updated, stock
    changes go through `gift_stock_set` (logged). Raises GiftCsvRefused, writing nothing, when a row has an
    error or when the preview is no longer the one `expected` names (the catalog changed since)."""
    with transaction.atomic():
        preview = gift_csv_preview(program=program, data=data, lock=True)
        if not preview.ok:
            lines = ", ".join(map(str, preview.error_lines)) or "1"
            raise GiftCsvRefused(preview, f"Nothing was imported: the file has errors (line {lines}).")
        if expected is not None and preview.fingerprint != expected:
            raise GiftCsvRefused(
                preview, "The catalog changed since the preview: check the new preview and apply again."
            )
        now = timezone.now()
        new_gifts: list[Gift] = []
        for row in preview.rows:
            if row.status == "new":
                row.gift = Gift(program=program, sku=row.sku, **row.values)
                new_gifts.append(row.gift)
        Gift.objects.bulk_create(new_gifts)
        for row in preview.rows:
            if row.status != "update":
                continue
            gift, values = row.gift, dict(row.values)
            assert gift is not None  # _row gives every update row its stored gift
            stock = values.pop("stock", ...)
            if values:
                for name, value in values.items():
                    setattr(gift, name, value)
                gift.updated_at = now
                gift.save(update_fields=[*values, "updated_at"])
            if stock is not ...:
                gift_stock_set(gift=gift, stock=stock, actor=actor, reason="CSV import")
    return preview
