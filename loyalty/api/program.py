from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.pagination import PAGE_PARAMETERS, page_response_data, page_schema, paginate_list
from loyalty.api.schema import CurrencyField
from rewards.selectors import tiers_list

LANGUAGE = inline_serializer(
    name="Language",
    fields={
        "code": serializers.CharField(help_text="The language code, e.g. `fr`."),
        "name": serializers.CharField(help_text="The language's name, written in that language (`Français`)."),
        "default": serializers.BooleanField(help_text="True for the program's default language."),
    },
)
LANGUAGE_PAGE = page_schema("LanguagePage", LANGUAGE)
TIER = inline_serializer(
    name="Tier",
    fields={
        "code": serializers.CharField(help_text="The tier's code, e.g. `GOLD`."),
        "name": serializers.CharField(help_text="Its name, in the request's language."),
        "threshold": serializers.IntegerField(min_value=0, help_text="The qualifying points it needs."),
        "position": serializers.IntegerField(min_value=1, help_text="1 for the lowest tier."),
    },
)
TIER_PAGE = page_schema("TierPage", TIER)
PROGRAM = inline_serializer(
    name="Program",
    fields={
        "code": serializers.CharField(help_text="The program's code."),
        "name": serializers.CharField(help_text="The program's name."),
        "currency": CurrencyField(help_text="The currency of every money amount of the program (ISO 4217)."),
        "default_language": serializers.CharField(
            help_text="The language that texts fall back to when they are missing in the requested one."
        ),
        "languages": serializers.ListField(
            child=serializers.CharField(), help_text="The codes of the languages the program is configured in."
        ),
        "timezone": serializers.CharField(
            help_text="IANA time zone (e.g. `Europe/Brussels`): the calendar day of per-day event limits."
        ),
        "points": inline_serializer(
            name="PointsSettings",
            fields={
                "expiry_months": serializers.IntegerField(
                    allow_null=True,
                    min_value=1,
                    help_text="Earned points expire this many calendar months after `occurred_at`; null: never.",
                ),
                "pending_days": serializers.IntegerField(
                    min_value=0, help_text="Earned points stay pending this many days after `occurred_at`."
                ),
                "allow_negative_balance": serializers.BooleanField(
                    help_text="Whether a reversal may take the available balance below zero."
                ),
                "tier_window_months": serializers.IntegerField(
                    min_value=1,
                    help_text="Qualifying points for tiers are those earned in this many calendar months; a tier "
                    "reached is kept at least this long.",
                ),
            },
            help_text="The program's points rules.",
        ),
    },
)


class ProgramView(ProgramAPIView):
    etag = True
    required_scope = "program:read"

    @extend_schema(
        operation_id="program_retrieve",
        summary="Program details",
        description="The caller's program (the token's): its currency, languages, time zone and points rules.",
        responses={200: PROGRAM, **error_responses()},
    )
    def get(self, request):
        p = self.program
        return Response(
            {
                "code": p.code,
                "name": p.name,
                "currency": p.currency,
                "default_language": p.default_language,
                "languages": list(p.languages),
                "timezone": p.timezone,
                "points": {
                    "expiry_months": p.expiry_months,
                    "pending_days": p.pending_days,
                    "allow_negative_balance": p.allow_negative_balance,
                    "tier_window_months": p.tier_window_months,
                },
            }
        )


class LanguagesView(ProgramAPIView):
    etag = True
    required_scope = "program:read"

    @extend_schema(
        operation_id="languages_list",
        summary="Languages API",
        description="The languages the program is configured in, in the program's order; each `name` is written "
        "in that language.",
        parameters=PAGE_PARAMETERS,
        responses={200: LANGUAGE_PAGE, **error_responses(400)},
    )
    def get(self, request):
        page, next_cursor = paginate_list(request, self.program.language_list(), key=lambda lang: lang["code"])
        return Response(page_response_data(page, next_cursor))


class TiersView(ProgramAPIView):
    etag = True
    required_scope = "program:read"

    @extend_schema(
        operation_id="tiers_list",
        summary="Tiers",
        description="The program's tiers (status levels), lowest first. A member's tier is the highest whose "
        "`threshold` their qualifying points reach: points earned through earns and rewarded events in the last "
        "`tier_window_months` months, less reversals. Upgrades are immediate; a tier is kept at least "
        "`tier_window_months` months, then a daily assessment decides.",
        parameters=PAGE_PARAMETERS,
        responses={200: TIER_PAGE, **error_responses(400)},
    )
    def get(self, request):
        language = self.get_language()
        program = self.program
        tiers = [
            {
                "code": tier.code,
                "name": program.text(tier.name, language) or tier.code,
                "threshold": tier.threshold,
                "position": tier.position,
            }
            for tier in tiers_list(program=program)
        ]
        page, next_cursor = paginate_list(request, tiers, key=lambda tier: tier["code"])
        return Response(page_response_data(page, next_cursor))
