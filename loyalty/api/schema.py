"""OpenAPI: what drf-spectacular cannot see in the views by itself.

- The bearer token is an OAuth 2.0 client-credentials token, and each operation names the scope it needs.
- The partner's ids (references, member ids) have patterns, lists have bounds, money is a string.
- The contract's response headers (`X-Request-Id`, `RateLimit-*`, `Retry-After`, `Idempotent-Replayed`,
  `ETag`) and answers (304, 413, 415), added by `postprocess_schema` to every operation they concern.
- Request and response examples: real answers recorded by `loyalty/api/tests/test_schema_examples.py`
  into `examples.json` beside this module; that test fails when the server's answers and the file differ
  (`UPDATE_API_EXAMPLES=1` rewrites it), and `postprocess_schema` attaches them to their operations.

Imported by LoyaltyConfig.ready (the extensions register on import); the hook is named in
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].
"""

import copy
import json
import re
from pathlib import Path
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loyalty.api.fields import ClosedSerializer, StrictCharField
from members.models import MEMBER_ID_RE

EXAMPLES_FILE = Path(__file__).with_name("examples.json")

REFERENCE_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
MONEY_OUT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["12.50"]}
CURRENCY = {"type": "string", "pattern": r"^[A-Z]{3}$", "examples": ["EUR"]}


class ProgramTokenScheme(OpenApiAuthenticationExtension):
    target_class = "loyalty.api.authentication.ProgramTokenAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        from django.conf import settings

        return {
            "type": "oauth2",
            "description": "Client credentials bound to one program; the token's program scopes every call.",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth/token/", "scopes": dict(settings.API_SCOPES)}},
        }

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        method = auto_schema.method.upper()
        scope = (getattr(view, "required_scopes", None) or {}).get(method) or getattr(view, "required_scope", None)
        return {self.name: [scope] if scope else []}


class ReferenceFieldSchema(OpenApiSerializerFieldExtension):
    """A partner reference, as `ReferenceField` accepts it."""

    target_class = "loyalty.api.fields.ReferenceField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": REFERENCE_PATTERN}


class MemberIdFieldSchema(OpenApiSerializerFieldExtension):
    """The partner's member id, as `MemberIdField` accepts it."""

    target_class = "loyalty.api.member_serializers.MemberIdField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": MEMBER_ID_RE.pattern, "maxLength": 64}


class ListSerializerSchema(OpenApiSerializerFieldExtension):
    """A list of objects with its bounds (`allow_empty=False`, `min_length`, `max_length`) as minItems and
    maxItems, which drf-spectacular leaves out."""

    target_class = "rest_framework.serializers.ListSerializer"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._unwrap_list_serializer(field, direction)
        min_items = field.min_length or (0 if field.allow_empty else 1)
        if min_items:
            schema["minItems"] = min_items
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        return schema


@extend_schema_field(MONEY_OUT)
class MoneyOutputField(serializers.CharField):
    """Money as the API answers it: a decimal string with two decimals, in the program's currency."""


@extend_schema_field(CURRENCY)
class CurrencyField(StrictCharField):
    """An ISO 4217 currency code in upper case."""


