"""The OpenAPI examples are real answers: one scenario drives every operation of /api/v1 once through the
test client with realistic data, and what it sent and got back must equal `loyalty/api/examples.json`,
which `loyalty/api/schema.py` attaches to the operations of the schema.

Volatile values (timestamps, ids, request ids, cursors, voucher codes, member credentials, ETags) are
normalised in the comparison only: the committed file keeps the real values of the run that wrote it.
When the answers change on purpose, rewrite the file and review its diff:

    UPDATE_API_EXAMPLES=1 .venv/bin/pytest loyalty/api/tests/test_schema_examples.py

Every recorded answer is also checked against the schema (status declared, body valid), so the schema
cannot drift from the server either.
"""

import datetime
import difflib
import json
import os
import re
import urllib.parse
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

from catalog.models import Gift
from conftest import ApiClient, issue_token
from loyalty.api.schema import EXAMPLES_FILE
from loyalty.api.throttling import ClientRateThrottle
from members.identification import COOKIE_NAME
from tests.factories import (
    CategoryFactory,
    EventTypeFactory,
    GiftFactory,
    MemberFactory,
    ProgramFactory,
    PromotionFactory,
    SegmentFactory,
)

# The marker makes pytest-django create the test database; the scenario itself runs once, in `recorded`.
pytestmark = pytest.mark.django_db

UPDATE_ENV = "UPDATE_API_EXAMPLES"
REGENERATE = f"{UPDATE_ENV}=1 .venv/bin/pytest loyalty/api/tests/test_schema_examples.py"
BRUSSELS = ZoneInfo("Europe/Brussels")
METHODS = ("get", "put", "post", "patch", "delete")

TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
VOUCHER_CODE_RE = re.compile(r"\b[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}\b")
LOGIN_URL_RE = re.compile(r"(/shop/login/)[A-Za-z0-9_-]+")
PATH_ID_RE = re.compile(r"/\d+(?=/|$)")
TEXT_ID_RE = re.compile(r"\b([Rr]edemption) \d+\b")  # "Refund of redemption 12 (cancelled)"
# Keys whose values differ on every run, wherever they are (a non-null value is replaced).
VOLATILE_KEYS = {
    "id": "<id>",
    "request_id": "<request-id>",
    "next": "<cursor>",
    "If-None-Match": "<etag>",
    "secret": "whsec_<secret>",
    "event_id": "msg_<event-id>",
    "transaction_id": "<id>",
}


def normalise(value: Any, key: str | None = None, parent: str | None = None) -> Any:
    """`value` with what changes from run to run replaced by placeholders."""
    if isinstance(value, dict):
        return {k: normalise(v, k, key) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, key, parent) for v in value]
    if key in VOLATILE_KEYS and value is not None:
        return VOLATILE_KEYS[key]
    if parent == "cookie" and key == "value":
        return "<member-credential>"
    if isinstance(value, str):
        if TIMESTAMP_RE.match(value):
            return "<timestamp>"
        value = VOUCHER_CODE_RE.sub("<voucher-code>", value)
        value = LOGIN_URL_RE.sub(r"\1<login-token>", value)
        value = TEXT_ID_RE.sub(r"\1 <id>", value)
        if key == "path":
            value = PATH_ID_RE.sub("/<id>", value)
    return value


