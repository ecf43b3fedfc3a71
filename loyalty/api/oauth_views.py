"""The /oauth/ endpoints: token, revocation and introspection, behind the failed-authentication limits.

Failed client authentications are counted per client_id (from any address) and per caller address (for any
client), within any window of the limit's length (OAUTH_CLIENT_AUTH_FAILURE_LIMIT, 10 a minute, sliding): once
either is past the limit, the endpoint answers `429` with `Retry-After` and `{"error": "rate_limited", ...}`,
before it looks at the credentials, so even the right secret is refused until enough failures are older than that. A failure is an answer 401
(`invalid_client`: unknown client, wrong secret, revoked client). Both counters are in Django's cache, so they
hold across every process and host with Redis.

Introspection (RFC 7662) answers only about the caller's own tokens: a token of another client, of this
program or another, is `{"active": false}`, like an unknown one.
"""

import base64
import binascii
import hashlib
from typing import Any
from urllib.parse import unquote_plus, urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as oauth_views
from oauth2_provider.models import AccessToken
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import Request as OauthlibRequest  # type: ignore[import-untyped]

from loyalty.api.throttling import AuthFailureLimit, caller_address
from programs.tokens import checksum_of, forget_token


def presented_client_ids(request: HttpRequest) -> list[str]:
    """The client_ids the request authenticates as: from HTTP Basic and from the form, as the validator reads
    them (it tries Basic, then the form). Both are charged when the authentication fails."""
    ids = []
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials.strip(), validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        if ":" in decoded:
            ids.append(unquote_plus(decoded.split(":", 1)[0]))
    form_id = request.POST.get("client_id")
    if form_id:
        ids.append(form_id)
    return ids


def rate_limited(retry_after: int) -> JsonResponse:
    response = JsonResponse(
        {
            "error": "rate_limited",
            "error_description": "Too many failed client authentications from this client or address; "
            f"retry in {retry_after} s.",
        },
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class FailedAuthenticationLimit:
    """Refuses a POST with 429 while its client_id or address is past its failures; counts a 401 as one.

    The counts are read before the credentials are checked and a failure is added after: a burst of concurrent
    attempts may pass the check together, so a window may see as many extra failures as requests were in flight
    at its limit (each still costs one HMAC, and the next request is refused).
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        limit = AuthFailureLimit.from_settings()
        client_ids = presented_client_ids(request)
        address = caller_address(request)
        retry_after = limit.retry_after(client_ids, address)
        if retry_after is not None:
            return rate_limited(retry_after)
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == 401:
            limit.record_failure(client_ids, address)
        return response


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(FailedAuthenticationLimit, oauth_views.TokenView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # django-oauth-toolkit's own post() sends device-code requests elsewhere; here every grant goes to the
        # server, which knows client credentials only (`unsupported_grant_type` otherwise).
        return self.authorization_flow_token_response(request)


@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(FailedAuthenticationLimit, oauth_views.RevokeTokenView):
    """RFC 7009: django-oauth-toolkit revokes only the caller's own tokens (another's: 200, nothing done)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        token = request.POST.get("token")
        if response.status_code == 200 and token:
            forget_token(checksum_of(token))  # the API stops accepting it at once, cached or not
        return response


def introspection(*, application: Any, token: str) -> dict[str, Any]:
    """RFC 7662 answer about `token` for the client `application`: active only if it is one of its own."""
    checksum = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    access = AccessToken.objects.filter(token_checksum=checksum, application_id=application.pk).first()
    client = getattr(application, "api_client", None)
    if access is None or client is None or not client.active or not access.is_valid():
        return {"active": False}
    # The client's scopes may have been narrowed since the token was issued (as the API reads them).
    allowed = client.scope_set
    return {
        "active": True,
        "scope": " ".join(s for s in access.scope.split() if s in allowed),
        "client_id": application.client_id,
        "token_type": "Bearer",
        "exp": int(access.expires.timestamp()),
    }


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class IntrospectTokenView(FailedAuthenticationLimit, OAuthLibMixin, View):
    """RFC 7662, for an API client authenticated with its id and secret (HTTP Basic or form), about its own
    tokens only. POST `token=...`."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        core = self.get_oauthlib_core()
        oauth_request = OauthlibRequest(
            request.build_absolute_uri(), "POST", urlencode(list(request.POST.items())), core.extract_headers(request)
        )
        if not core.server.request_validator.authenticate_client(oauth_request):
            response = JsonResponse({"error": "invalid_client"}, status=401)
            response["WWW-Authenticate"] = 'Basic realm="oauth"'
            return response
        token = request.POST.get("token")
        if not token:
            return JsonResponse(
                {"error": "invalid_request", "error_description": "The token parameter is missing."}, status=400
            )
        return JsonResponse(introspection(application=oauth_request.client, token=token))
