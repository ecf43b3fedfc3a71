"""Base view of /api/v1: the program comes from the token, never from the request."""

import hashlib
from typing import Any

from django.http import HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from loyalty.api.authentication import ApiCaller
from programs.models import Program

ERROR_SCHEMA = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(
                    help_text="What went wrong, for programs: `invalid_request`, `unauthenticated`, `forbidden`, "
                    "`not_found`, `rate_limited`, `server_error`, or a 409 code (`insufficient_points`, "
                    "`already_reversed`, `reversal_exceeds_earn`, `idempotency_mismatch`, `out_of_stock`, "
                    "`gift_unavailable`, `member_blocked`, `member_exists`, `invalid_transition`, `limit_reached`, "
                    "`points_limit`)."
                ),
                "message": serializers.CharField(help_text="What went wrong, for people (English)."),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    help_text="Request field (dotted path for nested ones, e.g. `lines.2.quantity`) → messages; "
                    "empty when no field is to blame.",
                ),
                "request_id": serializers.CharField(
                    allow_null=True,
                    help_text="The request's id, as in the `X-Request-Id` header and the server's logs.",
                ),
            },
            help_text="The error.",
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


RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match holds this ETag (weak comparison, as RFC 9110 asks for If-None-Match) or `*`."""
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates


def refuse_body(request: Request) -> None:
    """An endpoint that defines no body field: nothing, or `{}`; any key is unknown (strict bodies)."""
    data = request.data
    if not isinstance(data, dict):
        raise serializers.ValidationError({"non_field_errors": ["Expected no body or an empty JSON object."]})
    if data:
        raise serializers.ValidationError({key: ["Unknown field."] for key in data})


class ProgramAPIView(APIView):
    """Every /api/v1 view: the program from the token, the budget in RateLimit-* headers, and for `etag` views
    an ETag of the exact representation with 304 answers to a matching If-None-Match."""

    required_scope: str | None = None
    etag = False
    takes_body = True  # False: a POST or PUT that reads no body accepts none, or {} (a DELETE never takes one)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF's order but the budget before the scope check: a request refused 403 still counts and still
        # answers its budget. Without a valid token (none, or a bad one), the request counts against its
        # caller address's budget instead.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        try:
            self.perform_authentication(request)
        except exceptions.AuthenticationFailed:
            # A bad token counts against its caller address's budget: 429 instead of 401 once past it.
            self.check_throttles(request)
            raise
        self.check_throttles(request)
        self.check_permissions(request)
        # No DELETE of the API defines a body: a key sent with one is unknown like any other (strict bodies). A
        # method the view does not have is left to DRF's 405.
        if hasattr(self, (request.method or "").lower()) and (
            request.method == "DELETE" or (not self.takes_body and request.method in ("POST", "PUT", "PATCH"))
        ):
            refuse_body(request)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        budget = getattr(request, "rate_budget", None)
        if budget is not None:
            for name, value in budget.headers().items():
                response[name] = value
        if self.etag and request.method in ("GET", "HEAD") and response.status_code == 200:
            response = self._conditional(request, response)
        return response

    def _conditional(self, request: Request, response: Any) -> Any:
        response.render()
        digest = hashlib.sha256(f"{self.program.pk}:{self.get_language()}:".encode() + response.content)
        etag = f'"{digest.hexdigest()[:32]}"'
        response["ETag"] = etag
        patch_vary_headers(response, ("Accept-Language", "Authorization"))
        if etag_matches(request.headers.get("If-None-Match"), etag):
            not_modified = HttpResponseNotModified()
            for name in ("ETag", "Vary", *RATE_HEADERS):
                if name in response:
                    not_modified[name] = response[name]
            return not_modified
        return response

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
