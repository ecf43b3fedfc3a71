"""Base view of /api/v1: the program comes from the token, never from the request."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.views import APIView

from loyalty.api.authentication import ApiCaller
from programs.models import Program

ERROR_SCHEMA = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
            },
        )
    },
)


def error_responses(*statuses: int) -> dict:
    """OpenAPI responses for the errors an endpoint may answer (401, 403 and 429 always)."""
    descriptions = {
        400: "invalid_request: malformed JSON, missing or ill-typed field",
        401: "unauthenticated: no, bad, expired or revoked token",
        403: "forbidden: the token lacks the endpoint's scope",
        404: "not_found: unknown in the caller's program",
        409: "a state conflict (see the code)",
        413: "invalid_request: body over 1 MiB",
        429: "rate_limited: see Retry-After",
    }
    wanted = sorted(set(statuses) | {401, 403, 429})
    return {s: OpenApiResponse(ERROR_SCHEMA, description=descriptions.get(s, "error")) for s in wanted}


class ProgramAPIView(APIView):
    required_scope: str | None = None

    @property
    def caller(self) -> ApiCaller:
        """The authenticated API client (the authentication class puts it where DRF keeps the user)."""
        user = self.request.user
        assert isinstance(user, ApiCaller)
        return user

    @property
    def program(self) -> Program:
        return self.caller.program

    def get_language(self) -> str:
        from loyalty.core.translation import pick_language

        program = self.program
        return pick_language(
            self.request.query_params.get("lang"),
            self.request.headers.get("Accept-Language"),
            program.languages,
            program.default_language,
        )
