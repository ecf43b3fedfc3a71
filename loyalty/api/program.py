from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from loyalty.api.base import ProgramAPIView, error_responses
from loyalty.api.pagination import page_response_data, paginate_list

LANGUAGE = inline_serializer(
    name="Language",
    fields={"code": serializers.CharField(), "name": serializers.CharField(), "default": serializers.BooleanField()},
)
LANGUAGES = serializers.ListField(child=LANGUAGE)
PROGRAM = inline_serializer(
    name="Program",
    fields={
        "code": serializers.CharField(),
        "name": serializers.CharField(),
        "currency": serializers.CharField(),
        "default_language": serializers.CharField(),
        "languages": serializers.ListField(child=serializers.CharField()),
        "timezone": serializers.CharField(),
        "points": inline_serializer(
            name="PointsSettings",
            fields={
                "expiry_months": serializers.IntegerField(allow_null=True),
                "pending_days": serializers.IntegerField(),
                "allow_negative_balance": serializers.BooleanField(),
            },
        ),
    },
)


class ProgramView(ProgramAPIView):
    required_scope = "program:read"

    @extend_schema(summary="Program details", responses={200: PROGRAM, **error_responses()})
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
                },
            }
        )


class LanguagesView(ProgramAPIView):
    required_scope = "program:read"

    @extend_schema(
        summary="Languages API",
        description="The languages the program is configured in; each `name` is written in that language.",
        responses={
            200: inline_serializer(
                name="LanguagePage", fields={"results": LANGUAGES, "next": serializers.CharField(allow_null=True)}
            ),
            **error_responses(400),
        },
    )
    def get(self, request):
        page, next_cursor = paginate_list(request, self.program.language_list(), key=lambda lang: lang["code"])
        return Response(page_response_data(page, next_cursor))
