"""Keeps the error envelope for errors raised outside DRF views under /api/ (404 routes, 413, 500), and the
caller's request budget in RateLimit-* headers on those answers too."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import AuthenticationFailed

from loyalty.api.authentication import ProgramTokenAuthentication
from loyalty.api.errors import error_response
from loyalty.api.throttling import CACHE_ERRORS, count_client_request

logger = logging.getLogger("loyalty.api")

MAX_BODY = 1024 * 1024
MESSAGES = {
    400: ("invalid_request", "Invalid request."),
    401: ("unauthenticated", "Authentication credentials were not provided or are invalid."),
    403: ("forbidden", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("invalid_request", "Method not allowed."),
    406: ("invalid_request", "Not acceptable."),
    413: ("invalid_request", "Request body too large (1 MiB at most)."),
    415: ("invalid_request", "Unsupported media type; send application/json."),
    429: ("rate_limited", "Too many requests."),
}


def under(request: HttpRequest, prefix: str) -> bool:
    """The path is `prefix` itself or below it (`/api/v1` as well as `/api/v1/...`)."""
    return request.path == prefix or request.path.startswith(prefix + "/")


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not under(request, "/api"):
            return self.get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return announce_budget(request, error_response(413, *MESSAGES[413]))
        response = announce_budget(request, self.get_response(request))
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and "json" not in content_type:
            code, message = MESSAGES.get(response.status_code, ("invalid_request", "Invalid request."))
            if response.status_code >= 500:
                code, message = "server_error", "An unexpected error occurred."
            new = error_response(response.status_code, code, message)
            for header in (
                "Allow",
                "Retry-After",
                "WWW-Authenticate",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ):
                if header in response:
                    new[header] = response[header]
            return new
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        # (A 413 or 500 from here goes back through __call__, which adds the budget.)
        if not under(request, "/api"):
            return None
        if isinstance(exception, RequestDataTooBig):
            return error_response(413, *MESSAGES[413])
        logger.exception("Unhandled error under /api/", exc_info=exception)
        return error_response(500, "server_error", "An unexpected error occurred.")


def announce_budget(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Every /api/v1 answer to a partner's valid token carries its budget (API.md, Conventions). The views add it
    as they count the request; an answer no view counted (no route matched, a body over the limit, an Accept the
    API cannot serve, refused before the budget) counts here and gets it."""
    if "RateLimit-Limit" in response or not under(request, "/api/v1") or response.status_code >= 500:
        return response  # (a 5xx: what failed may be the authentication itself, which is not tried again)
    try:
        found = ProgramTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return response
    if found is None:  # no Bearer token: a webshop member or an anonymous caller, who have no announced budget
        return response
    try:
        budget = count_client_request(found[0])
    except CACHE_ERRORS:
        logger.warning("Rate limit not counted: the cache does not answer", exc_info=True)
        return response
    for name, value in budget.headers().items():
        response[name] = value
    return response
