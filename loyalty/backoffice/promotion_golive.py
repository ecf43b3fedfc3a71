"""Going live, with a confirmation: what the promotion does to a typical basket, and whom it reaches.

The "Go live" action and the button of the change page lead here. GET shows, for each promotion, the basket
preview (`promotion_trial.basket_preview`) of a typical recent basket and how many members its segments and
tiers reach; it changes nothing. Only the confirmation's POST moves the status, through `promotion_set_status`.

The typical basket is the median one, by amount, of the program's latest earns (`SAMPLE`, newest first along
the (program, created_at) index); for a promotion limited to products or categories, the median of those with
a line it covers, when there is one — its effect on a basket it never touches says little.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.backoffice import labels
from loyalty.backoffice.promotion_preview import result_rows
from loyalty.backoffice.promotion_trial import basket_preview
from members.models import Member
from members.selectors import member_get
from rewards.engine import Line
from rewards.models import Earn, Promotion
from rewards.services.earning import Basket
from rewards.services.promotions import promotion_set_status

SAMPLE = 1000
WINDOW_DAYS = 90
MOVABLE = (Promotion.DRAFT, Promotion.PAUSED)


@dataclass(frozen=True)
class TypicalBasket:
    lines: tuple[Line, ...]
    channel: str
    reference: str  # the earn it was taken from
    amount: Decimal
    covered: bool  # taken among the earns with a line the promotion covers
    sample: int  # earns it is the median of


@dataclass(frozen=True)
class Reach:
    segments: list[tuple[str, int]]  # (code, members)
    tiers: list[tuple[str, int]]
    members: int  # active members it applies to (all: the promotion is not limited)
    total: int  # active members of the program
    limited: bool


def _covers(promotion: Promotion, lines: list[dict]) -> bool:
    products, categories = set(promotion.products), set(promotion.product_categories)
    return any(line.get("sku") in products or line.get("product_category") in categories for line in lines)


def _median(rows: list[tuple[str, str, list[dict], Decimal]]) -> tuple[str, str, list[dict], Decimal]:
    ordered = sorted(rows, key=lambda row: (row[3], row[0]))
    return ordered[(len(ordered) - 1) // 2]


def typical_basket(promotion: Promotion, *, now: datetime.datetime | None = None) -> TypicalBasket | None:
    """The median recent basket (see the module docstring); None when the program has no recent earn."""
    since = (now or timezone.now()) - datetime.timedelta(days=WINDOW_DAYS)
    recent = (
        Earn.objects.filter(program_id=promotion.program_id, created_at__gte=since)
        .order_by("-created_at")
        .values_list("reference", "channel", "lines")[:SAMPLE]
    )
    rows = [
        (ref, channel, lines, sum((Decimal(x["amount"]) for x in lines), Decimal(0))) for ref, channel, lines in recent
    ]
    if not rows:
        return None
    covered: list[tuple[str, str, list[dict], Decimal]] = []
    if promotion.products or promotion.product_categories:
        covered = [row for row in rows if _covers(promotion, row[2])]
    chosen = covered or rows
    reference, channel, lines, amount = _median(chosen)
    return TypicalBasket(
        lines=tuple(
            Line(
                line_id=str(x["line_id"]),
                sku=x["sku"],
                product_category=x.get("product_category"),
                quantity=int(x["quantity"]),
                amount=Decimal(x["amount"]),
            )
            for x in lines
        ),
        channel=channel,
        reference=reference,
        amount=amount,
        covered=bool(covered),
        sample=len(chosen),
    )


def _reached(promotion: Promotion) -> QuerySet[Member]:
    members = Member.objects.filter(program_id=promotion.program_id, status=Member.ACTIVE)
    segment_ids = [s.pk for s in promotion.segments.all()]
    tier_ids = [t.pk for t in promotion.tiers.all()]
    if segment_ids:
        members = members.filter(segments__in=segment_ids)
    if tier_ids:
        members = members.filter(balance__tier_id__in=tier_ids)
    return members.distinct()


def promotion_reach(promotion: Promotion) -> Reach:
    """How many active members the promotion's segments and tiers reach (members of any segment, in any tier)."""
    active = Member.objects.filter(program_id=promotion.program_id, status=Member.ACTIVE)
    segments = [
        (segment.code, active.filter(segments=segment).count()) for segment in promotion.segments.order_by("code")
    ]
    tiers = [(tier.code, active.filter(balance__tier=tier).count()) for tier in promotion.tiers.order_by("threshold")]
    total = active.count()
    limited = bool(segments or tiers)
    return Reach(
        segments=segments,
        tiers=tiers,
        members=_reached(promotion).count() if limited else total,
        total=total,
        limited=limited,
    )


