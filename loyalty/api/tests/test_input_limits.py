"""Inputs that used to answer 500: each is now a 400, 404 or 409 in the envelope, and changes nothing."""

import datetime
import json

import pytest
from django.utils import timezone

from catalog.models import Gift
from programs.models import EventType
from rewards.ledger_check import ledger_differences
from rewards.models import Event, LedgerEntry, PointsBalance
from tests.factories import GiftFactory, PromotionFactory
from tests.helpers import basket, fund, line

pytestmark = pytest.mark.django_db


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


@pytest.fixture
def base(program):
    return PromotionFactory(program=program, code="BASE", kind="spend", rate="1")


@pytest.fixture
def survey(program):
    return EventType.objects.create(program=program, code="SURVEY", name={"en": "Survey"}, points=50)


def nested(depth: int) -> dict:
    """An event body whose `attributes` make the whole body `depth` levels deep (the body is level 1)."""
    value: dict = {}
    for _ in range(depth - 2):
        value = {"a": value}
    return {"reference": "EV-1", "member_id": "M-1", "event_type": "SURVEY", "attributes": value}


# --- the body itself -------------------------------------------------------------------------------------------


def test_json_nested_about_a_thousand_deep_is_400(api, member):
    raw = '{"a":' * 1000 + "1" + "}" * 1000
    refused(api.call("POST", "/api/v1/transactions/earn", raw=raw), 400, "invalid_request")


def test_json_nested_33_deep_is_400_and_32_is_read(api, member, survey):
    refused(api.post("/api/v1/events", nested(33)), 400, "invalid_request")
    assert Event.objects.count() == 0
    assert api.post("/api/v1/events", nested(32)).status_code == 202


@pytest.mark.parametrize("raw", ['{"reference": NaN}', '{"reference": Infinity}', '{"attributes": {"x": 1e999}}'])
def test_numbers_json_does_not_have_are_400(api, member, raw):
    refused(api.call("POST", "/api/v1/events", raw=raw), 400, "invalid_request")


def test_a_body_that_is_not_utf8_is_400(api, member):
    refused(api.call("POST", "/api/v1/events", raw=b'{"reference": "\xff\xfe"}'), 400, "invalid_request")


@pytest.mark.parametrize(
    "attributes, field",
    [
        ({"note": "a\x00b"}, "attributes.note"),
        ({"note": "\ud800"}, "attributes.note"),
        ({"list": ["ok", "\udfff"]}, "attributes.list.1"),
        ({"bad\x00key": 1}, "attributes"),
    ],
)
def test_nul_or_a_lone_surrogate_in_event_attributes_is_400(api, member, survey, attributes, field):
    body = {"reference": "EV-1", "member_id": "M-1", "event_type": "SURVEY", "attributes": attributes}
    # json.dumps writes a lone surrogate as the escape `\ud800`, as a partner's JSON library would.
    error = refused(api.call("POST", "/api/v1/events", raw=json.dumps(body)), 400, "invalid_request")
    assert list(error["fields"]) == [field]
    assert Event.objects.count() == 0


def test_a_lone_surrogate_in_a_choice_or_an_unknown_key_is_400(api, program, member):
    fund(member, 500)
    GiftFactory(program=program, sku="MUG", points=100)
    rid = api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"}).json()["id"]
    raw = json.dumps({"status": "\ud800"})
    refused(api.call("POST", f"/api/v1/redemptions/{rid}/status", raw=raw), 400, "invalid_request")
    raw = json.dumps({"status": "in_preparation", "\ud800": 1})
    refused(api.call("POST", f"/api/v1/redemptions/{rid}/status", raw=raw), 400, "invalid_request")


# --- paths -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", ["²", "١", "1²", "99999999999999999999", "-1"])
def test_an_id_that_is_not_plain_ascii_digits_is_404(api, program, member, rid):
    fund(member, 500)
    GiftFactory(program=program, sku="MUG", points=100)
    assert api.post("/api/v1/redemptions", {"reference": "R-1", "member_id": "M-1", "gift": "MUG"}).json()["id"]
    refused(api.get(f"/api/v1/redemptions/{rid}"), 404, "not_found")


def test_a_member_id_that_is_not_plain_ascii_is_404(api, member):
    refused(api.get("/api/v1/members/M-１"), 404, "not_found")  # a full-width digit


# --- time ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "occurred_at",
    [
        "9999-01-01T00:00:00+00:00",  # expiry used to overflow
        "0001-01-01T00:00:00+14:00",  # before UTC's first moment
        "2026-11-25T10:31:00+23:59",  # an offset no place has
        "2026-11-25T10:31:00-14:01",
        "1999-12-31T23:59:59+00:00",  # before 2000-01-01Z
    ],
)
def test_occurred_at_out_of_range_is_400(api, program, member, base, occurred_at):
    for path in ("/api/v1/transactions/earn", "/api/v1/baskets/evaluate"):
        error = refused(api.post(path, basket(occurred_at=occurred_at)), 400, "invalid_request")
        assert list(error["fields"]) == ["occurred_at"]
    assert LedgerEntry.objects.count() == 0