# Response headers of the contract, defined once under components/headers.
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "The request's id: the caller's own `X-Request-Id` when it sent a valid one, else a new one. "
        "The same id is in an error's `error.request_id` and in the server's logs.",
        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:-]{1,128}$"},
    },
    "RateLimit-Limit": {
        "description": "The API client's request budget per window (across all the server's processes).",
        "schema": {"type": "integer", "minimum": 1},
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the current window.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "RateLimit-Reset": {
        "description": "Seconds until the window ends and the budget is whole again.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Retry-After": {
        "description": "Seconds to wait before the next request.",
        "schema": {"type": "integer", "minimum": 0},
    },
    "Idempotent-Replayed": {
        "description": "`true`: this is the original answer to an earlier request with the same `reference` and "
        "body, replayed; nothing was changed.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "ETag": {
        "description": "Identifies this exact representation (program, language and content). Send it back in "
        "`If-None-Match` to be answered `304 Not Modified` while it has not changed.",
        "schema": {"type": "string"},
    },
}
RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An `ETag` of an earlier answer: while the representation is the same, the answer is "
    "`304 Not Modified` with no body.",
    "schema": {"type": "string"},
}
STATUS_DESCRIPTIONS = {
    "200": "OK.",
    "201": "Created.",
    "202": "Accepted: stored at once, processed in the background.",
    "204": "Done; no body.",
}
REPLAY_DESCRIPTION = (
    "A replay: the same `reference` and body were sent before. The original answer (including the balance of "
    "that moment), with `Idempotent-Replayed: true`; nothing was changed."
)
NOT_MODIFIED_DESCRIPTION = "Not Modified: the representation still has the `ETag` sent in `If-None-Match`; no body."
BODY_ERRORS = {
    "413": "invalid_request: the request body is over 1 MiB.",
    "415": "invalid_request: the body is not `application/json`.",
}
# Path parameters by name, and `code` / `reference` by the path's first segment.
PATH_PARAMETERS = {
    "member_id": "The partner's member id (unique in the program).",
    "redemption_id": "The redemption's `id`, as answered when it was created.",
    "subscription_id": "The webhook subscription's `id`, as answered when it was created.",
    "segment_code": "The segment's code.",
    "sku": "The gift's sku.",
}
PATH_CODES = {
    "segments": "The segment's code.",
    "promotions": "The promotion's code.",
    "vouchers": "The voucher's code (upper or lower case).",
    "transactions": "The earn's `reference`.",
    "events": "The event's `reference`.",
    "points": "The lock's `reference`.",
}
JSON = "application/json"

# OpenAPI links: where an answer gives the id that other operations take (for readers, and for tools that
# chain calls). By (operationId, status): link name -> (target operationId, its parameters from the answer).
MEMBER = {"member_id": "$response.body#/member_id"}
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("members_create", "201"): {
        "GetMember": ("members_retrieve", MEMBER),
        "UpdateMember": ("members_partial_update", MEMBER),
        "IdentifyMember": ("members_identify", MEMBER),
        "MemberHistory": ("members_transactions_list", MEMBER),
        "MemberExpiringPoints": ("members_expiring_list", MEMBER),
        "MemberPromotions": ("members_promotions_list", MEMBER),
        "AdjustMember": ("members_adjustments_create", MEMBER),
    },
    ("transactions_earn", "201"): {
        "ReverseEarn": ("transactions_reverse", {"reference": "$response.body#/reference"}),
        "MemberHistory": ("members_transactions_list", MEMBER),
    },
    ("events_create", "202"): {"GetEvent": ("events_retrieve", {"reference": "$response.body#/reference"})},
    ("redemptions_create", "201"): {
        "GetRedemption": ("redemptions_retrieve", {"redemption_id": "$response.body#/id"}),
        "CancelRedemption": ("redemptions_cancel", {"redemption_id": "$response.body#/id"}),
        "MoveRedemption": ("redemptions_status_update", {"redemption_id": "$response.body#/id"}),
    },
    ("redemptions_retrieve", "200"): {
        "CheckVoucher": ("vouchers_retrieve", {"code": "$response.body#/voucher/code"}),
    },
    ("vouchers_retrieve", "200"): {"UseVoucher": ("vouchers_use", {"code": "$response.body#/code"})},
    ("points_locks_create", "201"): {
        "CaptureLock": ("points_locks_capture", {"reference": "$response.body#/reference"}),
        "ReleaseLock": ("points_locks_release", {"reference": "$response.body#/reference"}),
    },
    ("gifts_list", "200"): {"GetGift": ("gifts_retrieve", {"sku": "$response.body#/results/0/sku"})},
    ("segments_list", "200"): {
        "UpdateSegmentMembers": ("segments_members_bulk_update", {"code": "$response.body#/results/0/code"}),
    },
}


def postprocess_schema(result: dict, generator, request, public) -> dict:
    """Adds the contract's headers, the 304/413/415 answers, parameter descriptions and the recorded examples."""
    components = result.setdefault("components", {})
    components.setdefault("headers", {}).update(copy.deepcopy(HEADERS))
    etag_views = {
        (path, method.lower())
        for path, _, method, callback in generator.endpoints or []
        if getattr(getattr(callback, "cls", None), "etag", False)
    }
    examples = load_examples()
    named_enums = {
        frozenset(schema["enum"]): name
        for name, schema in components.get("schemas", {}).items()
        if name.endswith("Enum") and "enum" in schema
    }
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            _describe_parameters(path, operation)
            _reference_enums(operation, named_enums)
            _add_headers(operation, method, etag=(path, method) in etag_views)
            _add_examples(operation, path, examples)
            _add_links(operation)
    if examples.get("common"):
        _add_common_examples(result, examples["common"])
    _refine_components(result, generator)
    return result


def _refine_components(result: dict, generator) -> None:
    """Per serializer component:

    - a strict request body (a ClosedSerializer) refuses unknown keys: `additionalProperties: false`;
    - drf-spectacular describes a serializer by the first docstring up its classes, but a base class's
      docstring (ClosedSerializer's, say) says nothing about the body: a component keeps only its own class's.
    """
    schemas = result["components"].get("schemas", {})
    for component in generator.registry._components.values():
        if component.type != "schemas" or component.name not in schemas:
            continue
        obj = component.object
        cls = obj if isinstance(obj, type) else type(obj)
        if issubclass(cls, ClosedSerializer) and component.name.endswith("Request"):
            schemas[component.name]["additionalProperties"] = False
        if isinstance(obj, serializers.BaseSerializer | type) and not vars(cls).get("__doc__"):
            schemas[component.name].pop("description", None)


def _add_links(operation: dict) -> None:
    for (operation_id, status), links in LINKS.items():
        response = operation.get("responses", {}).get(status) if operation.get("operationId") == operation_id else None
        if response is not None:
            response["links"] = {
                name: {"operationId": target, "parameters": dict(parameters)}
                for name, (target, parameters) in links.items()
            }


def _header(name: str) -> dict:
    return {"$ref": f"#/components/headers/{name}"}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _describe_parameters(path: str, operation: dict) -> None:
    first = path.removeprefix("/api/v1/").split("/")[0]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "path" or parameter.get("description"):
            continue
        name = parameter["name"]
        description = PATH_PARAMETERS.get(name) or (PATH_CODES.get(first) if name in ("code", "reference") else None)
        if description:
            parameter["description"] = description


def _reference_enums(operation: dict, named_enums: dict[frozenset, str]) -> None:
    """A query parameter over a closed set refers to the set's enum component, like the bodies do."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        name = named_enums.get(frozenset(schema.get("enum", ())))
        if name:
            parameter["schema"] = {"$ref": f"#/components/schemas/{name}"}


def _add_headers(operation: dict, method: str, *, etag: bool) -> None:
    responses = operation.setdefault("responses", {})
    authenticated = any("oauth2" in requirement for requirement in operation.get("security", []))
    if "requestBody" in operation:
        for status, description in BODY_ERRORS.items():
            responses.setdefault(status, _error_response(description))
    if etag and method == "get":
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == IF_NONE_MATCH["name"] for p in parameters):
            parameters.append(copy.deepcopy(IF_NONE_MATCH))
        responses.setdefault("304", {"description": NOT_MODIFIED_DESCRIPTION})
    replays = method == "post" and "200" in responses and ("201" in responses or "202" in responses)
    for status, response in responses.items():
        if "$ref" in response:
            continue
        if not response.get("description"):
            response["description"] = STATUS_DESCRIPTIONS.get(status, "")
        headers = response.setdefault("headers", {})
        headers["X-Request-Id"] = _header("X-Request-Id")
        if authenticated and status != "401":
            for name in RATE_LIMIT_HEADERS:
                headers[name] = _header(name)
        if status == "429":
            headers["Retry-After"] = _header("Retry-After")
        if replays and status == "200":
            response["description"] = REPLAY_DESCRIPTION
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")
        if etag and status in ("200", "304"):
            headers["ETag"] = _header("ETag")
    operation["responses"] = dict(sorted(responses.items()))


def load_examples() -> dict:
    """The recorded examples: {"operations": {operationId: {status: example}}, "common": {status: example}}."""
    try:
        return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _path_values(template: str, path: str) -> dict[str, str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, path.split("?")[0])
    return match.groupdict() if match else {}


def _add_examples(operation: dict, path: str, examples: dict) -> None:
    recorded = examples.get("operations", {}).get(operation.get("operationId"), {})
    for status, example in recorded.items():
        request, response = example.get("request", {}), example.get("response", {})
        media = operation.get("responses", {}).get(status, {}).get("content", {}).get(JSON)
        if media is not None and response.get("body") is not None:
            media.setdefault("examples", {})[status] = {
                "summary": example["summary"],
                "description": _request_line(request),
                "value": response["body"],
            }
        if not status.startswith("2"):
            continue
        body_media = operation.get("requestBody", {}).get("content", {}).get(JSON)
        if body_media is not None and request.get("body") is not None:
            existing = body_media.setdefault("examples", {})
            if all(e["value"] != request["body"] for e in existing.values()):
                existing[status] = {"summary": example["summary"], "value": request["body"]}
        _parameter_examples(operation, path, request)
    _replay_examples(operation)


def _replay_examples(operation: dict) -> None:
    """A replay answers the original body: where no replay was recorded, the first answer's example shows."""
    responses = operation.get("responses", {})
    replay = responses.get("200", {})
    media = replay.get("content", {}).get(JSON)
    if media is None or media.get("examples") or "Idempotent-Replayed" not in replay.get("headers", {}):
        return
    for status in ("201", "202"):
        original = responses.get(status, {}).get("content", {}).get(JSON, {}).get("examples", {}).get(status)
        if original:
            media["examples"] = {"200": {**original, "summary": "A replay: the original answer"}}
            return


def _parameter_examples(operation: dict, template: str, request: dict) -> None:
    values = dict(_path_values(template, request.get("path", "")))
    values.update(request.get("query", {}))
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        if parameter["in"] not in ("path", "query") or name not in values or "example" in parameter:
            continue
        value: Any = values[name]
        kind = parameter.get("schema", {}).get("type")
        if kind == "integer":
            value = int(value)
        elif kind == "boolean":
            value = str(value).lower() in ("1", "true", "yes")
        parameter["example"] = value


def _request_line(request: dict) -> str:
    line = f"`{request.get('method', '')} {request.get('path', '')}`"
    if request.get("query"):
        line = line[:-1] + "?" + "&".join(f"{k}={v}" for k, v in request["query"].items()) + "`"
    if request.get("body") is not None:
        line += " with\n\n```json\n" + json.dumps(request["body"], indent=2, ensure_ascii=False) + "\n```"
    return "Answer to " + line


def _add_common_examples(result: dict, common: dict) -> None:
    """The errors that every operation may answer alike (401, 403, 413, 415, 429): one shared example each."""
    shared = result["components"].setdefault("examples", {})
    for status, example in sorted(common.items()):
        name = f"Error{status}"
        shared[name] = {
            "summary": example["summary"],
            "description": _request_line(example.get("request", {})),
            "value": example["response"]["body"],
        }
        for item in result.get("paths", {}).values():
            for operation in item.values():
                media = operation.get("responses", {}).get(status, {}).get("content", {}).get(JSON)
                if media is not None:
                    media.setdefault("examples", {}).setdefault(status, {"$ref": f"#/components/examples/{name}"})
