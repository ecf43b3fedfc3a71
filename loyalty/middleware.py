"""Project-wide middleware: the request id every response carries (API, OAuth, webshop, admin)."""

from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from loyalty.core.request_id import new_request_id, set_request_id, valid_request_id


class RequestIdMiddleware:
    """Takes the caller's `X-Request-Id` when valid (1-128 of A-Z a-z 0-9 . _ : -), else makes one; it is the
    id of the error body, of the log lines and of the tasks this request enqueues, and is answered back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = valid_request_id(request.headers.get("X-Request-Id")) or new_request_id()
        request.META["loyalty.request_id"] = request_id
        # Kept until the response is closed (request_finished), so that Django's own log line of an error
        # answer, written after the middleware has returned, carries it too.
        set_request_id(request_id)
        response = self.get_response(request)
        response["X-Request-Id"] = request_id
        return response


@receiver(request_finished)
def _forget_request_id(**_: Any) -> None:
    set_request_id(None)
