"""Program as code, export side: the whole program as the document `program_import` reads.

Every key is written explicitly (nulls included) and lists are sorted by code (tiers by threshold, lowest
first, as the API lists them; notification texts by kind, then language, in the orders the program and the
project declare them), so that export -> import -> export gives the same document.
"""

import datetime
import zoneinfo
from decimal import Decimal
from typing import Any

from catalog.models import Gift, GiftCategory
from members.models import Segment
from programs.models import EventType, Program, Tier
from rewards.document import NOTIFICATION_KINDS
from rewards.models import NotificationSettings, NotificationText, Promotion


def _decimal(value: Decimal | None) -> str | None:
    # "1.0000" in the database is "1" in the file: the shortest exact form.
    if value is None:
        return None
    return format(value.normalize(), "f")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _texts(texts: dict, languages: list[str]) -> dict[str, str]:
    """The program's languages in their configured order, whatever order the database kept."""
    ordered = {language: texts[language] for language in languages if language in texts}
    return ordered | {language: texts[language] for language in sorted(texts) if language not in ordered}


def program_export(*, program: Program) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(program.timezone)
    languages = list(program.languages)

    def when(value: datetime.datetime | None) -> str | None:
        return value.astimezone(zone).isoformat() if value else None

    categories = list(GiftCategory.objects.filter(program=program).order_by("code"))
    category_codes = {category.pk: category.code for category in categories}
    segments = list(Segment.objects.filter(program=program).order_by("code"))
    promotions = list(
        Promotion.objects.filter(program=program)
        .order_by("code")
        .prefetch_related("segments", "tiers")  # one query each for all
    )
    return {
        "code": program.code,
        "name": program.name,
        "currency": program.currency,
        "languages": languages,
        "default_language": program.default_language,
        "timezone": program.timezone,
        "points": {
            "expiry_months": program.expiry_months,
            "pending_days": program.pending_days,
            "allow_negative_balance": program.allow_negative_balance,
            "tier_window_months": program.tier_window_months,
        },
        "tiers": [
            {"code": t.code, "name": _texts(t.name, languages), "threshold": t.threshold}
            for t in Tier.objects.filter(program=program).order_by("threshold")
        ],
        "segments": [{"code": s.code, "name": _texts(s.name, languages)} for s in segments],
        "categories": [
            {
                "code": c.code,
                "name": _texts(c.name, languages),
                "parent": category_codes.get(c.parent_id) if c.parent_id else None,
                "active": c.active,
                "position": c.position,
            }
            for c in categories
        ],
        "gifts": [
            {
                "sku": g.sku,
                "category": category_codes.get(g.category_id) if g.category_id else None,
                "type": g.type,
                "points": g.points,
                "value": _money(g.value),
                "stock": g.stock,
                "validated": g.validated,
                "valid_from": when(g.valid_from),
                "valid_until": when(g.valid_until),
                "images": list(g.images),
                "name": _texts(g.name, languages),
                "description": _texts(g.description, languages),
                "voucher_valid_days": g.voucher_valid_days,
            }
            for g in Gift.objects.filter(program=program).order_by("sku")
        ],
        "event_types": [
            {
                "code": e.code,
                "name": _texts(e.name, languages),
                "points": e.points,
                "limits": {"per_day": e.per_day_limit, "lifetime": e.lifetime_limit},
                "active": e.active,
            }
            for e in EventType.objects.filter(program=program).order_by("code")
        ],
        "promotions": [_promotion(p, languages, when) for p in promotions],
        "notifications": _notifications(program, languages),
    }


def _notifications(program: Program, languages: list[str]) -> dict[str, Any]:
    """Which kinds the program sends (a program without settings: the model's defaults, which are what it sends)
    and its own texts."""
    settings = NotificationSettings.objects.filter(program=program).first() or NotificationSettings()
    kinds = {kind: index for index, kind in enumerate(NOTIFICATION_KINDS)}
    # The program's languages in their configured order, any other (a language since dropped) after, by name.
    order = {language: (index, "") for index, language in enumerate(languages)}
    texts = sorted(
        NotificationText.objects.filter(program=program),
        key=lambda t: (kinds.get(t.kind, len(kinds)), t.kind, order.get(t.language, (len(order), t.language))),
    )
    return {
        "send": {kind: settings.sends(kind) for kind in NOTIFICATION_KINDS},
        "texts": [
            {
                "kind": t.kind,
                "language": t.language,
                "subject": t.subject,
                "text_body": t.text_body,
                "html_body": t.html_body,
            }
            for t in texts
        ],
    }


def _promotion(promotion: Promotion, languages: list[str], when) -> dict[str, Any]:
    kind_values = {
        "rate": _decimal(promotion.rate),
        "points": promotion.points,
        "threshold": _money(promotion.threshold),
        "factor": _decimal(promotion.factor),
    }
    return {
        "code": promotion.code,
        "name": _texts(promotion.name, languages),
        "kind": promotion.kind,
        # Only the keys of its kind: the import refuses another kind's key.
        **{key: kind_values[key] for key in Promotion.KIND_KEYS[promotion.kind]},
        "status": promotion.status,
        "products": list(promotion.products),
        "product_categories": list(promotion.product_categories),
        "segments": sorted(segment.code for segment in promotion.segments.all()),
        "tiers": sorted(tier.code for tier in promotion.tiers.all()),
        "channels": list(promotion.channels),
        "starts_at": when(promotion.starts_at),
        "ends_at": when(promotion.ends_at),
        "min_amount": _money(promotion.min_amount),
        "max_points": promotion.max_points,
    }
