"""Reads on the catalog: the category tree, the gifts on offer and their counts.

A program has few categories, so the whole tree is loaded in one query and walked in Python
(effective activity, descendants, codes); gift queries then filter on plain id lists.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from catalog.models import Gift, GiftCategory
from programs.models import Program


@dataclass(frozen=True)
class CategoryNode:
    id: int
    code: str
    name: dict
    parent_id: int | None
    position: int
    active: bool
    """Effective activity: the category and all its ancestors are active."""


@dataclass(frozen=True)
class CategoryTree:
    nodes: dict[int, CategoryNode]
    children: dict[int, list[int]] = field(default_factory=dict)

    def by_code(self, code: str) -> CategoryNode | None:
        return next((node for node in self.nodes.values() if node.code == code), None)

    def code_of(self, category_id: int | None) -> str | None:
        node = self.nodes.get(category_id) if category_id is not None else None
        return node.code if node else None

    @property
    def active_ids(self) -> set[int]:
        return {node.id for node in self.nodes.values() if node.active}

    @property
    def inactive_ids(self) -> set[int]:
        return {node.id for node in self.nodes.values() if not node.active}


def category_tree(program: Program) -> CategoryTree:
    """All the program's categories in one query, with their effective activity."""
    rows = list(
        GiftCategory.objects.filter(program=program).values_list(
            "id", "code", "name", "parent_id", "position", "active"
        )
    )
    own_active = {row[0]: row[5] for row in rows}
    parents = {row[0]: row[3] for row in rows}

    def effectively_active(category_id: int) -> bool:
        seen: set[int] = set()
        current: int | None = category_id
        while current is not None:
            if current in seen or current not in own_active:
                return False  # a parent cycle (or a dangling parent) never reaches a root: hidden
            if not own_active[current]:
                return False
            seen.add(current)
            current = parents[current]
        return True

    nodes = {
        cid: CategoryNode(
            id=cid,
            code=code,
            name=name if isinstance(name, dict) else {},
            parent_id=parent_id,
            position=position,
            active=effectively_active(cid),
        )
        for cid, code, name, parent_id, position, _ in rows
    }
    children: dict[int, list[int]] = {}
    for node in nodes.values():
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node.id)
    return CategoryTree(nodes=nodes, children=children)


def descendant_category_ids(tree: CategoryTree, category_id: int) -> set[int]:
    """The category and its sub-categories at any depth."""
    found: set[int] = set()
    stack = [category_id]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(tree.children.get(current, ()))
    return found


def offered_gifts(program: Program, now: datetime.datetime, tree: CategoryTree | None = None) -> QuerySet[Gift]:
    """The gifts on offer now: validated, inside their validity window, not in an inactive category.

    A gift without a category is on offer when the rest holds. Pass `tree` when it is already loaded
    to save its query.
    """
    tree = tree if tree is not None else category_tree(program)
    queryset = Gift.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=now),
        Q(valid_until__isnull=True) | Q(valid_until__gt=now),
        program=program,
        validated=True,
    )
    inactive = tree.inactive_ids
    if inactive:
        queryset = queryset.exclude(category_id__in=inactive)
    return queryset


def gift_is_on_offer(gift: Gift, now: datetime.datetime) -> bool:
    """The same question as `offered_gifts`, for one loaded gift: validated, inside its validity window, and in
    an active category (parents included)."""
    if not gift.validated:
        return False
    if gift.valid_from is not None and now < gift.valid_from:
        return False
    if gift.valid_until is not None and now >= gift.valid_until:
        return False
    category = gift.category
    seen: set[int] = set()
    while category is not None:
        if not category.active or category.pk in seen:
            return False  # inactive, or on a parent cycle (hidden like in `category_tree`)
        seen.add(category.pk)
        category = category.parent
    return True


def gift_on_offer_get(
    *, program: Program, sku: str, now: datetime.datetime, tree: CategoryTree | None = None
) -> Gift | None:
    """The gift when it is on offer now, with its uploaded pictures; None when unknown or not on offer."""
    return offered_gifts(program, now, tree).filter(sku=sku).prefetch_related("uploaded_images").first()


def gift_image_urls(gift: Gift) -> list[str]:
    """The gift's image URLs, then its uploaded pictures (prefetch `uploaded_images` to save a query per gift)."""
    urls = [url for url in gift.images if isinstance(url, str)] if isinstance(gift.images, list) else []
    return urls + [image.file.url for image in gift.uploaded_images.all()]


def gift_list(
    *,
    program: Program,
    now: datetime.datetime,
    tree: CategoryTree,
    category_ids: set[int] | None = None,
    min_points: int | None = None,
    max_points: int | None = None,
    affordable_points: int | None = None,
) -> QuerySet[Gift]:
    """The gifts on offer, filtered: in `category_ids`, within inclusive point bounds, at most `affordable_points`."""
    queryset = offered_gifts(program, now, tree)
    if category_ids is not None:
        queryset = queryset.filter(category_id__in=category_ids)
    if min_points is not None:
        queryset = queryset.filter(points__gte=min_points)
    if max_points is not None:
        queryset = queryset.filter(points__lte=max_points)
    if affordable_points is not None:
        queryset = queryset.filter(points__lte=affordable_points)
    return queryset


def category_gift_counts(program: Program, now: datetime.datetime, tree: CategoryTree) -> dict[int, int]:
    """For each category id: the gifts on offer in it and in its sub-categories (one query)."""
    direct = Counter(
        dict(
            offered_gifts(program, now, tree)
            .filter(category__isnull=False)
            .order_by()
            .values("category_id")
            .annotate(n=Count("id"))
            .values_list("category_id", "n")
        )
    )
    return {
        category_id: sum(direct[d] for d in descendant_category_ids(tree, category_id)) for category_id in tree.nodes
    }


@dataclass(frozen=True)
class OutlineRow:
    rank: int
    """Position in a depth-first walk: roots by program, then position and code; children likewise."""
    depth: int
    path: tuple[str, ...]
    """The codes from the root down to the category."""


def category_outline(rows: list[tuple[int, int | None, str, int, str]]) -> dict[int, OutlineRow]:
    """The tree order of categories given as (id, parent_id, program_code, position, code) rows.

    A category whose parent is missing from `rows`, or which sits on a parent cycle, is placed at the
    end at depth 0 rather than lost.
    """
    by_id = {row[0]: row for row in rows}
    children: dict[int | None, list[tuple]] = {}
    for row in rows:
        parent = row[1] if row[1] in by_id else None
        children.setdefault(parent, []).append(row)
    for siblings in children.values():
        siblings.sort(key=lambda r: (r[2], r[3], r[4], r[0]))
    outline: dict[int, OutlineRow] = {}
    stack: list[tuple[tuple[int, int | None, str, int, str], int, tuple[str, ...]]] = [
        (row, 0, ()) for row in reversed(children.get(None, []))
    ]
    while stack:
        row, depth, path = stack.pop()
        if row[0] in outline:
            continue
        here = (*path, row[4])
        outline[row[0]] = OutlineRow(rank=len(outline), depth=depth, path=here)
        stack.extend((child, depth + 1, here) for child in reversed(children.get(row[0], [])))
    for row in sorted(rows, key=lambda r: (r[2], r[3], r[4], r[0])):
        if row[0] not in outline:  # on a cycle: no root leads to it
            outline[row[0]] = OutlineRow(rank=len(outline), depth=0, path=(row[4],))
    return outline


def category_ancestor_ids(category_id: int | None, parents: dict[int, int | None]) -> list[int]:
    """The chain from `category_id` up to its root (itself first); stops at a cycle."""
    chain: list[int] = []
    current = category_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain
