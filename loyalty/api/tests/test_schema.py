"""The OpenAPI schema: generated without a warning, valid OpenAPI 3.1, and saying what clients need
(nullable objects, enums, bounds, headers, consistent operation ids); served with its readers, no CDN."""

import json
import re

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "put", "post", "patch", "delete")
ETAG_OPERATIONS = {
    "program_retrieve",
    "languages_list",
    "tiers_list",
    "categories_list",
    "gifts_list",
    "gifts_retrieve",
    "promotions_list",
}
IDEMPOTENT_WRITES = {
    "transactions_earn",
    "transactions_reverse",
    "events_create",
    "redemptions_create",
    "points_locks_create",
    "points_transfers_create",
    "members_adjustments_create",
    "members_merge_create",
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict) -> dict[str, tuple[str, str, dict]]:
    return {
        operation["operationId"]: (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"] == "3.1.0"


def test_null_is_a_type_not_a_flag(schema):
    text = json.dumps(schema)
    assert '"nullable"' not in text
    voucher = schema["components"]["schemas"]["RedemptionOutput"]["properties"]["voucher"]
    assert {"type": "null"} in voucher["oneOf"]
    assert schema["components"]["schemas"]["EarnOutput"]["properties"]["expires_at"]["type"] == ["string", "null"]


def test_closed_sets_are_named_enums(schema):
    schemas = schema["components"]["schemas"]
    for name in (
        "MemberStatusEnum",
        "EarnStatusEnum",
        "EventStatusEnum",
        "LockStatusEnum",
        "RedemptionStatusEnum",
        "VoucherStatusEnum",
        "GiftTypeEnum",
        "PromotionKindEnum",
        "HistoryTypeEnum",
        "HistoryStatusEnum",
        "NotAppliedReasonEnum",
        "CountryEnum",
    ):
        assert schemas[name]["enum"], name
    assert schemas["VoucherStatusEnum"]["enum"] == ["pending", "issued", "used", "void", "expired"]
    history = operations(schema)["members_transactions_list"][2]
    (kind,) = [p for p in history["parameters"] if p["name"] == "type"]
    assert kind["schema"] == {"$ref": "#/components/schemas/HistoryTypeEnum"}


def test_every_field_and_parameter_is_described(schema):
    undescribed = [
        f"{name}.{key}"
        for name, component in schema["components"]["schemas"].items()
        for key, field in component.get("properties", {}).items()
        if not field.get("description")
    ]
    undescribed += [
        f"{operation_id} {parameter['name']}"
        for operation_id, (_, _, operation) in operations(schema).items()
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    undescribed += [op for op, (_, _, operation) in operations(schema).items() if not operation.get("description")]
    assert undescribed == []


def test_bounds_and_patterns_of_the_contract(schema):
    schemas = schema["components"]["schemas"]
    earn = schemas["EarnInputRequest"]["properties"]
    assert earn["reference"]["pattern"] == r"^[A-Za-z0-9._:-]{1,64}$"
    assert earn["currency"]["pattern"] == "^[A-Z]{3}$"
    assert (earn["lines"]["minItems"], earn["lines"]["maxItems"]) == (1, 500)
    line = schemas["BasketLineInputRequest"]["properties"]
    assert (line["quantity"]["minimum"], line["quantity"]["type"]) == (1, "integer")
    assert re.fullmatch(line["unit_price"]["pattern"], "12.50") and not re.fullmatch(
        line["unit_price"]["pattern"], "1.234"
    )
    assert re.fullmatch(schemas["Gift"]["properties"]["value"]["pattern"], "8.00")
    expires_in = schemas["LockInputRequest"]["properties"]["expires_in"]
    assert (expires_in["minimum"], expires_in["maximum"]) == (10, 604_800)
    for name in ("LockInputRequest", "TransferInputRequest", "AdjustmentInputRequest"):
        assert schemas[name]["properties"]["points"]["maximum"] == 1_000_000_000, name
    redeem = schemas["RedeemInputRequest"]["properties"]
    assert (redeem["quantity"]["minimum"], redeem["quantity"]["maximum"]) == (1, 100)
    country = schemas["DeliveryInputRequest"]["properties"]["country"]
    assert "BE" in schemas["CountryEnum"]["enum"] and "ZZ" not in schemas["CountryEnum"]["enum"]
    assert country["allOf"] == [{"$ref": "#/components/schemas/CountryEnum"}]
    bulk = schemas["BulkInputRequest"]["properties"]
    assert bulk["add"]["maxItems"] == bulk["remove"]["maxItems"] == 10_000


def test_every_list_takes_limit_and_cursor(schema):
    lists = {op: operation for op, (_, method, operation) in operations(schema).items() if op.endswith("_list")}
    assert len(lists) == 11
    for operation_id, operation in lists.items():
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}
        assert "cursor" in parameters, operation_id
        page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        assert set(schema["components"]["schemas"][page]["required"]) == {"results", "next"}


def test_operation_ids_say_what_operations_do(schema):
    for operation_id, (_, method, operation) in operations(schema).items():
        if method == "get":
            ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
            page = schema["components"]["schemas"][ok["$ref"].split("/")[-1]]
            returns_page = set(page["properties"]) == {"results", "next"}
            assert operation_id.endswith("_list" if returns_page else "_retrieve"), operation_id
        assert not operation_id.endswith("_create") or method == "post", operation_id
    (redemption_id,) = [
        p for p in operations(schema)["redemptions_retrieve"][2]["parameters"] if p["name"] == "redemption_id"
    ]
    assert redemption_id["schema"]["type"] == "integer"


def test_the_contract_headers_are_documented(schema):
    for operation_id, (_, _, operation) in operations(schema).items():
        responses = operation["responses"]
        for status, response in responses.items():
            assert "X-Request-Id" in response["headers"], (operation_id, status)
        if operation_id != "me_retrieve":
            assert "RateLimit-Remaining" in responses["200" if "200" in responses else min(responses)]["headers"]
        assert "Retry-After" in responses["429"]["headers"], operation_id
        if "requestBody" in operation:
            assert {"413", "415"} <= set(responses), operation_id
        if operation_id in ETAG_OPERATIONS:
            assert "ETag" in responses["200"]["headers"] and "304" in responses, operation_id
            assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in operation["parameters"])
        else:
            assert "304" not in responses, operation_id
        replayed = "Idempotent-Replayed" in responses.get("200", {}).get("headers", {})
        assert replayed == (operation_id in IDEMPOTENT_WRITES), operation_id
    error = schema["components"]["schemas"]["ErrorBody"]["properties"]
    assert {"code", "message", "fields", "request_id"} <= set(error)


def test_the_schema_is_served_as_a_file_in_yaml_or_json():
    client = Client()
    response = client.get("/api/schema")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="loyalty-api.yaml"'
    assert yaml.safe_load(response.content)["openapi"] == "3.1.0"
    response = client.get("/api/schema?format=json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="loyalty-api.json"'
    assert response.json()["info"]["version"] == "1.0.0"


@pytest.mark.parametrize("path", ["/api/docs", "/api/redoc"])
def test_the_docs_pages_load_nothing_from_elsewhere(path):
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"""(?:src|href)=["'](?:https?:)?//""", html) == []
    assert "/static/drf_spectacular_sidecar/" in html


def test_links_name_real_operations_and_their_path_parameters(schema):
    by_id = operations(schema)
    links = [
        (operation_id, status, name, link)
        for operation_id, (_, _, operation) in by_id.items()
        for status, response in operation["responses"].items()
        for name, link in response.get("links", {}).items()
    ]
    assert len(links) >= 15
    for operation_id, status, name, link in links:
        _, _, target = by_id[link["operationId"]]
        path_parameters = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) == path_parameters, (operation_id, status, name)
        for expression in link["parameters"].values():
            assert expression.startswith("$response.body#/"), (operation_id, name)