def test_occurred_at_more_than_a_day_ahead_is_400_but_a_little_ahead_is_posted(api, program, member, base):
    ahead = timezone.now() + datetime.timedelta(hours=25)
    refused(api.post("/api/v1/transactions/earn", basket(occurred_at=ahead.isoformat())), 400, "invalid_request")
    soon = timezone.now() + datetime.timedelta(hours=2)
    earned = api.post("/api/v1/transactions/earn", basket(occurred_at=soon.isoformat()))
    assert earned.status_code == 201, earned.content
    assert earned.json()["status"] == "posted"


def test_event_occurred_at_follows_the_same_rules(api, member, survey):
    body = {"reference": "EV-1", "member_id": "M-1", "event_type": "SURVEY"}
    for occurred_at in ("9999-01-01T00:00:00Z", "1999-01-01T00:00:00Z", "2026-01-01T00:00:00+15:00"):
        refused(api.post("/api/v1/events", {**body, "occurred_at": occurred_at}), 400, "invalid_request")
    assert api.post("/api/v1/events", {**body, "occurred_at": timezone.now().isoformat()}).status_code == 202


@pytest.mark.parametrize(
    "query, status",
    [
        ("since=9999-12-31T23:59:59-23:59", 400),  # offset beyond ±14:00
        ("since=9999-12-31T23:59:59-14:00", 200),  # past UTC's last moment: read as the end of time
        ("until=0001-01-01T00:00:00%2B14:00", 200),  # before UTC's first moment
        ("since=0001-01-01T00:00:00Z&until=9999-12-31T23:59:59Z", 200),
    ],
)
def test_history_bounds_take_any_valid_timestamp(api, member, query, status):
    fund(member, 10)
    response = api.get(f"/api/v1/members/M-1/transactions?{query}")
    assert response.status_code == status, response.content


# --- point magnitudes ------------------------------------------------------------------------------------------


def test_an_earn_whose_rules_make_over_a_billion_points_is_409_points_limit(api, member, base):
    body = basket(lines=[line(unit_price="9999999999.99", quantity=1)])
    refused(api.post("/api/v1/transactions/earn", body), 409, "points_limit")
    assert LedgerEntry.objects.count() == 0
    # Evaluating it posts nothing and answers the figure.
    assert api.post("/api/v1/baskets/evaluate", body).json()["points"] == 9_999_999_999


def test_a_member_past_two_to_the_31_keeps_earning(api, member, base):
    for _ in range(3):
        fund(member, 1_000_000_000)
    earned = api.post("/api/v1/transactions/earn", basket(lines=[line(unit_price="10.00")]))
    assert earned.status_code == 201, earned.content
    assert earned.json()["balance"]["available"] == 3_000_000_010
    assert api.get("/api/v1/members/M-1").json()["balance"]["total"] == 3_000_000_010
    assert ledger_differences() == []


def test_no_balance_goes_over_the_ceiling(api, member, base):
    PointsBalance.objects.filter(member=member).update(available=999_999_999_995)
    LedgerEntry.objects.all().delete()  # the figure above is a starting balance, not a history
    before = PointsBalance.objects.get(member=member).available
    refused(api.post("/api/v1/transactions/earn", basket(lines=[line(unit_price="10.00")])), 409, "points_limit")
    adjust = {"reference": "ADJ-1", "points": 10, "reason": "goodwill"}
    refused(api.post("/api/v1/members/M-1/adjustments", adjust), 409, "points_limit")
    assert PointsBalance.objects.get(member=member).available == before
    assert api.post("/api/v1/transactions/earn", basket(lines=[line(unit_price="5.00")])).status_code == 201


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/members/M-1/adjustments", {"reference": "A-1", "points": 1_000_000_001, "reason": "x"}),
        ("/api/v1/points/locks", {"reference": "L-1", "member_id": "M-1", "points": 1_000_000_001}),
        (
            "/api/v1/points/transfers",
            {"reference": "T-1", "from_member_id": "M-1", "to_member_id": "M-2", "points": 1_000_000_001},
        ),
    ],
)
def test_a_movement_over_a_billion_in_the_request_is_400(api, member, path, body):
    error = refused(api.post(path, body), 400, "invalid_request")
    assert "points" in error["fields"]


def test_an_event_worth_more_than_the_ceiling_allows_is_rejected_points_limit(
    api, member, survey, django_capture_on_commit_callbacks
):
    PointsBalance.objects.filter(member=member).update(available=999_999_999_990)
    LedgerEntry.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        posted = api.post("/api/v1/events", {"reference": "EV-1", "member_id": "M-1", "event_type": "SURVEY"})
    assert posted.status_code == 202
    event = api.get("/api/v1/events/EV-1").json()
    assert (event["status"], event["reason"], event["points"]) == ("rejected", "points_limit", 0)


