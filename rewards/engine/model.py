"""The engine's data: basket lines, promotion snapshots, the context of a basket, and the breakdown.

`Rule.to_dict` / `Rule.from_dict` are the JSON form an earn stores, so a partial reversal recomputes with the
exact promotion versions of the earn (DESIGN.md, ledger invariant 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, NamedTuple

SPEND: Final = "spend"
QUANTITY: Final = "quantity"
BASKET: Final = "basket"
MULTIPLIER: Final = "multiplier"
KINDS: Final = frozenset({SPEND, QUANTITY, BASKET, MULTIPLIER})
LIVE: Final = "live"

# Reasons of `Evaluation.not_applied`, listed in the order they are checked.
REASON_STATUS: Final = "status"
REASON_DATES: Final = "dates"
REASON_CHANNEL: Final = "channel"
REASON_SEGMENT: Final = "segment"
REASON_TIER: Final = "tier"
REASON_NO_ELIGIBLE_LINES: Final = "no_eligible_lines"
REASON_MIN_AMOUNT: Final = "min_amount"


class Line(NamedTuple):
    """One basket line, as evaluation needs it (`amount` is the line total after discounts).

    A named tuple rather than a frozen dataclass: as immutable, and built three times faster (a 100-line basket is
    100 of them per request)."""

    line_id: str
    sku: str
    product_category: str | None
    quantity: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Rule:
    """A promotion snapshot: the exact version an earn used, so a reversal recomputes with the same rules."""

    code: str
    version: int
    name: dict[str, str] = field(hash=False)  # a dict cannot be hashed; the other fields identify the rule
    kind: str
    status: str
    rate: Decimal | None = None
    points: int | None = None
    threshold: Decimal | None = None
    factor: Decimal | None = None
    products: frozenset[str] = frozenset()
    product_categories: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    min_amount: Decimal | None = None
    max_points: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form stored with an earn: Decimals as strings, datetimes ISO 8601, sets as sorted lists."""
        return {
            "code": self.code,
            "version": self.version,
            "name": dict(self.name),
            "kind": self.kind,
            "status": self.status,
            "rate": _decimal_str(self.rate),
            "points": self.points,
            "threshold": _decimal_str(self.threshold),
            "factor": _decimal_str(self.factor),
            "products": sorted(self.products),
            "product_categories": sorted(self.product_categories),
            "channels": sorted(self.channels),
            "segments": sorted(self.segments),
            "starts_at": None if self.starts_at is None else self.starts_at.isoformat(),
            "ends_at": None if self.ends_at is None else self.ends_at.isoformat(),
            "min_amount": _decimal_str(self.min_amount),
            "max_points": self.max_points,
            # Only when set: the snapshots of promotions without tiers keep the digest they had before tiers.
            **({"tiers": sorted(self.tiers)} if self.tiers else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Inverse of `to_dict`; keys a kind does not use may be missing (the program-file shape)."""
        return cls(
            code=str(data["code"]),
            version=int(data.get("version", 1)),
            name=dict(data.get("name") or {}),
            kind=str(data["kind"]),
            status=str(data["status"]),
            rate=_to_decimal(data.get("rate")),
            points=_to_int(data.get("points")),
            threshold=_to_decimal(data.get("threshold")),
            factor=_to_decimal(data.get("factor")),
            products=frozenset(data.get("products") or ()),
            product_categories=frozenset(data.get("product_categories") or ()),
            channels=frozenset(data.get("channels") or ()),
            segments=frozenset(data.get("segments") or ()),
            tiers=frozenset(data.get("tiers") or ()),
            starts_at=_to_datetime(data.get("starts_at")),
            ends_at=_to_datetime(data.get("ends_at")),
            min_amount=_to_decimal(data.get("min_amount")),
            max_points=_to_int(data.get("max_points")),
        )


@dataclass(frozen=True, slots=True)
class Context:
    """What the basket says about its moment and buyer; `member_segments=None` means a guest, `member_tier` the
    member's tier code (None: a guest, or a member without a tier)."""

    occurred_at: datetime
    channel: str | None = None
    member_segments: frozenset[str] | None = None
    member_tier: str | None = None


@dataclass(slots=True)
class PromotionResult:
    code: str
    name: dict[str, str]
    points: int


@dataclass(slots=True)
class LineResult:
    line_id: str
    points: int
    promotions: list[str]


@dataclass(slots=True)
class Evaluation:
    """The breakdown. `matched_rules` is the snapshot an earn stores for later partial reversals."""

    points: int
    promotions: list[PromotionResult]  # promotions with points > 0, sorted by code
    lines: list[LineResult]  # in input order
    not_applied: list[tuple[str, str]]  # (code, reason), sorted by code; filled only with explain=True
    matched_rules: tuple[Rule, ...]  # passed status, dates, channel and segment, and matched >= 1 line; by code


def _decimal_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _to_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _to_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _to_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