class Recorder:
    """Calls the API and keeps each call as the example of its operation and status."""

    def __init__(self, schema: dict):
        self.schema = schema
        self.operations: dict[str, dict[str, dict]] = {}
        self.common: dict[str, dict] = {}
        self.routes = [
            (re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$"), method, operation)
            for path, item in schema["paths"].items()
            for method, operation in item.items()
            if method in METHODS
        ]

    def operation_id(self, method: str, path: str) -> str:
        for pattern, route_method, operation in self.routes:
            if route_method == method.lower() and pattern.match(path):
                return operation["operationId"]
        raise AssertionError(f"{method} {path} is no operation of the schema")

    def call(
        self,
        api: ApiClient,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int,
        summary: str,
        query: dict | None = None,
        headers: dict | None = None,
        common: bool = False,
        raw: str | None = None,
        content_type: str = "application/json",
        show_body: bool = True,
    ):
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()}
        response = api.call(method, url, body, raw=raw, content_type=content_type, **extra)
        assert response.status_code == status, f"{method} {url}: {response.status_code} {response.content[:500]!r}"
        request: dict[str, Any] = {"method": method, "path": path}
        if query:
            request["query"] = query
        if headers:
            request["headers"] = headers
        if content_type != "application/json":
            request["content_type"] = content_type
        if show_body and (body is not None or raw is not None):
            request["body"] = body if body is not None else raw
        example = {
            "summary": summary,
            "request": request,
            "response": {"body": response.json() if response.content else None},
        }
        key = str(status)
        operation_id = self.operation_id(method, path)
        if common:
            assert key not in self.common, f"two common examples for {key}"
            self.common[key] = {"operationId": operation_id, **example}
        else:
            examples = self.operations.setdefault(operation_id, {})
            assert key not in examples, f"two examples for {operation_id} {key}"
            examples[key] = example
        return response

    def document(self) -> dict:
        return {
            "operations": {op: dict(sorted(ex.items())) for op, ex in sorted(self.operations.items())},
            "common": dict(sorted(self.common.items())),
        }


def local(moment: datetime.datetime) -> str:
    """A timestamp as a till in Brussels sends it."""
    return moment.astimezone(BRUSSELS).replace(microsecond=0).isoformat()


def build_program():
    from programs.services import tier_save

    program = ProgramFactory(
        code="DEMO",
        name="Demo Rewards",
        languages=["en", "fr", "nl"],
        expiry_months=24,
    )
    SegmentFactory(program=program, code="VIP", name={"en": "VIP customers", "fr": "Clients VIP"})
    newsletter = SegmentFactory(
        program=program, code="NEWSLETTER", name={"en": "Newsletter subscribers", "fr": "Abonnés à la newsletter"}
    )
    PromotionFactory(program=program, code="BASE", name={"en": "1 point per euro", "fr": "1 point par euro"})
    PromotionFactory(
        program=program,
        code="COFFEE",
        kind="quantity",
        rate=None,
        points=5,
        product_categories=["coffee"],
        name={"en": "5 points per pack of coffee", "fr": "5 points par paquet de café"},
    )
    PromotionFactory(
        program=program,
        code="VIPX2",
        kind="multiplier",
        rate=None,
        factor="2",
        name={"en": "Double points for VIP customers", "fr": "Points doublés pour les clients VIP"},
    )
    PromotionFactory(
        program=program,
        code="WELCOME",
        kind="basket",
        rate=None,
        points=100,
        threshold="50.00",
        channels=["web"],
        name={"en": "100 points on a first web order over 50 EUR"},
    ).segments.add(newsletter)
    home = CategoryFactory(program=program, code="HOME", name={"en": "Home", "fr": "Maison", "nl": "Wonen"})
    kitchen = CategoryFactory(
        program=program, code="KITCHEN", parent=home, name={"en": "Kitchen", "fr": "Cuisine", "nl": "Keuken"}
    )
    vouchers = CategoryFactory(program=program, code="VOUCHERS", name={"en": "Vouchers", "fr": "Bons d'achat"})
    GiftFactory(
        program=program,
        category=kitchen,
        sku="MUG",
        points=500,
        value="8.00",
        stock=100,
        name={"en": "Stoneware mug", "fr": "Tasse en grès", "nl": "Stenen mok"},
        description={"en": "A 350 ml stoneware mug.", "fr": "Une tasse en grès de 35 cl."},
    )
    GiftFactory(
        program=program,
        category=vouchers,
        sku="V10",
        type=Gift.VOUCHER,
        points=1000,
        value="10.00",
        voucher_valid_days=90,
        name={"en": "10 EUR webshop voucher", "fr": "Bon d'achat de 10 EUR"},
        description={"en": "Valid 90 days on the webshop."},
    )
    EventTypeFactory(
        program=program, code="SURVEY", points=50, per_day_limit=1, lifetime_limit=10, name={"en": "Survey answered"}
    )
    tier_save(program=program, code="SILVER", name={"en": "Silver", "fr": "Argent", "nl": "Zilver"}, threshold=500)
    tier_save(program=program, code="GOLD", name={"en": "Gold", "fr": "Or", "nl": "Goud"}, threshold=2000)
    MemberFactory(program=program, member_id="M-1002", first_name="Luc", last_name="Janssens", language="nl")
    return program


