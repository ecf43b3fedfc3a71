"""The one error envelope of the partner API: {"error": {"code", "message", "fields", "request_id"}}."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from loyalty.core.errors import DomainError, InvalidInput, NotFound
from loyalty.core.request_id import current_request_id

logger = logging.getLogger("loyalty.api")


class ApiError(exceptions.APIException):
    """A business error with its contract code (409 insufficient_points, 404 not_found, ...)."""

    def __init__(self, code: str, message: str, status_code: int = 409, fields: dict | None = None):
        self.code = code
        self.status_code = status_code
        self.fields = fields or {}
        super().__init__(detail=message, code=code)


def not_found(message: str, field: str | None = None) -> ApiError:
    fields = {field: [message]} if field else {}
    return ApiError("not_found", message, status.HTTP_404_NOT_FOUND, fields)


def invalid(message: str, fields: dict | None = None) -> ApiError:
    return ApiError("invalid_request", message, status.HTTP_400_BAD_REQUEST, fields)


def conflict(code: str, message: str) -> ApiError:
    return ApiError(code, message, status.HTTP_409_CONFLICT)


def envelope(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, "request_id": current_request_id()}}


def error_response(status_code: int, code: str, message: str, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(envelope(code, message, fields), status=status_code)


def flatten_fields(detail, prefix: str | None = None) -> dict[str, list[str]]:
    """DRF's nested error detail -> {"lines.2.quantity": ["..."]}. `prefix` None: no field named yet (errors of
    the whole body go to `non_field_errors`); a key that is the empty string is named as such."""
    out: dict[str, list[str]] = {}

    def join(part: str) -> str:
        return part if prefix is None else f"{prefix}.{part}"

    if isinstance(detail, dict):
        for key, value in detail.items():
            path = prefix if key == "non_field_errors" else join(str(key))
            for k, v in flatten_fields(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault("non_field_errors" if prefix is None else prefix, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if not item:
                    continue
                for k, v in flatten_fields(item, join(str(index))).items():
                    out.setdefault(k, []).extend(v)
    elif detail is not None:
        out.setdefault("non_field_errors" if prefix is None else prefix, []).append(str(detail))
    return out


def _summary(fields: dict[str, list[str]]) -> str:
    parts = [f"{name}: {msgs[0]}" if name != "non_field_errors" else msgs[0] for name, msgs in fields.items()]
    return "Invalid request. " + "; ".join(parts[:5]) if parts else "Invalid request."


def domain_error(exc: DomainError) -> ApiError:
    """A domain refusal as the API answers it: 400 for input only the domain could judge, else 409."""
    if isinstance(exc, InvalidInput):
        return invalid(exc.message, exc.fields)
    if isinstance(exc, NotFound):
        return ApiError("not_found", exc.message, status.HTTP_404_NOT_FOUND, exc.fields)
    return conflict(exc.code, exc.message)


def exception_handler(exc, context):
    """DRF exception handler: every error under /api/ answers the envelope, never a trace."""
    if isinstance(exc, DomainError):
        exc = domain_error(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(envelope("server_error", "An unexpected error occurred."), status=500)

    if isinstance(exc, ApiError):
        body = envelope(exc.code, str(exc.detail), exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        body = envelope("invalid_request", _summary(fields), fields)
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.status_code = 401
        body = envelope("unauthenticated", str(exc.detail))
    elif isinstance(exc, exceptions.PermissionDenied):
        body = envelope("forbidden", str(exc.detail))
    elif isinstance(exc, exceptions.NotFound):
        body = envelope("not_found", str(exc.detail))
    elif isinstance(exc, exceptions.Throttled):
        body = envelope("rate_limited", "Too many requests; retry after the delay in Retry-After.")
    elif isinstance(exc, exceptions.ParseError):
        body = envelope("invalid_request", f"Malformed request body: {exc.detail}")
    else:
        body = envelope("invalid_request", str(getattr(exc, "detail", "Invalid request.")))
    response.data = body
    return response
