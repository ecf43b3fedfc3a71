"""The rewards app's part of the program document (program as code, API.md): promotions, the checks of their
values and of the keys each kind takes. The admin's promotion form is checked here too, so a promotion is
accepted by the admin exactly when a program file holding it would be."""

from typing import Any

from loyalty.core import values as v
from loyalty.core.values import Item
from members.models import Segment
from programs.models import Program, Tier
from rewards.models import ALL_KIND_KEYS, KIND_KEYS, Promotion


def promotion_spec(languages: list[str] | None) -> v.Spec:
    return {
        "code": ("code", v.code()),
        "name": ("name", v.translations(languages)),
        "kind": ("kind", v.choice(k for k, _ in Promotion.KINDS)),
        "status": ("status", v.choice(s for s, _ in Promotion.STATUSES)),
        "rate": ("rate", v.RATE),
        "points": ("points", v.integer(1)),
        "threshold": ("threshold", v.MONEY),
        "factor": ("factor", v.FACTOR),
        "products": ("products", v.list_of(v.text(64))),
        "product_categories": ("product_categories", v.list_of(v.text(64))),
        "segments": ("segments", v.list_of(v.code())),
        "tiers": ("tiers", v.list_of(v.code())),
        "channels": ("channels", v.list_of(v.text(64))),
        "starts_at": ("starts_at", v.or_null(v.timestamp)),
        "ends_at": ("ends_at", v.or_null(v.timestamp)),
        "min_amount": ("min_amount", v.or_null(v.MONEY)),
        "max_points": ("max_points", v.or_null(v.integer(1))),
    }


def check_promotions(items: list[Item], segments: set[str], errors: list[str], *, tiers: set[str]) -> None:
    """Each promotion carries exactly the keys of its kind, ordered dates, and segments and tiers that exist."""
    for item in items:
        kind = item.values.get("kind", v.INVALID)
        if v.ok(kind):
            for name in sorted((ALL_KIND_KEYS & item.values.keys()) - KIND_KEYS[kind]):
                owners = " and ".join(k for k, keys in KIND_KEYS.items() if name in keys)
                errors.append(f"{item.path}.{name}: not a key of a {kind} promotion (only of {owners})")
            # A new promotion, or one changing kind, must bring every key of its kind.
            if item.existing is None or item.existing.kind != kind:
                errors.extend(f"{item.path}.{name}: required" for name in sorted(KIND_KEYS[kind] - item.values.keys()))
        v.check_order(item, "starts_at", "ends_at", errors)
        codes = item.values.get("segments", [])
        if v.ok(codes):
            errors.extend(
                f"{item.path}.segments[{index}]: no segment {code!r} in the file or the program"
                for index, code in enumerate(codes)
                if code not in segments
            )
        codes = item.values.get("tiers", [])
        if v.ok(codes):
            errors.extend(
                f"{item.path}.tiers[{index}]: no tier {code!r} in the file or the program"
                for index, code in enumerate(codes)
                if code not in tiers
            )


def promotion_problems(entry: dict[str, Any], *, program: Program) -> list[tuple[str, str]]:
    """The document's checks of one whole promotion in the file's shape, as (JSON key, message) pairs: every key
    of its kind is required (as for a new promotion in a file). Keys are like `rate` or `segments[1]`."""
    errors: list[str] = []
    values = v.object_values(entry, promotion_spec(program.languages), "promotions", errors)
    segments = set(Segment.objects.filter(program=program).values_list("code", flat=True))
    tiers = set(Tier.objects.filter(program=program).values_list("code", flat=True))
    check_promotions([Item("promotions", values)], segments, errors, tiers=tiers)
    return v.problems_of(errors, "promotions")