def run_scenario(rec: Recorder) -> None:
    from django.test import TestCase  # here: at module level pytest would collect it

    program = build_program()
    api = ApiClient(issue_token(program))
    now = timezone.now()

    # Program details and languages, and a conditional GET answered 304.
    answer = rec.call(api, "GET", "/api/v1/program", status=200, summary="The caller's program")
    rec.call(
        api,
        "GET",
        "/api/v1/program",
        headers={"If-None-Match": answer["ETag"]},
        status=304,
        summary="Unchanged since the ETag sent",
    )
    rec.call(api, "GET", "/api/v1/languages", status=200, summary="The program's languages")
    rec.call(api, "GET", "/api/v1/tiers", status=200, summary="The program's tiers, lowest first")
    # Webhooks: a subscription (the only answer that shows its secret), the list, its deliveries, the end.
    hook = rec.call(
        api,
        "POST",
        "/api/v1/webhooks",
        body={
            "url": "https://crm.example.com/loyalty/hooks",
            "events": ["points.earned", "member.tier_changed", "voucher.issued"],
            "description": "CRM sync",
        },
        status=201,
        summary="Subscribed: keep the secret",
    )
    rec.call(api, "GET", "/api/v1/webhooks", status=200, summary="The caller's subscriptions, without secrets")

    # Members.
    ann = {
        "member_id": "M-1001",
        "email": "ann.peeters@example.com",
        "first_name": "Ann",
        "last_name": "Peeters",
        "language": "en",
    }
    rec.call(api, "POST", "/api/v1/members", ann, status=201, summary="A member enrolled")
    rec.call(api, "POST", "/api/v1/members", ann, status=409, summary="The member id is taken")
    rec.call(api, "GET", "/api/v1/members/M-1001", status=200, summary="A member")
    rec.call(api, "GET", "/api/v1/members/M-4040", status=404, summary="No such member in the program")
    rec.call(
        api,
        "PATCH",
        "/api/v1/members/M-1001",
        {"last_name": "Peeters-Claes", "birth_date": "1985-04-12"},
        status=200,
        summary="Profile updated",
    )
    rec.call(
        api,
        "PATCH",
        "/api/v1/members/M-1001",
        {"last_name": "Claes", "nickname": "Annie"},
        status=400,
        summary="An unknown field is refused",
    )

    # Segments and promotions.
    rec.call(api, "GET", "/api/v1/segments", status=200, summary="The program's segments")
    rec.call(api, "PUT", "/api/v1/segments/VIP/members/M-1001", status=200, summary="Member added to the segment")
    rec.call(
        api,
        "POST",
        "/api/v1/segments/NEWSLETTER/members",
        {"add": ["M-1001", "M-1002", "M-4040"], "remove": []},
        status=200,
        summary="Bulk update; unknown ids reported",
    )
    rec.call(
        api,
        "DELETE",
        "/api/v1/segments/NEWSLETTER/members/M-1002",
        status=204,
        summary="Member removed from the segment",
    )
    rec.call(api, "GET", "/api/v1/promotions", status=200, summary="Live promotions")
    rec.call(api, "PUT", "/api/v1/promotions/VIPX2/segments/VIP", status=200, summary="Promotion limited to VIP")
    rec.call(
        api,
        "DELETE",
        "/api/v1/promotions/WELCOME/segments/NEWSLETTER",
        status=204,
        summary="Promotion open to every member again",
    )
    rec.call(api, "GET", "/api/v1/members/M-1001/promotions", status=200, summary="Promotions for this member")

    # Earn and burn.
    basket = {
        "member_id": "M-1001",
        "reference": "POS-BRU01-0042",
        "occurred_at": local(now - datetime.timedelta(hours=2)),
        "channel": "store",
        "store": "BRU-01",
        "currency": "EUR",
        "lines": [
            {"line_id": "1", "sku": "COF-250", "product_category": "coffee", "quantity": 2, "unit_price": "4.50"},
            {
                "line_id": "2",
                "sku": "MUG-CER",
                "product_category": "homeware",
                "quantity": 1,
                "unit_price": "12.00",
                "amount": "10.80",
            },
        ],
    }
    rec.call(
        api,
        "POST",
        "/api/v1/baskets/evaluate",
        basket,
        query={"explain": "true"},
        status=200,
        summary="What the basket would earn, with the promotions that did not apply",
    )
    rec.call(api, "POST", "/api/v1/transactions/earn", basket, status=201, summary="Points earned")
    rec.call(api, "POST", "/api/v1/transactions/earn", basket, status=200, summary="A replay: the original answer")
    rec.call(
        api,
        "POST",
        "/api/v1/transactions/earn",
        {**basket, "lines": basket["lines"][:1]},
        status=409,
        summary="The reference was used with another body",
    )
    rec.call(
        api,
        "POST",
        "/api/v1/transactions/earn",
        {
            "member_id": "M-1001",
            "reference": "POS-BRU01-0043",
            "lines": [{"line_id": "1", "sku": "COF-250", "quantity": "2", "unit_price": 4.5}],
        },
        status=400,
        summary="Ill-typed fields, named",
    )
    rec.call(
        api,
        "POST",
        "/api/v1/transactions/POS-BRU01-0042/reversal",
        {"reference": "RET-BRU01-0007", "lines": [{"line_id": "1", "quantity": 1}]},
        status=201,
        summary="One pack of coffee returned",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        rec.call(
            api,
            "POST",
            "/api/v1/events",
            {
                "reference": "SURVEY-2026-M-1001",
                "member_id": "M-1001",
                "event_type": "SURVEY",
                "occurred_at": local(now - datetime.timedelta(minutes=30)),
                "attributes": {"survey": "satisfaction-2026", "score": 9},
            },
            status=202,
            summary="Event stored, to be rewarded",
        )
    rec.call(api, "GET", "/api/v1/events/SURVEY-2026-M-1001", status=200, summary="The event was rewarded")
    rec.call(
        api,
        "POST",
        "/api/v1/members/M-1001/adjustments",
        {"reference": "ADJ-2026-0001", "points": 2000, "reason": "Points carried over from the old loyalty card"},
        status=201,
        summary="Points added by hand",
    )

    # Redemptions and vouchers.
    delivery = {
        "name": "Ann Peeters",
        "street": "Rue Neuve 12",
        "postal_code": "1000",
        "city": "Brussels",
        "country": "BE",
        "phone": "+32 470 12 34 56",
    }
    mug = rec.call(
        api,
        "POST",
        "/api/v1/redemptions",
        {"reference": "RDM-0001", "member_id": "M-1001", "gift": "MUG", "quantity": 1, "delivery": delivery},
        status=201,
        summary="A physical gift redeemed",
    ).json()
    rec.call(
        api,
        "POST",
        "/api/v1/redemptions",
        {"reference": "RDM-0002", "member_id": "M-1002", "gift": "V10"},
        status=409,
        summary="Not enough points",
    )
    rec.call(api, "GET", f"/api/v1/redemptions/{mug['id']}", status=200, summary="A redemption")
    rec.call(
        api,
        "POST",
        f"/api/v1/redemptions/{mug['id']}/status",
        {"status": "in_preparation"},
        status=200,
        summary="The gift is being prepared",
    )
    rec.call(api, "POST", f"/api/v1/redemptions/{mug['id']}/cancel", status=200, summary="Cancelled; points refunded")
    with TestCase.captureOnCommitCallbacks(execute=True):
        api.post("/api/v1/redemptions", {"reference": "RDM-0003", "member_id": "M-1001", "gift": "V10"})
    history = api.get("/api/v1/members/M-1001/transactions?type=redemption")
    redemption_id = history.json()["results"][0]["redemption"]["id"]
    code = api.get(f"/api/v1/redemptions/{redemption_id}").json()["voucher"]["code"]
    rec.call(api, "GET", f"/api/v1/vouchers/{code}", status=200, summary="A voucher the webshop may accept")
    rec.call(
        api,
        "POST",
        f"/api/v1/vouchers/{code}/use",
        {"order_reference": "WEB-ORDER-7731"},
        status=200,
        summary="The voucher paid an order",
    )

    # Points lifecycle.
    rec.call(
        api,
        "POST",
        "/api/v1/points/locks",
        {"reference": "CHK-88231", "member_id": "M-1001", "points": 300, "expires_in": 900},
        status=201,
        summary="Points held for a checkout",
    )
    rec.call(
        api,
        "POST",
        "/api/v1/points/locks/CHK-88231/capture",
        {"points": 250},
        status=200,
        summary="250 of the 300 points burnt",
    )
    api.post("/api/v1/points/locks", {"reference": "CHK-88232", "member_id": "M-1001", "points": 100})
    rec.call(api, "POST", "/api/v1/points/locks/CHK-88232/release", status=200, summary="Checkout abandoned")
    rec.call(
        api,
        "POST",
        "/api/v1/points/transfers",
        {
            "reference": "TRF-0001",
            "from_member_id": "M-1001",
            "to_member_id": "M-1002",
            "points": 200,
            "reason": "Family pooling",
        },
        status=201,
        summary="Points moved to another member",
    )
    rec.call(api, "GET", "/api/v1/members/M-1001/expiring", status=200, summary="Points by expiry date")
    rec.call(
        api,
        "GET",
        "/api/v1/members/M-1001/transactions",
        query={"limit": 5},
        status=200,
        summary="The newest history rows, one page",
    )
    rec.call(api, "GET", "/api/v1/members/M-1001/export", status=200, summary="Everything held about the member")
    api.post("/api/v1/members", {"member_id": "M-1090", "email": "leaving@example.com"})
    rec.call(api, "DELETE", "/api/v1/members/M-1090", status=204, summary="The member's personal data erased")

    # Identification and the member's own view.
    identification = rec.call(
        api, "POST", "/api/v1/members/M-1001/identification", status=201, summary="A webshop credential"
    ).json()
    browser = ApiClient(None)
    browser.http.cookies[COOKIE_NAME] = identification["cookie"]["value"]
    rec.call(browser, "GET", "/api/v1/me", status=200, summary="The member logged in by the cookie")

    # Catalog.
    rec.call(api, "GET", "/api/v1/categories", query={"lang": "fr"}, status=200, summary="Categories, in French")
    rec.call(
        api,
        "GET",
        "/api/v1/gifts",
        query={"affordable_for": "M-1001"},
        status=200,
        summary="Gifts the member can afford",
    )
    rec.call(api, "GET", "/api/v1/gifts/MUG", status=200, summary="One gift")
    hook_id = hook.json()["id"]
    rec.call(
        api,
        "GET",
        f"/api/v1/webhooks/{hook_id}/deliveries",
        status=200,
        summary="The deliveries of the earns and the voucher above",
    )
    rec.call(api, "DELETE", f"/api/v1/webhooks/{hook_id}", status=204, summary="Unsubscribed: deliveries stop")
    # A duplicate card: its points, lots, tier and segments go to the member it is merged into.
    assert api.post("/api/v1/members", {"member_id": "M-1001-OLD"}).status_code == 201
    old_card = {"reference": "CARD-OLD-BAL", "points": 120, "reason": "Points of the old card"}
    assert api.post("/api/v1/members/M-1001-OLD/adjustments", old_card).status_code == 201
    rec.call(
        api,
        "POST",
        "/api/v1/members/M-1001/merge",
        {"reference": "MERGE-M-1001-OLD", "from_member_id": "M-1001-OLD"},
        status=201,
        summary="The old card merged into the member",
    )

    # The errors every operation may answer alike.
    rec.call(ApiClient(None), "GET", "/api/v1/program", status=401, common=True, summary="No bearer token")
    catalog_only = ApiClient(issue_token(program, "catalog:read"))
    rec.call(catalog_only, "GET", "/api/v1/program", status=403, common=True, summary="The token lacks the scope")
    rec.call(
        api,
        "POST",
        "/api/v1/members",
        raw=json.dumps({"member_id": "M-1003", "notes": "x" * (1024 * 1024)}),
        status=413,
        common=True,
        show_body=False,
        summary="The body is over 1 MiB",
    )
    rec.call(
        api,
        "POST",
        "/api/v1/members",
        raw="member_id=M-1003",
        content_type="application/x-www-form-urlencoded",
        status=415,
        common=True,
        summary="The body is not JSON",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "1/min"})
        limited = ApiClient(issue_token(program, "program:read"))
        limited.get("/api/v1/program")
        rec.call(limited, "GET", "/api/v1/program", status=429, common=True, summary="Over the request budget")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def recorded(schema, django_db_setup, django_db_blocker) -> dict:
    """The scenario's examples, run once for this module inside a transaction that is rolled back."""
    from unittest import mock

    from programs import webhooks

    rec = Recorder(schema)
    # The example receiver (crm.example.com) answers 200 without the network being asked.
    answered = webhooks.Attempt(ok=True, status_code=200, response="ok", error="")
    with django_db_blocker.unblock(), transaction.atomic(), mock.patch.object(webhooks, "post", return_value=answered):
        run_scenario(rec)
        transaction.set_rollback(True)
    return rec.document()


