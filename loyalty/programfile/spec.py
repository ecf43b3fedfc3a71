"""The program document's format (program as code, API.md): its sections, each described by the domain app that
owns it (`<app>/document.py`). Shared by the import (which validates with it) and the export (same keys)."""

from django.db import models

from catalog.document import category_spec, gift_spec
from catalog.models import Gift, GiftCategory
from loyalty.core.values import Spec
from members.document import segment_spec
from members.models import Segment
from programs.document import PROGRAM_SPEC, event_type_spec, tier_spec
from programs.models import EventType, Tier
from rewards.document import promotion_spec
from rewards.models import Promotion


def document_specs(languages: list[str] | None) -> dict[str, Spec]:
    """Every section's keys; texts are checked against `languages` when they are known (None: they are not)."""
    return {
        "program": PROGRAM_SPEC,
        "tiers": tier_spec(languages),
        "segments": segment_spec(languages),
        "categories": category_spec(languages),
        "gifts": gift_spec(languages),
        "event_types": event_type_spec(languages),
        "promotions": promotion_spec(languages),
    }


SECTIONS = {
    "tiers": "code",
    "segments": "code",
    "categories": "code",
    "gifts": "sku",
    "event_types": "code",
    "promotions": "code",
}
REQUIRED_ON_CREATE = {"tiers": ("threshold",), "gifts": ("points",), "event_types": ("points",)}
MODELS: dict[str, type[models.Model]] = {
    "tiers": Tier,
    "segments": Segment,
    "categories": GiftCategory,
    "gifts": Gift,
    "event_types": EventType,
    "promotions": Promotion,
}
