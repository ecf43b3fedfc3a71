"""The admin index: what waits for someone (redemptions to send, live promotions) and the links by job.

Counts are of the user's programs only (superusers: all), one query each.
"""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from loyalty.backoffice.navigation import groups
from loyalty.backoffice.scope import scope_queryset
from members.models import Member
from rewards.models import Promotion, Redemption, RedemptionStatus

WAITING = (RedemptionStatus.EXCHANGED, RedemptionStatus.IN_PREPARATION)


def index_context(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    user = request.user
    figures = []
    if user.has_perm("rewards.view_redemption"):
        waiting = scope_queryset(request, Redemption.objects.filter(status__in=WAITING), "program").count()
        url = reverse("admin:rewards_redemption_changelist") + "?status__in=exchanged,in_preparation"
        figures.append(
            {"id": "waiting-redemptions", "label": _("Redemptions to prepare or send"), "value": waiting, "url": url}
        )
    if user.has_perm("rewards.view_promotion"):
        live = scope_queryset(request, Promotion.objects.filter(status=Promotion.LIVE), "program").count()
        url = reverse("admin:rewards_promotion_changelist") + f"?status__exact={Promotion.LIVE}"
        figures.append({"id": "live-promotions", "label": _("Live promotions"), "value": live, "url": url})
    if user.has_perm("members.view_member"):
        active = scope_queryset(request, Member.objects.filter(status=Member.ACTIVE), "program").count()
        url = reverse("admin:members_member_changelist")
        figures.append({"id": "active-members", "label": _("Active members"), "value": active, "url": url})
    return {
        **context,
        "title": _("Today in the back office"),
        "figures": figures,
        "job_groups": groups(request),
        "member_search_url": reverse("admin:members_member_changelist")
        if user.has_perm("members.view_member")
        else None,
    }