def test_every_operation_has_a_successful_example(schema, recorded):
    operations = {op["operationId"] for item in schema["paths"].values() for m, op in item.items() if m in METHODS}
    succeeded = {op for op, examples in recorded["operations"].items() if any(s.startswith("2") for s in examples)}
    assert operations - succeeded == set(), "operations without a successful example in the scenario"


def test_every_answer_is_declared_by_the_schema(schema, recorded):
    problems = []
    operations = {op["operationId"]: op for item in schema["paths"].values() for m, op in item.items() if m in METHODS}
    checks = [(op, status, ex) for op, examples in recorded["operations"].items() for status, ex in examples.items()]
    checks += [(ex["operationId"], status, ex) for status, ex in recorded["common"].items()]
    for operation_id, status, example in checks:
        operation = operations[operation_id]
        response = operation["responses"].get(status)
        if response is None:
            problems.append(f"{operation_id}: status {status} is not in the schema")
            continue
        body = example["response"]["body"]
        media = response.get("content", {}).get("application/json")
        if (body is None) != (media is None):
            problems.append(f"{operation_id} {status}: body {'absent' if body is None else 'present'}")
        elif body is not None:
            problems += [f"{operation_id} {status}: {e}" for e in validation_errors(schema, media["schema"], body)]
        request_body = example["request"].get("body")
        if status.startswith("2") and request_body is not None:
            request_media = operation["requestBody"]["content"]["application/json"]
            problems += [
                f"{operation_id} {status} request: {e}"
                for e in validation_errors(schema, request_media["schema"], request_body)
            ]
    assert problems == []


