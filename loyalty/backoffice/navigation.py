"""The back office's navigation by job (unfold's sidebar), its header and the index page's cards.

Unfold calls these with the request (settings `UNFOLD`, by dotted path): each link is listed only when the user may
use it, so a fulfilment clerk sees redemptions and the catalog, a program manager their programs' tools, a
superuser everything. Pages another module adds later (the promotion calendar) are linked only once their URL
exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from loyalty.backoffice.scope import staff_program_names


@dataclass(frozen=True)
class Link:
    title: str
    icon: str
    url: str


def _model_perm(app_label: str, model: str, action: str = "view") -> Callable[[HttpRequest], bool]:
    return lambda request: request.user.has_perm(f"{app_label}.{action}_{model}")


def _changelist(request: HttpRequest, label: str, title: str, icon: str, url_name: str = "") -> Link | None:
    app_label, model = label.split(".")
    if not _model_perm(app_label, model)(request):
        return None
    return _link(title, icon, url_name or f"admin:{app_label}_{model}_changelist")


def _link(title: str, icon: str, url_name: str) -> Link | None:
    try:
        return Link(title, icon, reverse(url_name))
    except NoReverseMatch:  # a page not installed (yet): no link rather than a crash
        return None


def _has_programs(request: HttpRequest) -> bool:
    return request.user.is_superuser or bool(staff_program_names(request))


def groups(request: HttpRequest) -> list[tuple[str, str, list[Link]]]:
    """(title, icon, links) per job, only the links the user may use; empty groups left out."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return []
    promotions = [
        _changelist(request, "rewards.promotion", _("Promotions"), "campaign"),
        _link(_("Calendar"), "calendar_month", "admin:rewards_promotion_calendar")
        if user.has_perm("rewards.view_promotion")
        else None,
    ]
    members = [
        _changelist(request, "members.member", _("Members"), "group"),
        _changelist(request, "members.segment", _("Segments"), "groups"),
    ]
    catalog = [
        _changelist(request, "catalog.gift", _("Gifts"), "redeem"),
        _changelist(request, "catalog.giftcategory", _("Categories"), "category"),
    ]
    redemptions = [_changelist(request, "rewards.redemption", _("Redemptions"), "local_shipping")]
    reports = [
        _link(_("Dashboard"), "monitoring", "admin-dashboard") if _has_programs(request) else None,
        _changelist(request, "rewards.ledgerentry", _("Ledger"), "receipt_long"),
        _changelist(request, "admin.logentry", _("Audit log"), "history"),
    ]
    settings_links = [
        _changelist(request, "programs.program", _("Programs"), "loyalty"),
        _changelist(request, "programs.apiclient", _("API clients"), "key"),
        _changelist(request, "programs.eventtype", _("Event types"), "bolt"),
        _changelist(request, "programs.webhooksubscription", _("Webhooks"), "webhook"),
        _changelist(request, "programs.webhookdelivery", _("Webhook deliveries"), "outbox"),
        _changelist(request, "auth.user", _("Staff users"), "person"),
        _changelist(request, "auth.group", _("Staff groups"), "admin_panel_settings"),
    ]
    found = [
        (_("Promotions"), "campaign", promotions),
        (_("Members & segments"), "group", members),
        (_("Catalog"), "redeem", catalog),
        (_("Redemptions"), "local_shipping", redemptions),
        (_("Reports"), "monitoring", reports),
        (_("Settings"), "settings", settings_links),
    ]
    return [(title, icon, [link for link in links if link]) for title, icon, links in found if any(links)]


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    """UNFOLD["SIDEBAR"]["navigation"]: the groups above in unfold's shape."""
    return [
        {
            "title": title,
            "separator": True,
            "collapsible": False,
            "items": [{"title": link.title, "icon": link.icon, "link": link.url} for link in links],
        }
        for title, _icon, links in groups(request)
    ]


def site_header(request: HttpRequest) -> str:
    return settings.BACKOFFICE_TITLE


def site_subheader(request: HttpRequest) -> str | None:
    """A user who works on one program sees its name under the title; others see none."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_superuser:
        return None
    names = list(staff_program_names(request).values())
    return names[0] if len(names) == 1 else None


def show_all_applications(request: HttpRequest) -> bool:
    """The full model list (ledger internals, balances…) only for superusers."""
    return bool(request.user.is_superuser)