# --- pending ---------------------------------------------------------------------------------------------------


def test_available_at_equals_occurred_at_without_pending_days(api, member, base):
    occurred_at = "2026-11-20T10:31:00+01:00"
    body = api.post("/api/v1/transactions/earn", basket(occurred_at=occurred_at)).json()
    assert body["available_at"] == "2026-11-20T09:31:00+00:00"
    assert body["status"] == "posted"


def test_available_at_is_given_when_pending_days_already_passed(api, program, member, base):
    program.pending_days = 3
    program.save(update_fields=["pending_days"])
    occurred_at = timezone.now() - datetime.timedelta(days=5)
    body = api.post("/api/v1/transactions/earn", basket(occurred_at=occurred_at.isoformat())).json()
    assert body["status"] == "posted"
    assert body["available_at"] == (occurred_at + datetime.timedelta(days=3)).astimezone(datetime.UTC).isoformat()


def test_gift_points_and_quantity_beyond_32_bits_redeem(api, program, member):
    GiftFactory(program=program, sku="BIG", type=Gift.DIGITAL, points=2_000_000_000)
    for _ in range(5):
        fund(member, 1_000_000_000)
    body = {"reference": "R-BIG", "member_id": "M-1", "gift": "BIG", "quantity": 2}
    redeemed = api.post("/api/v1/redemptions", body)
    assert redeemed.status_code == 201, redeemed.content
    assert redeemed.json()["points"] == 4_000_000_000
    assert ledger_differences() == []


@pytest.mark.parametrize("amount", ["١٢.٥٠", " 12.50", "12.50 ", "12,50", "+12.50", "12.50\n"])
def test_money_is_plain_ascii_digits(api, member, base, amount):
    error = refused(
        api.post("/api/v1/baskets/evaluate", basket(lines=[line(unit_price=amount)])), 400, "invalid_request"
    )
    assert list(error["fields"]) == ["lines.0.unit_price"]


@pytest.mark.parametrize(
    "value, status", [("true", 200), ("1", 200), ("false", 200), ("0", 200), ("yes", 400), ("x", 400)]
)
def test_explain_is_a_boolean(api, member, base, value, status):
    response = api.post(f"/api/v1/baskets/evaluate?explain={value}", basket())
    assert response.status_code == status, response.content
    assert ("not_applied" in response.json()) is (value in ("true", "1"))


@pytest.mark.parametrize("query", ["limit=", "limit=5&limit=6", "limit=+5", "limit=٥", "limit=0", "limit=201"])
def test_a_limit_that_is_not_one_number_from_1_to_200_is_400(api, query):
    error = refused(api.get(f"/api/v1/segments?{query}"), 400, "invalid_request")
    assert list(error["fields"]) == ["limit"]


def test_an_empty_key_is_named_too(api, member):
    body = {"reference": "L-1", "member_id": "M-1", "points": 5, "": 1}
    error = refused(api.post("/api/v1/points/locks", body), 400, "invalid_request")
    assert error["fields"] == {"": ["Unknown field."]}


# A trailing newline is not one of the characters an id may hold (`$` alone would have let it through).


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("/api/v1/transactions/earn", basket(reference="E-1\n"), "reference"),
        ("/api/v1/transactions/earn", basket(reference="E-2", lines=[line(amount="10.00\n")]), "lines.0.amount"),
        ("/api/v1/members/M-1/adjustments", {"reference": "A-1\n", "points": 1, "reason": "x"}, "reference"),
        ("/api/v1/points/locks", {"reference": "L-1\n", "member_id": "M-1", "points": 1}, "reference"),
        ("/api/v1/members", {"member_id": "N-1\n"}, "member_id"),
    ],
)
def test_a_trailing_newline_in_an_id_or_money_is_400(api, member, base, path, body, field):
    fund(member, 10)
    before = (LedgerEntry.objects.count(), PointsBalance.objects.count())
    error = refused(api.post(path, body), 400, "invalid_request")
    assert list(error["fields"]) == [field]
    assert (LedgerEntry.objects.count(), PointsBalance.objects.count()) == before


def test_a_request_id_with_a_trailing_newline_is_replaced(api):
    response = api.get("/api/v1/program", HTTP_X_REQUEST_ID="till-1\n")
    assert response.status_code == 200
    assert response["X-Request-Id"] not in ("till-1\n", "till-1")


def test_a_timestamp_with_a_trailing_newline_is_400(api, member, base):
    error = refused(
        api.post("/api/v1/transactions/earn", basket(occurred_at="2026-11-25T10:31:00+01:00\n")), 400, "invalid_request"
    )
    assert list(error["fields"]) == ["occurred_at"]
    error = refused(api.get("/api/v1/members/M-1/transactions?since=2026-11-25T10:31:00Z%0A"), 400, "invalid_request")
    assert list(error["fields"]) == ["since"]
    assert LedgerEntry.objects.count() == 0