def validation_errors(schema: dict, part: dict, value: Any) -> list[str]:
    validator = Draft202012Validator({**part, "components": schema["components"]})
    return [f"{'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(value)]


def test_the_committed_examples_are_the_real_answers(recorded):
    committed = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8")) if EXAMPLES_FILE.exists() else {}
    if normalise(committed) == normalise(recorded):
        return
    if os.environ.get(UPDATE_ENV):
        EXAMPLES_FILE.write_text(json.dumps(recorded, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    diff = difflib.unified_diff(
        json.dumps(normalise(committed), indent=2, ensure_ascii=False).splitlines(),
        json.dumps(normalise(recorded), indent=2, ensure_ascii=False).splitlines(),
        "examples.json (committed)",
        "the server's answers",
        lineterm="",
    )
    pytest.fail(
        f"{EXAMPLES_FILE.name} differs from what the server answers now (volatile values aside):\n"
        + "\n".join(list(diff)[:200])
        + f"\n\nIf the change is intended, rewrite the file with\n    {REGENERATE}\nthen review and commit it."
    )


def test_the_schema_carries_the_examples(schema, recorded):
    """Each operation shows its recorded answers; bodies sent to succeed show as request examples."""
    with_response, with_request = set(), set()
    for item in schema["paths"].values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for response in operation["responses"].values():
                if response.get("content", {}).get("application/json", {}).get("examples"):
                    with_response.add(operation["operationId"])
            if operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("examples"):
                with_request.add(operation["operationId"])
    with_body = {
        op
        for op, examples in recorded["operations"].items()
        if any(s.startswith("2") and e["response"]["body"] is not None for s, e in examples.items())
    }
    assert with_body <= with_response
    takes_body = {
        op
        for op, examples in recorded["operations"].items()
        if any(s.startswith("2") and "body" in e["request"] for s, e in examples.items())
    }
    assert takes_body <= with_request
