"""Promotion Segment Mapping and promotional products per customer."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from loyalty.api import enums
from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.errors import not_found
from loyalty.api.members import get_member_or_404
from loyalty.api.pagination import PAGE_PARAMETERS, page_response_data, page_schema, paginate_list
from loyalty.api.segments import get_segment_or_404
from rewards.engine import Rule
from rewards.models import Promotion
from rewards.rules import live_rules, live_ruleset, rule_from_promotion
from rewards.services.earning import member_segment_codes, member_tier_id
from rewards.services.promotions import promotion_segment_link, promotion_segment_unlink

PROMOTION = inline_serializer(
    name="LivePromotion",
    fields={
        "code": serializers.CharField(help_text="The promotion's code."),
        "name": serializers.CharField(help_text="In the requested language, else the program's default language."),
        "kind": serializers.ChoiceField(
            choices=enums.PROMOTION_KINDS,
            help_text="`spend` (points per 1.00 spent), `quantity` (points per unit), `basket` (points once over a "
            "threshold) or `multiplier` (multiplies what `spend` promotions gave).",
        ),
        "starts_at": serializers.DateTimeField(allow_null=True, help_text="Start (inclusive); null: no start."),
        "ends_at": serializers.DateTimeField(allow_null=True, help_text="End (exclusive); null: no end."),
        "segments": serializers.ListField(
            child=serializers.CharField(),
            help_text="Segment codes: only their members qualify; empty: every member (and guests).",
        ),
        "tiers": serializers.ListField(
            child=serializers.CharField(),
            help_text="Tier codes: only members in one of these tiers qualify; empty: any tier, or none (and guests).",
        ),
        "products": serializers.ListField(
            child=serializers.CharField(),
            help_text="Eligible skus (with `product_categories`; both empty: every line).",
        ),
        "product_categories": serializers.ListField(
            child=serializers.CharField(), help_text="Eligible product category codes."
        ),
        "channels": serializers.ListField(
            child=serializers.CharField(), help_text="The channels it applies to; empty: all."
        ),
    },
)
PROMOTION_PAGE = page_schema("LivePromotionPage", PROMOTION)


def is_live_now(rule: Rule, now) -> bool:
    return (
        rule.status == Promotion.LIVE
        and (rule.starts_at is None or rule.starts_at <= now)
        and (rule.ends_at is None or now < rule.ends_at)
    )


def rule_data(rule: Rule, program, language: str) -> dict:
    return {
        "code": rule.code,
        "name": program.text(rule.name, language),
        "kind": rule.kind,
        "starts_at": rule.starts_at.isoformat() if rule.starts_at else None,
        "ends_at": rule.ends_at.isoformat() if rule.ends_at else None,
        "segments": sorted(rule.segments),
        "tiers": sorted(rule.tiers),
        "products": sorted(rule.products),
        "product_categories": sorted(rule.product_categories),
        "channels": sorted(rule.channels),
    }


class LivePromotionsView(ProgramAPIView):
    etag = True
    required_scope = "points:read"

    @extend_schema(
        operation_id="promotions_list",
        summary="Live promotions",
        description="Promotions with status `live` whose dates contain now, by code.",
        parameters=PAGE_PARAMETERS,
        responses={200: PROMOTION_PAGE, **error_responses(400)},
    )
    def get(self, request):
        now = timezone.now()
        rules = sorted((r for r in live_ruleset(self.program).rules if is_live_now(r, now)), key=lambda r: r.code)
        page, next_cursor = paginate_list(request, rules, key=lambda r: r.code, sorted_by_key=True)
        language = self.get_language()
        return Response(page_response_data([rule_data(r, self.program, language) for r in page], next_cursor))


class MemberPromotionsView(ProgramAPIView):
    required_scope = "points:read"

    @extend_schema(
        operation_id="members_promotions_list",
        summary="Promotional products per customer",
        description="The live promotions that apply to this member now (by segment, tier and dates, not by "
        "channel), each with its products and product categories.",
        parameters=PAGE_PARAMETERS,
        responses={200: PROMOTION_PAGE, **error_responses(400, 404)},
    )
    def get(self, request, member_id: str):
        member = get_member_or_404(self.program, member_id)
        segments = member_segment_codes(member)
        live = live_rules(self.program)
        tier = live.tier(member_tier_id(member))
        now = timezone.now()
        rules = sorted(
            (
                r
                for r in live.ruleset.rules
                if is_live_now(r, now)
                and (not r.segments or r.segments & segments)
                and (not r.tiers or (tier is not None and tier.code in r.tiers))
            ),
            key=lambda r: r.code,
        )
        page, next_cursor = paginate_list(request, rules, key=lambda r: r.code, sorted_by_key=True)
        language = self.get_language()
        return Response(page_response_data([rule_data(r, self.program, language) for r in page], next_cursor))


class PromotionSegmentView(ProgramAPIView):
    takes_body = False
    required_scope = "segments:write"

    def _objects(self, code: str, segment_code: str):
        promotion = Promotion.objects.filter(program=self.program, code=code).select_related("program").first()
        if promotion is None:
            raise not_found(f"Promotion {code} not found.")
        return promotion, get_segment_or_404(self.program, segment_code)

    @extend_schema(
        operation_id="promotions_segments_link",
        summary="Promotion Segment Mapping: link",
        description="Restricts the promotion to members of this segment (with several segments: members of any). "
        "Takes effect on the very next evaluation. 200 whether the link existed or not.",
        request=None,
        responses={200: PROMOTION, **error_responses(404)},
    )
    def put(self, request, code: str, segment_code: str):
        promotion, segment = self._objects(code, segment_code)
        promotion_segment_link(promotion=promotion, segment=segment)
        return Response(self._data(promotion))

    @extend_schema(
        operation_id="promotions_segments_unlink",
        summary="Promotion Segment Mapping: unlink",
        description="Removes the restriction to this segment; a promotion with no segment is open to every member.",
        responses={204: None, **error_responses(404)},
    )
    def delete(self, request, code: str, segment_code: str):
        promotion, segment = self._objects(code, segment_code)
        promotion_segment_unlink(promotion=promotion, segment=segment)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _data(self, promotion: Promotion) -> dict:
        return rule_data(rule_from_promotion(promotion), self.program, self.get_language())
