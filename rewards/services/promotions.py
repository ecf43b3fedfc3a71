"""Writes on promotions. Each bumps the promotion's version and the program's rule cache."""

from django.db import transaction

from members.models import Segment
from rewards.models import Promotion
from rewards.rules import promotions_changed


def _changed(promotion: Promotion) -> None:
    Promotion.objects.filter(pk=promotion.pk).update(version=promotion.version + 1)
    promotion.version += 1
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
    if promotion.status != status:
        promotion.status = status
        promotion.save(update_fields=["status", "updated_at"])
        _changed(promotion)
    return promotion
