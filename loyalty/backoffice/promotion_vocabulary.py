"""What a program's tills actually send: the SKUs, product categories and channels of its recent earns.

The promotion form's pickers suggest these values (and the program's gift catalog, and the codes its other
promotions already use), and warn when a promotion names a value the tills never sent — a category typed
`Bakery` matches nothing when the tills send `bakery`.

Reading every earn of 90 days would grow with the program: only the latest `EARN_SAMPLE` earns of that window
are read, newest first, along the (program, created_at) index, and the counts are kept in the cache for
`CACHE_SECONDS`, so a busy program costs one bounded scan every few minutes whatever its number of earns.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone

from catalog.models import Gift, GiftCategory
from programs.models import Program
from rewards.models import Earn, Promotion

WINDOW_DAYS = 90
EARN_SAMPLE = 20_000
CACHE_SECONDS = 300
FIELDS = ("products", "product_categories", "channels")
# The earn line key (or earn column) each promotion field is matched against.
LINE_KEYS = {"products": "sku", "product_categories": "product_category"}


@dataclass(frozen=True)
class Vocabulary:
    """Seen values with how many recent earn lines (channels: earns) carried them, most frequent first."""

    seen: dict[str, dict[str, int]]
    earns: int  # earns read
    catalog: dict[str, list[str]] = field(default_factory=dict)  # gift SKUs and gift category codes
    promotions: dict[str, list[str]] = field(default_factory=dict)  # codes the program's promotions already use


@dataclass(frozen=True)
class Suggestion:
    value: str
    sources: tuple[str, ...]  # "earns", "catalog", "promotions"
    count: int  # earn lines (channels: earns) of the window that carried it


@dataclass(frozen=True)
class Unseen:
    value: str
    similar: str | None  # a seen value equal to it but for case and surrounding spaces


def _cache_key(program: Program) -> str:
    return f"backoffice:promotion-vocabulary:{program.pk}"


def _seen_in_earns(program: Program, now: datetime.datetime) -> tuple[dict[str, dict[str, int]], int]:
    since = now - datetime.timedelta(days=WINDOW_DAYS)
    rows = (
        Earn.objects.filter(program_id=program.pk, created_at__gte=since)
        .order_by("-created_at")
        .values_list("lines", "channel")[:EARN_SAMPLE]
    )
    counters: dict[str, Counter[str]] = {name: Counter() for name in FIELDS}
    earns = 0
    for lines, channel in rows.iterator(chunk_size=2000):
        earns += 1
        if channel:
            counters["channels"][channel] += 1
        for line in lines or ():
            for name, key in LINE_KEYS.items():
                value = line.get(key)
                if value:
                    counters[name][value] += 1
    return {name: dict(counter.most_common()) for name, counter in counters.items()}, earns


def vocabulary(program: Program, *, now: datetime.datetime | None = None, fresh: bool = False) -> Vocabulary:
    """The program's vocabulary, from the cache unless `fresh` (the catalog and promotions are always read: small)."""
    cached = None if fresh else cache.get(_cache_key(program))
    if cached is None:
        seen, earns = _seen_in_earns(program, now or timezone.now())
        cached = {"seen": seen, "earns": earns}
        cache.set(_cache_key(program), cached, CACHE_SECONDS)
    promotions: dict[str, set[str]] = {name: set() for name in FIELDS}
    for row in Promotion.objects.filter(program=program).values_list(*FIELDS):
        for name, values in zip(FIELDS, row, strict=True):
            promotions[name].update(values or ())
    catalog = {
        "products": list(Gift.objects.filter(program=program).order_by("sku").values_list("sku", flat=True)),
        "product_categories": list(
            GiftCategory.objects.filter(program=program).order_by("code").values_list("code", flat=True)
        ),
        "channels": [],
    }
    return Vocabulary(
        seen=cached["seen"],
        earns=cached["earns"],
        catalog=catalog,
        promotions={name: sorted(values) for name, values in promotions.items()},
    )


def suggestions(vocab: Vocabulary, name: str, query: str = "", limit: int = 20) -> list[Suggestion]:
    """Values of field `name` containing `query` (any case): seen ones first, most frequent first."""
    needle = query.strip().casefold()
    seen = vocab.seen.get(name, {})
    found: dict[str, set[str]] = {}
    for source, values in (
        ("earns", seen),
        ("catalog", vocab.catalog.get(name, ())),
        ("promotions", vocab.promotions.get(name, ())),
    ):
        for value in values:
            if needle in value.casefold():
                found.setdefault(value, set()).add(source)
    ordered = sorted(found, key=lambda value: (-seen.get(value, 0), value.casefold(), value))
    order = ("earns", "catalog", "promotions")
    return [
        Suggestion(value=value, sources=tuple(s for s in order if s in found[value]), count=seen.get(value, 0))
        for value in ordered[:limit]
    ]


def unseen(vocab: Vocabulary, name: str, values: list[str]) -> list[Unseen]:
    """The values no recent earn carried, each with the seen value it probably means (same letters, other case)."""
    seen = vocab.seen.get(name, {})
    folded: dict[str, str] = {}
    for value in sorted(seen, key=lambda v: -seen[v]):  # the most frequent spelling wins
        folded.setdefault(value.strip().casefold(), value)
    return [Unseen(value=value, similar=folded.get(value.strip().casefold())) for value in values if value not in seen]
