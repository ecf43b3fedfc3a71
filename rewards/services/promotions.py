"""Writes on promotions. Each bumps the promotion's version and the program's rule cache."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F

from members.models import Segment
from programs.models import Program, Tier
from rewards.models import ALL_KIND_KEYS, KIND_KEYS, Promotion
from rewards.rules import promotions_changed

# What a promotion's definition is made of (its code and program never change once created).
DEFINITION_FIELDS = (
    "name",
    "kind",
    "status",
    "rate",
    "points",
    "threshold",
    "factor",
    "products",
    "product_categories",
    "channels",
    "starts_at",
    "ends_at",
    "min_amount",
    "max_points",
)
CODE_MAX_LENGTH: int = Promotion._meta.get_field("code").max_length or 64


class ForeignSegments(ValueError):
    """Segments of another program were given."""


def _changed(promotion: Promotion) -> None:
    """Moves the version on from what is stored (the caller's object may be stale), and reloads the rules."""
    Promotion.objects.filter(pk=promotion.pk).update(version=F("version") + 1)
    promotion.refresh_from_db(fields=["version"])
    promotions_changed(program=promotion.program)


@transaction.atomic
def promotion_segment_link(*, promotion: Promotion, segment: Segment) -> bool:
    """Restricts the promotion to members of `segment` too; True when the link is new."""
    through = Promotion.segments.through
    _, created = through.objects.get_or_create(promotion_id=promotion.pk, segment_id=segment.pk)
    if created:
        _changed(promotion)
    return created


@transaction.atomic
def promotion_segment_unlink(*, promotion: Promotion, segment: Segment) -> bool:
    through = Promotion.segments.through
    deleted, _ = through.objects.filter(promotion_id=promotion.pk, segment_id=segment.pk).delete()
    if deleted:
        _changed(promotion)
    return deleted > 0


@transaction.atomic
def promotion_set_status(*, promotion: Promotion, status: str) -> Promotion:
    """Goes live, pauses or back to draft. The row lock serialises it with editors: the stored status decides."""
    stored = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if stored.status != status:
        stored.status = status
        stored.save(update_fields=["status", "updated_at"])
        _changed(stored)
    promotion.status, promotion.version = stored.status, stored.version
    return stored


@dataclass(frozen=True)
class PromotionSaved:
    promotion: Promotion
    created: bool
    changed: list[str] = field(default_factory=list)  # definition fields that moved ("segments" included)


def _definition(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(DEFINITION_FIELDS)
    if unknown:
        raise ValueError(f"Not promotion fields: {', '.join(sorted(unknown))}.")
    definition = dict(values)
    kind = definition.get("kind")
    if kind in KIND_KEYS:
        # A promotion keeps only the keys of its kind, so one that changes kind carries no stale rule.
        definition.update({name: None for name in ALL_KIND_KEYS - KIND_KEYS[kind]})
    return definition


def _segment_ids(program: Program, segments: Iterable[Segment] | None) -> set[int] | None:
    if segments is None:
        return None
    segments = list(segments)
    foreign = [s.code for s in segments if s.program_id != program.pk]
    if foreign:
        raise ForeignSegments(f"Not segments of {program.code}: {', '.join(foreign)}.")
    return {s.pk for s in segments}


def _tier_ids(program: Program, tiers: Iterable[Tier] | None) -> set[int] | None:
    if tiers is None:
        return None
    tiers = list(tiers)
    foreign = [t.code for t in tiers if t.program_id != program.pk]
    if foreign:
        raise ForeignSegments(f"Not tiers of {program.code}: {', '.join(foreign)}.")
    return {t.pk for t in tiers}


@transaction.atomic
def promotion_create(
    *,
    program: Program,
    code: str,
    values: dict[str, Any],
    segments: Iterable[Segment] = (),
    tiers: Iterable[Tier] = (),
) -> Promotion:
    """A new promotion of `program` (its code checked unique by the caller; the database backs it)."""
    segment_ids = _segment_ids(program, segments)
    tier_ids = _tier_ids(program, tiers)
    promotion = Promotion.objects.create(program=program, code=code, **_definition(values))
    if segment_ids:
        promotion.segments.set(segment_ids)
    if tier_ids:
        promotion.tiers.set(tier_ids)
    promotions_changed(program=program)
    return promotion


@transaction.atomic
def promotion_save(
    *,
    promotion: Promotion,
    values: dict[str, Any],
    segments: Iterable[Segment] | None = None,
    tiers: Iterable[Tier] | None = None,
) -> PromotionSaved:
    """Updates a promotion's definition (and its segments, and tiers, when given).

    The version moves on, and the program's rules are reloaded everywhere, only when a value differs from the
    stored one: saving an unchanged form leaves earns' snapshots pointing at the same version.
    """
    program = promotion.program
    segment_ids = _segment_ids(program, segments)
    # The row lock serialises two editors (and an import) of one promotion: compare with what is stored now.
    stored = Promotion.objects.select_for_update().get(pk=promotion.pk)
    definition = _definition(values)
    changed = [name for name, value in definition.items() if getattr(stored, name) != value]
    current_segments = set(stored.segments.values_list("pk", flat=True))
    segments_moved = segment_ids is not None and segment_ids != current_segments
    tier_ids = _tier_ids(program, tiers)
    tiers_moved = tier_ids is not None and tier_ids != set(stored.tiers.values_list("pk", flat=True))
    if not changed and not segments_moved and not tiers_moved:
        return PromotionSaved(promotion=stored, created=False)
    for name in changed:
        setattr(stored, name, definition[name])
    stored.version += 1
    stored.save(update_fields=[*changed, "version", "updated_at"])
    if segment_ids is not None and segments_moved:
        stored.segments.set(segment_ids)
        changed.append("segments")
    if tier_ids is not None and tiers_moved:
        stored.tiers.set(tier_ids)
        changed.append("tiers")
    promotions_changed(program=program)
    return PromotionSaved(promotion=stored, created=False, changed=changed)


def _copy_code(promotion: Promotion) -> str:
    """`<code>-COPY`, then `<code>-COPY-2`, ... within the code's length; unique in the program."""
    taken = set(
        Promotion.objects.filter(program_id=promotion.program_id, code__startswith=promotion.code[:40]).values_list(
            "code", flat=True
        )
    )
    number = 1
    while True:
        suffix = "-COPY" if number == 1 else f"-COPY-{number}"
        code = promotion.code[: CODE_MAX_LENGTH - len(suffix)] + suffix
        if code not in taken:
            return code
        number += 1


@transaction.atomic
def promotion_duplicate(*, promotion: Promotion) -> Promotion:
    """A draft copy of the promotion (same definition, segments and tiers) under a new code, to edit and try out."""
    values = {name: getattr(promotion, name) for name in DEFINITION_FIELDS}
    values["status"] = Promotion.DRAFT
    return promotion_create(
        program=promotion.program,
        code=_copy_code(promotion),
        values=values,
        segments=promotion.segments.all(),
        tiers=promotion.tiers.all(),
    )


@transaction.atomic
def promotion_delete(*, promotion: Promotion) -> None:
    """Earns keep their own snapshot of the rules, so a promotion can go; the program's rules reload."""
    program = promotion.program
    promotion.delete()
    promotions_changed(program=program)


@transaction.atomic
def segment_delete(*, segment: Segment) -> None:
    """Deletes a segment; the promotions it restricted change, so their version and the program's
    rules move on in the same transaction."""
    promotion_ids = list(segment.promotions.values_list("pk", flat=True))
    segment.delete()
    if promotion_ids:
        Promotion.objects.filter(pk__in=promotion_ids).update(version=F("version") + 1)
        promotions_changed(program=segment.program)
