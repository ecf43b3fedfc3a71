"""Catalog endpoints: Get Client Category, JSON gifts and one gift (scope catalog:read)."""

import re

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.response import Response

from catalog import selectors
from catalog.models import GiftCategory
from catalog.selectors import CategoryTree
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.catalog_serializers import CATEGORY_PAGE, GIFT, GIFT_PAGE, category_data, gift_data
from loyalty.api.errors import invalid, not_found
from loyalty.api.members import get_member_or_404
from loyalty.api.pagination import PAGE_PARAMETERS, page_response_data, paginate_queryset
from rewards.selectors import member_balance

CATEGORY_ORDERING = ["position", "code", "id"]
GIFT_ORDERING = ["points", "sku", "id"]
# Gift points fit a 32-bit column; bigger bounds are clamped just above it (same result, no overflow).
POINTS_CEILING = 2**31

NON_NEGATIVE_INT = {"type": "integer", "minimum": 0}
LANGUAGE_PARAMS = [
    OpenApiParameter(
        "lang",
        OpenApiTypes.STR,
        description="Language of `name`/`description`, case-insensitive; a regional tag reads as its language "
        "(`fr-BE`: `fr`). One the program does not have falls back to `Accept-Language`, then to the program's "
        "default language.",
    ),
    OpenApiParameter(
        "Accept-Language",
        OpenApiTypes.STR,
        location=OpenApiParameter.HEADER,
        required=False,
        description="Used when `lang` is absent or not one of the program's languages; read in the order of its "
        "q-values (`q=0`: not wanted).",
    ),
]
GIFT_FILTER_PARAMS = [
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        description="A category code: gifts in it and in its sub-categories at any depth. "
        "A code unknown in the program (or of an inactive category) is `404 not_found` naming `category`.",
    ),
    OpenApiParameter("min_points", NON_NEGATIVE_INT, description="Inclusive lower bound."),
    OpenApiParameter("max_points", NON_NEGATIVE_INT, description="Inclusive upper bound."),
    OpenApiParameter(
        "affordable_for",
        OpenApiTypes.STR,
        description="A member id: only gifts whose points are at most the member's available balance. "
        "An unknown member is `404 not_found` naming `affordable_for`.",
    ),
]


def parse_points_bound(raw: str | None) -> int | None:
    """A non-negative integer, clamped to POINTS_CEILING; None when absent or empty; ValueError otherwise."""
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[0-9]+", raw):
        raise ValueError(raw)
    digits = raw.lstrip("0")
    return POINTS_CEILING if len(digits) > 10 else min(int(digits or "0"), POINTS_CEILING)


def read_gift_filters(request, program, tree: CategoryTree) -> dict:
    """The `GET /gifts` filters as keyword arguments of `selectors.gift_list`: 400s first, then 404s."""
    errors: dict[str, list[str]] = {}
    filters: dict = {}
    for name in ("min_points", "max_points"):
        try:
            filters[name] = parse_points_bound(request.query_params.get(name))
        except ValueError:
            errors[name] = ["Must be a non-negative integer."]
    if errors:
        raise invalid(f"{' and '.join(errors)} must be a non-negative integer.", errors)

    code = request.query_params.get("category")
    if code:
        node = tree.by_code(code)
        if node is None or not node.active:
            raise not_found(f"Category {code} not found.", "category")
        filters["category_ids"] = selectors.descendant_category_ids(tree, node.id)
    member_id = request.query_params.get("affordable_for")
    if member_id:
        member = get_member_or_404(program, member_id, field="affordable_for", segments=False)
        # The balance as of now, as GET /members/{id} shows it (pending points past available_at count).
        filters["affordable_points"] = member_balance(member=member)["available"]
    return filters


class CategoryListView(ProgramAPIView):
    etag = True
    required_scope = "catalog:read"

    @extend_schema(
        operation_id="categories_list",
        summary="Get Client Category",
        description="The active gift categories, ordered by `position`, then `code`. A category whose parent (at any "
        "level) is inactive counts as inactive and is not listed. `gift_count` counts the gifts that `GET /gifts` "
        "lists in the category and its sub-categories.",
        parameters=[*LANGUAGE_PARAMS, *PAGE_PARAMETERS],
        responses={200: CATEGORY_PAGE, **error_responses(400)},
    )
    def get(self, request):
        program = self.program
        tree = selectors.category_tree(program)
        counts = selectors.category_gift_counts(program, timezone.now(), tree)
        queryset = GiftCategory.objects.filter(program=program, id__in=tree.active_ids).only(*CATEGORY_ORDERING)
        page, next_cursor = paginate_queryset(request, queryset, CATEGORY_ORDERING)
        language = self.get_language()
        results = [
            category_data(
                tree.nodes[c.id], program=program, tree=tree, language=language, gift_count=counts.get(c.id, 0)
            )
            for c in page
        ]
        return Response(page_response_data(results, next_cursor))


class GiftListView(ProgramAPIView):
    etag = True
    required_scope = "catalog:read"

    @extend_schema(
        operation_id="gifts_list",
        summary="JSON gifts",
        description="The gifts on offer now: validated, with `valid_from <= now < valid_until` (either may be null), "
        "not in an inactive category. Out-of-stock gifts are listed with `available: false`. Ordered by `points`, "
        "then `sku`. Filters combine (AND).",
        parameters=[*GIFT_FILTER_PARAMS, *LANGUAGE_PARAMS, *PAGE_PARAMETERS],
        responses={200: GIFT_PAGE, **error_responses(400, 404)},
    )
    def get(self, request):
        program = self.program
        tree = selectors.category_tree(program)
        filters = read_gift_filters(request, program, tree)
        queryset = selectors.gift_list(program=program, now=timezone.now(), tree=tree, **filters).prefetch_related(
            "uploaded_images"
        )
        gifts, next_cursor = paginate_queryset(request, queryset, GIFT_ORDERING)
        language = self.get_language()
        absolute = request.build_absolute_uri
        results = [gift_data(g, program=program, tree=tree, language=language, absolute=absolute) for g in gifts]
        return Response(page_response_data(results, next_cursor))


class GiftDetailView(ProgramAPIView):
    etag = True
    required_scope = "catalog:read"

    @extend_schema(
        operation_id="gifts_retrieve",
        summary="One gift",
        description="The gift in the shape of `GET /gifts`. A gift that is not on offer now (not validated, outside "
        "its validity window, in an inactive category) is `404 not_found`, like an unknown sku.",
        parameters=LANGUAGE_PARAMS,
        responses={200: GIFT, **error_responses(404)},
    )
    def get(self, request, sku: str):
        program = self.program
        tree = selectors.category_tree(program)
        gift = selectors.gift_on_offer_get(program=program, sku=sku, now=timezone.now(), tree=tree)
        if gift is None:
            raise not_found(f"Gift {sku} not found.")
        language = self.get_language()
        return Response(
            gift_data(gift, program=program, tree=tree, language=language, absolute=request.build_absolute_uri)
        )
