"""Reads of the webshop: the member's balance, expiring points, history, catalog and redemptions."""

import datetime
from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from catalog import selectors as catalog_selectors
from catalog.selectors import CategoryNode, CategoryTree
from members.models import Member
from programs.models import Program
from rewards import selectors as rewards_selectors
from rewards.models import Redemption
from rewards.selectors import history_queryset

HISTORY_PAGE_SIZE = 20
CATALOG_PAGE_SIZE = 24
EXPIRING_SOON_DAYS = 90


def member_balance(member: Member) -> dict[str, int]:
    """{available, pending, locked, total} as of now, exactly as the API shows it."""
    return rewards_selectors.member_balance(member=member)


@dataclass(frozen=True)
class TierProgress:
    name: str | None  # the member's tier, in the shop's language; None: no tier yet
    until: datetime.datetime | None
    qualifying_points: int
    next_name: str | None  # the tier above (or the first one), None at the top
    next_threshold: int | None
    points_needed: int | None


def tier_progress(member: Member, language: str) -> TierProgress | None:
    """The member's tier and the way to the next one, for the badge and its bar; None when the program has no
    tiers."""
    program = member.program
    tiers = rewards_selectors.tiers_list(program=program)
    if not tiers:
        return None
    view = rewards_selectors.member_tier(member=member)
    if view is None:  # no tier yet: the way to the first one
        points = rewards_selectors.qualifying_points(member=member)
        first = tiers[0]
        return TierProgress(
            name=None,
            until=None,
            qualifying_points=points,
            next_name=program.text(first.name, language) or first.code,
            next_threshold=first.threshold,
            points_needed=max(0, first.threshold - points),
        )
    tier, following = view["tier"], view["next"]
    return TierProgress(
        name=program.text(tier.name, language) or tier.code,
        until=view["until"],
        qualifying_points=view["qualifying_points"],
        next_name=(program.text(following.name, language) or following.code) if following else None,
        next_threshold=following.threshold if following else None,
        points_needed=view["points_needed"],
    )


@dataclass(frozen=True)
class Expiring:
    expires_at: datetime.datetime
    points: int


def points_expiring_soon(
    member: Member, now: datetime.datetime, days: int = EXPIRING_SOON_DAYS, limit: int = 5
) -> list[Expiring]:
    """The member's points that expire within `days`, grouped by expiry moment, soonest first."""
    rows = rewards_selectors.points_expiring(member=member, now=now, until=now + datetime.timedelta(days=days))
    return [Expiring(expires_at=row["expires_at"], points=row["points"]) for row in rows.order_by("expires_at")[:limit]]


def history_page(member: Member, page_number: str | int | None) -> Page:
    """One page of the member's history, newest first by the moment things happened (a purchase posted days later
    sits at its purchase date); a page number out of range gives the nearest page."""
    queryset = history_queryset(member=member).order_by("-occurred_at", "-id")
    return Paginator(queryset, HISTORY_PAGE_SIZE).get_page(page_number)


@dataclass(frozen=True)
class CatalogCategory:
    node: CategoryNode
    depth: int
    gift_count: int


def catalog_categories(program: Program, now: datetime.datetime, tree: CategoryTree) -> list[CatalogCategory]:
    """Active categories holding gifts on offer, depth first in display order."""
    counts = catalog_selectors.category_gift_counts(program, now, tree)
    out: list[CatalogCategory] = []

    def walk(ids: list[int], depth: int) -> None:
        nodes = sorted((tree.nodes[i] for i in ids), key=lambda n: (n.position, n.code))
        for node in nodes:
            if node.active and counts.get(node.id, 0) > 0:
                out.append(CatalogCategory(node=node, depth=depth, gift_count=counts[node.id]))
                walk(tree.children.get(node.id, []), depth + 1)

    walk([n.id for n in tree.nodes.values() if n.parent_id is None or n.parent_id not in tree.nodes], 0)
    return out


def catalog_page(
    program: Program,
    now: datetime.datetime,
    tree: CategoryTree,
    category: CategoryNode | None,
    page_number: str | int | None,
) -> Page:
    """The gifts on offer (in `category` and its sub-categories), cheapest first."""
    category_ids = catalog_selectors.descendant_category_ids(tree, category.id) if category else None
    queryset = (
        catalog_selectors.gift_list(program=program, now=now, tree=tree, category_ids=category_ids)
        .prefetch_related("uploaded_images")
        .order_by("points", "sku")
    )
    return Paginator(queryset, CATALOG_PAGE_SIZE).get_page(page_number)


def member_redemption(member: Member, redemption_id: int) -> Redemption | None:
    """One of the member's redemptions, with its gift and voucher; another member's is None."""
    return (
        Redemption.objects.filter(member=member, pk=redemption_id).select_related("gift", "voucher", "program").first()
    )


def redemption_by_reference(member: Member, reference: str) -> Redemption | None:
    return Redemption.objects.filter(member=member, program_id=member.program_id, reference=reference).first()


def recent_redemptions(member: Member, limit: int = 3) -> list[Redemption]:
    return list(
        Redemption.objects.filter(member=member)
        .select_related("gift", "voucher", "program")
        .order_by("-created_at", "-id")[:limit]
    )