def _preview_member(promotion: Promotion) -> Member | None:
    """A member the promotion reaches, for a limited promotion (a guest gets none of them); else a guest."""
    if not (promotion.segments.exists() or promotion.tiers.exists()):
        return None
    first = _reached(promotion).order_by("pk").values_list("member_id", flat=True).first()
    return member_get(program=promotion.program, member_id=first) if first else None


def _moment(promotion: Promotion) -> datetime.datetime:
    """Now, or its start when it starts later: the preview shows what it will do once it runs."""
    now = timezone.now().replace(microsecond=0)
    return max(now, promotion.starts_at) if promotion.starts_at else now


def go_live_check(promotion: Promotion) -> dict[str, Any]:
    basket = typical_basket(promotion)
    member = _preview_member(promotion)
    result = None
    occurred_at = _moment(promotion)
    if basket is not None:
        evaluation = basket_preview(
            promotion=promotion,
            basket=Basket(lines=basket.lines, occurred_at=occurred_at, channel=basket.channel or None),
            member=member,
        )
        result = result_rows(promotion, evaluation, list(basket.lines))
    return {
        "promotion": promotion,
        "name": promotion.program.text(promotion.name),
        "movable": promotion.status in MOVABLE,
        "kind_label": labels.label(labels.PROMOTION_KIND, promotion.kind),
        "status_label": labels.label(labels.PROMOTION_STATUS, promotion.status),
        "basket": basket,
        "result": result,
        "member": member,
        "occurred_at": occurred_at,
        "reach": promotion_reach(promotion),
    }


def go_live_page(model_admin: ModelAdmin, request: HttpRequest, promotions: list[Promotion]) -> HttpResponse:
    """GET: the confirmation (reads only). POST: the promotions go live (those that may), then the list."""
    for promotion in promotions:
        if not model_admin.has_change_permission(request, promotion):
            raise PermissionDenied
    changelist = reverse("admin:rewards_promotion_changelist")
    if request.method == "POST":
        moved, skipped = [], []
        for promotion in promotions:
            before = promotion.status
            if before not in MOVABLE:
                skipped.append(promotion.code)
                continue
            promotion_set_status(promotion=promotion, status=Promotion.LIVE)
            model_admin.log_change(request, promotion, f"Status {before} → live (version {promotion.version}).")
            moved.append(promotion.code)
        if moved:
            live = labels.label(labels.PROMOTION_STATUS, Promotion.LIVE)
            model_admin.message_user(request, f"{live}: {', '.join(moved)}.", messages.SUCCESS)
        if skipped:
            left = _("Left as they were: %(codes)s.") % {"codes": ", ".join(skipped)}
            model_admin.message_user(request, left, messages.WARNING)
        return HttpResponseRedirect(changelist)
    checks = []
    for promotion in promotions:
        with timezone.override(zoneinfo.ZoneInfo(promotion.program.timezone)):
            check = go_live_check(promotion)
            check["timezone_name"] = promotion.program.timezone
            check["occurred_label"] = timezone.localtime(check["occurred_at"]).strftime("%Y-%m-%d %H:%M")
        checks.append(check)
    single = promotions[0] if len(promotions) == 1 else None
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": single,
        "title": _("Go live: %(code)s") % {"code": single.code}
        if single
        else _("Go live: %(count)s promotions") % {"count": len(promotions)},
        "subtitle": None,
        "checks": checks,
        "ids": ",".join(str(p.pk) for p in promotions),
        "any_movable": any(c["movable"] for c in checks),
        "cancel_url": reverse("admin:rewards_promotion_change", args=[single.pk]) if single else changelist,
    }
    return TemplateResponse(request, "admin/rewards/promotion/go_live.html", context)
