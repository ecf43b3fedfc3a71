"""The back office's Content Security Policy: the site-wide one, widened only where the admin theme needs it.

django-unfold drives its pages with Alpine.js (standard build: expressions are evaluated, so 'unsafe-eval') and
sets a few inline styles; the member shop and the API keep the strict policy.
"""

from collections.abc import Callable

from csp.constants import UNSAFE_EVAL, UNSAFE_INLINE
from django.http import HttpRequest, HttpResponseBase

ADMIN_PREFIX = "/admin/"
ADMIN_POLICY_UPDATE = {"script-src": [UNSAFE_EVAL], "style-src": [UNSAFE_INLINE]}


class BackofficeCSPMiddleware:
    """Placed after csp.middleware.CSPMiddleware, so its mark is on the response before the header is built."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(ADMIN_PREFIX) and getattr(response, "_csp_update", None) is None:
            response._csp_update = ADMIN_POLICY_UPDATE  # type: ignore[attr-defined]
        return response
