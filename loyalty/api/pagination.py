"""Cursor pagination: `?limit=` (1-200, default 50) and an opaque `?cursor=`.

The cursor holds the ordering values of the last row served, so a page never repeats or skips
rows when new ones are written between two calls (keyset pagination).
"""

import base64
import bisect
import datetime
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

from loyalty.api.errors import invalid
from loyalty.core.values import UNSTORABLE_CHARACTER

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

# The query parameters of every list operation, and the shape of its answer, for the OpenAPI schema.
PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        description=f"Rows per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}); outside that range: 400.",
    ),
    OpenApiParameter(
        "cursor",
        OpenApiTypes.STR,
        description="The `next` value of the previous page (omit it for the first page); a cursor that does not "
        "decode is a 400.",
    ),
]


def page_schema(name: str, item: serializers.Field) -> serializers.Serializer:
    """The answer of a list operation: `{"results": [item, ...], "next": cursor or null}`."""
    return inline_serializer(
        name=name,
        fields={
            "results": serializers.ListField(child=item, help_text="This page's rows, in the list's order."),
            "next": serializers.CharField(
                allow_null=True,
                help_text="An opaque cursor to pass as `?cursor=` for the next page; null on the last page. "
                "Pages stay stable while new rows are written.",
            ),
        },
    )


def read_limit(request) -> int:
    """`?limit=`: absent is the default; once, as 1 to 200 in ASCII digits; anything else (empty, repeated,
    `+5`, `٥`) is a 400 rather than a silent default."""
    values = request.query_params.getlist("limit")
    if not values:
        return DEFAULT_LIMIT
    raw = values[0]
    limit = int(raw) if len(values) == 1 and raw.isascii() and raw.isdigit() and len(raw) <= 3 else 0
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(f"limit must be an integer from 1 to {MAX_LIMIT}.", {"limit": [f"Must be 1 to {MAX_LIMIT}."]})
    return limit


def _encode(values: list[Any]) -> str:
    def norm(v):
        if isinstance(v, datetime.datetime):
            return {"dt": v.isoformat()}
        if isinstance(v, Decimal):
            return {"dec": str(v)}
        return v

    raw = json.dumps([norm(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
        out: list[Any] = []
        for v in values:
            if isinstance(v, dict) and "dt" in v:
                parsed = parse_datetime(v["dt"])
                if parsed is None:
                    raise ValueError
                out.append(parsed)
            elif isinstance(v, dict) and "dec" in v:
                out.append(Decimal(v["dec"]))
            elif (isinstance(v, str) and "\x00" not in v) or (isinstance(v, int) and not isinstance(v, bool)):
                # NUL never is in a served cursor, and PostgreSQL refuses it in a query.
                out.append(v)
            else:
                raise ValueError
        return out
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError, ArithmeticError) as exc:
        raise invalid(
            "cursor is not valid; pass the `next` value of a previous page.", {"cursor": ["Invalid cursor."]}
        ) from exc


_BIGINT = 2**63


def _fits(field: object, value: Any) -> bool:
    """A decoded cursor value has the type of its ordering column: a cursor made up by hand (valid base64 and JSON,
    a datetime where the id goes) would otherwise reach the query and fail there."""
    if isinstance(field, models.IntegerField | models.AutoField):
        return isinstance(value, int) and -_BIGINT <= value < _BIGINT
    if isinstance(field, models.DateTimeField):
        offset = value.utcoffset() if isinstance(value, datetime.datetime) else None
        return offset is not None and abs(offset) <= datetime.timedelta(hours=14)
    if isinstance(field, models.DecimalField):
        return isinstance(value, Decimal) and value.is_finite()
    return isinstance(value, str) and not UNSTORABLE_CHARACTER.search(value)


def _check_types(model: type[models.Model], ordering: Sequence[str], values: list[Any]) -> None:
    for key, value in zip(ordering, values, strict=True):
        if not _fits(model._meta.get_field(key.lstrip("-")), value):
            raise invalid(
                "cursor is not valid; pass the `next` value of a previous page.", {"cursor": ["Invalid cursor."]}
            )


def _after(ordering: Sequence[str], values: list[Any]) -> Q:
    """Rows strictly after `values` in `ordering` (e.g. ["-created_at", "-id"])."""
    condition = Q()
    for i, key in enumerate(ordering):
        name = key.lstrip("-")
        op = "lt" if key.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[i]})
        for prev_key, prev_value in zip(ordering[:i], values[:i], strict=True):
            step &= Q(**{prev_key.lstrip("-"): prev_value})
        condition |= step
    return condition


def paginate_queryset(request, queryset: QuerySet, ordering: Sequence[str]) -> tuple[list, str | None]:
    """One page of `queryset` in `ordering` (which must end with a unique key) and the next cursor."""
    limit = read_limit(request)
    cursor = request.query_params.get("cursor")
    qs = queryset.order_by(*ordering)
    if cursor:
        values = _decode(cursor, len(ordering))
        _check_types(queryset.model, ordering, values)
        qs = qs.filter(_after(ordering, values))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode([_attr(last, key.lstrip("-")) for key in ordering])
    return rows, next_cursor


def _attr(obj, path: str):
    for part in path.split("__"):
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def paginate_list(
    request, items: Sequence[Any], key: Callable[[Any], str], *, sorted_by_key: bool = False
) -> tuple[list, str | None]:
    """Pagination for short in-memory lists with a unique string key. `sorted_by_key`: the items are in ascending
    key order, so a page continues after the cursor's key even when that row has left the list since (a promotion
    paused between two pages); otherwise the cursor's row must still be listed."""
    limit = read_limit(request)
    cursor = request.query_params.get("cursor")
    start = 0
    if cursor:
        (last_key,) = _decode(cursor, 1)
        keys = [key(item) for item in items]
        if sorted_by_key and isinstance(last_key, str):
            start = bisect.bisect_right(keys, last_key)
        elif last_key in keys:
            start = keys.index(last_key) + 1
        else:
            raise invalid(
                "cursor is not valid; pass the `next` value of a previous page.", {"cursor": ["Invalid cursor."]}
            )
    page = list(items[start : start + limit])
    next_cursor = _encode([key(page[-1])]) if start + limit < len(items) and page else None
    return page, next_cursor


def page_response_data(results: list, next_cursor: str | None) -> dict:
    return {"results": results, "next": next_cursor}
