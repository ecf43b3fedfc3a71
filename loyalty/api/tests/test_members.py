"""Members API: enrol, get, patch, validation in the envelope, isolation between programs."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from members.models import Member, SegmentMembership
from rewards.models import PointsBalance
from tests.factories import MemberFactory, ProgramFactory, SegmentFactory

TOMORROW = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()


def snapshot() -> tuple:
    """Everything a members request could write."""
    return (
        list(Member.objects.order_by("pk").values()),
        list(PointsBalance.objects.order_by("pk").values()),
        list(SegmentMembership.objects.order_by("pk").values()),
    )


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields", "request_id"}
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert field in error["fields"], error
        assert all(isinstance(m, str) for m in error["fields"][field])
    return error


# --- enrol ----------------------------------------------------------------------------------


def test_enrol_returns_the_member(api, program):
    body = {
        "member_id": "M-9",
        "email": "ann@example.com",
        "first_name": "Ann",
        "last_name": "Peeters",
        "language": "fr",
        "birth_date": "1990-05-04",
    }

    response = api.post("/api/v1/members", body)

    assert response.status_code == 201, response.content
    data = response.json()
    enrolled_at = parse_datetime(data.pop("enrolled_at"))
    assert enrolled_at is not None and enrolled_at.tzinfo is not None
    assert data == {
        **body,
        "status": "active",
        "balance": {"available": 0, "pending": 0, "locked": 0, "total": 0},
        "address": None,
        "notifications": {"email": True},
        "segments": [],
        "tier": None,
    }
    member = Member.objects.get(program=program, member_id="M-9")
    assert member.birth_date == datetime.date(1990, 5, 4)
    assert PointsBalance.objects.get(member=member).program == program


def test_enrol_with_only_member_id(api):
    response = api.post("/api/v1/members", {"member_id": "M-9"})

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["email"] == ""
    assert data["first_name"] == ""
    assert data["last_name"] == ""
    assert data["birth_date"] is None
    assert data["language"] == "en"


@pytest.mark.parametrize("language", [None, ""])
def test_enrol_language_defaults_to_the_programs_default(db, api_for, language):
    program = ProgramFactory(code="FRBE", languages=["nl", "fr"], default_language="fr")
    body = {"member_id": "M-9"} if language is None else {"member_id": "M-9", "language": language}

    response = api_for(program).post("/api/v1/members", body)

    assert response.status_code == 201, response.content
    assert response.json()["language"] == "fr"
    assert Member.objects.get(program=program, member_id="M-9").language == "fr"


def test_enrol_a_duplicate_is_member_exists(api, member):
    before = snapshot()

    response = api.post("/api/v1/members", {"member_id": member.member_id, "email": "new@example.com"})

    error = assert_error(response, 409, "member_exists")
    assert member.member_id in error["message"]
    assert snapshot() == before


def test_the_same_member_id_in_two_programs(api, other_api, program, other_program):
    assert api.post("/api/v1/members", {"member_id": "M-1", "first_name": "Ann"}).status_code == 201
    assert other_api.post("/api/v1/members", {"member_id": "M-1", "first_name": "Bob"}).status_code == 201

    assert api.get("/api/v1/members/M-1").json()["first_name"] == "Ann"
    assert other_api.get("/api/v1/members/M-1").json()["first_name"] == "Bob"
    assert Member.objects.filter(member_id="M-1").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"member_id": "M-9", "email": "not-an-email"}, "email"),
        ({"member_id": "M-9", "email": 5}, "email"),
        ({"member_id": "M-9", "language": "de"}, "language"),
        ({"member_id": "M-9", "language": "xx"}, "language"),
        ({"member_id": "M-9", "language": ["fr"]}, "language"),
        ({"member_id": "M-9", "birth_date": TOMORROW}, "birth_date"),
        ({"member_id": "M-9", "birth_date": "1990-13-01"}, "birth_date"),
        ({"member_id": "M-9", "birth_date": "04/05/1990"}, "birth_date"),
        ({"member_id": "M-9", "birth_date": "1990-05-04T10:00:00+01:00"}, "birth_date"),
        ({"member_id": "M-9", "birth_date": 19900504}, "birth_date"),
        ({"member_id": "M-9", "first_name": "x" * 151}, "first_name"),
        ({"member_id": "M-9", "last_name": 1}, "last_name"),
        ({"member_id": "x" * 65}, "member_id"),
        ({"member_id": "a/b"}, "member_id"),
        ({"member_id": "a b"}, "member_id"),
        ({"member_id": ""}, "member_id"),
        ({"member_id": 123}, "member_id"),
        ({"member_id": None}, "member_id"),
        ({"email": "ann@example.com"}, "member_id"),
        ({"member_id": "M-9", "nickname": "Annie"}, "nickname"),
        ({"member_id": "M-9", "balance": {"available": 100}}, "balance"),
        ({"member_id": "M-9", "status": "blocked"}, "status"),
    ],
)
def test_enrol_validation_errors(api, member, body, field):
    before = snapshot()

    response = api.post("/api/v1/members", body)

    assert_error(response, 400, "invalid_request", field)
    assert snapshot() == before


def test_enrol_member_id_of_64_characters_is_accepted(api):
    response = api.post("/api/v1/members", {"member_id": "x" * 64})
    assert response.status_code == 201, response.content


# --- get ------------------------------------------------------------------------------------


def test_get_member(api, program, member):
    member.birth_date = datetime.date(1985, 1, 2)
    member.save()
    for code in ("VIP", "ALPHA"):
        SegmentMembership.objects.create(segment=SegmentFactory(program=program, code=code), member=member)
    PointsBalance.objects.filter(member=member).update(available=120, pending=30, locked=5)

    response = api.get("/api/v1/members/M-1")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["member_id"] == "M-1"
    assert data["email"] == "m-1@example.com"
    assert data["first_name"] == "Ann"
    assert data["last_name"] == "Peeters"
    assert data["language"] == "en"
    assert data["birth_date"] == "1985-01-02"
    assert data["status"] == "active"
    assert parse_datetime(data["enrolled_at"]) == member.enrolled_at
    assert data["balance"] == {"available": 120, "pending": 30, "locked": 5, "total": 155}
    assert data["segments"] == ["ALPHA", "VIP"]


def test_get_unknown_member_is_not_found(api):
    error = assert_error(api.get("/api/v1/members/NOPE"), 404, "not_found")
    assert "NOPE" in error["message"]


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_member_id_with_nul_is_not_found(api, member, method):
    # PostgreSQL refuses NUL in a query: without a guard this was a 500 there.
    response = api.call(method, "/api/v1/members/M-1%00", {} if method == "PATCH" else None)
    assert_error(response, 404, "not_found")


def _get_queries(api, member_id: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/members/{member_id}")
    assert response.status_code == 200, response.content
    return len(queries)


def test_get_member_query_count_is_constant(api, program):
    plain = MemberFactory(program=program, member_id="PLAIN")
    rich = MemberFactory(program=program, member_id="RICH")
    for i in range(5):
        SegmentMembership.objects.create(segment=SegmentFactory(program=program, code=f"S{i}"), member=rich)

    api.get("/api/v1/program")  # the token's grant is cached from now on
    without_segments = _get_queries(api, plain.member_id)
    with_segments = _get_queries(api, rich.member_id)

    assert without_segments == with_segments
    # The program, the member with its balance, the segment codes, the program's tiers (the token costs nothing
    # once cached).
    assert with_segments == 4


# --- patch ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("email", "new@example.com", "new@example.com"),
        ("email", "", ""),
        ("email", None, ""),
        ("first_name", "Anna", "Anna"),
        ("first_name", None, ""),
        ("last_name", "Janssens", "Janssens"),
        ("last_name", "", ""),
        ("language", "nl", "nl"),
        ("language", None, "en"),
        ("birth_date", "1970-12-31", datetime.date(1970, 12, 31)),
        ("birth_date", None, None),
        ("status", "blocked", "blocked"),
        ("status", "active", "active"),
    ],
)
def test_patch_each_field(api, member, field, value, stored):
    member.language = "fr"
    member.birth_date = datetime.date(1980, 1, 1)
    member.save()
    untouched = {f: getattr(member, f) for f in ("email", "first_name", "last_name", "language", "birth_date")}
    untouched.pop(field, None)

    response = api.patch("/api/v1/members/M-1", {field: value})

    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert getattr(member, field) == stored
    for name, old in untouched.items():
        assert getattr(member, name) == old
    shown = stored.isoformat() if isinstance(stored, datetime.date) else stored
    assert response.json()[field] == shown
    assert response.json()["member_id"] == "M-1"


def test_patch_blocks_and_reactivates(api, member):
    assert api.patch("/api/v1/members/M-1", {"status": "blocked"}).json()["status"] == "blocked"
    member.refresh_from_db()
    assert member.is_blocked
    assert api.get("/api/v1/members/M-1").json()["status"] == "blocked"

    assert api.patch("/api/v1/members/M-1", {"status": "active"}).json()["status"] == "active"
    member.refresh_from_db()
    assert not member.is_blocked


def test_patch_several_fields(api, member):
    response = api.patch(
        "/api/v1/members/M-1", {"first_name": "Zoë", "last_name": "Claes", "language": "it", "status": "blocked"}
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["first_name"], data["last_name"], data["language"], data["status"]) == (
        "Zoë",
        "Claes",
        "it",
        "blocked",
    )


def test_patch_empty_body_changes_nothing(api, member):
    before = snapshot()
    response = api.patch("/api/v1/members/M-1", {})
    assert response.status_code == 200, response.content
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ["a@b.c"]}, "email"),
        ({"language": "de"}, "language"),
        ({"language": 1}, "language"),
        ({"birth_date": TOMORROW}, "birth_date"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"birth_date": 19900504}, "birth_date"),
        ({"status": "deleted"}, "status"),
        ({"status": 1}, "status"),
        ({"status": None}, "status"),
        ({"status": ["blocked"]}, "status"),
        ({"first_name": "x" * 151}, "first_name"),
        ({"member_id": "M-2"}, "member_id"),
        ({"member_id": "M-1"}, "member_id"),
        ({"balance": {"available": 1000}}, "balance"),
        ({"segments": ["VIP"]}, "segments"),
        ({"enrolled_at": "2020-01-01T00:00:00Z"}, "enrolled_at"),
        ({"nickname": "Annie"}, "nickname"),
        ({"first_name": "Anna", "balance": {"available": 1000}}, "balance"),
    ],
)
def test_patch_validation_errors(api, member, body, field):
    before = snapshot()

    response = api.patch("/api/v1/members/M-1", body)

    assert_error(response, 400, "invalid_request", field)
    assert snapshot() == before


@pytest.mark.parametrize("field", ["member_id", "balance", "segments"])
def test_patch_read_only_fields_say_so(api, member, field):
    error = assert_error(api.patch("/api/v1/members/M-1", {field: "x"}), 400, "invalid_request", field)
    assert "read-only" in error["fields"][field][0]


def test_patch_unknown_member_is_not_found(api):
    assert_error(api.patch("/api/v1/members/NOPE", {"first_name": "X"}), 404, "not_found")


# --- bodies that are not a JSON object ------------------------------------------------------

NOT_OBJECTS = ["[]", '["member_id"]', '"M-9"', "1", "null", "true"]


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/members"), ("PATCH", "/api/v1/members/M-1")])
@pytest.mark.parametrize("raw", NOT_OBJECTS)
def test_json_that_is_not_an_object(api, member, method, path, raw):
    before = snapshot()
    assert_error(api.call(method, path, raw=raw), 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/members"), ("PATCH", "/api/v1/members/M-1")])
@pytest.mark.parametrize("raw", ['{"member_id": ', "{'member_id': 'M-9'}", "member_id=M-9", "\xff"])
def test_malformed_json(api, member, method, path, raw):
    before = snapshot()
    assert_error(api.call(method, path, raw=raw), 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/v1/members"), ("PATCH", "/api/v1/members/M-1")])
@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/x-www-form-urlencoded", "member_id=M-9&first_name=X"),
        ("text/plain", '{"member_id": "M-9", "first_name": "X"}'),
        ("application/xml", "<member><member_id>M-9</member_id></member>"),
    ],
)
def test_non_json_content_type_is_415(api, member, method, path, content_type, raw):
    before = snapshot()
    response = api.call(method, path, raw=raw, content_type=content_type)
    assert_error(response, 415, "invalid_request")
    assert snapshot() == before


# --- isolation ------------------------------------------------------------------------------


def test_another_programs_member_is_not_found_exactly_like_an_unknown_id(api_for, other_api, member):
    empty_program = ProgramFactory(code="EMPTY")
    unknown = api_for(empty_program)

    # One request id for both, so that the whole bodies can be compared.
    same = {"HTTP_X_REQUEST_ID": "probe-1"}
    foreign_get = other_api.get("/api/v1/members/M-1", **same)
    unknown_get = unknown.get("/api/v1/members/M-1", **same)
    assert foreign_get.status_code == unknown_get.status_code == 404
    assert foreign_get.content == unknown_get.content
    assert_error(foreign_get, 404, "not_found")

    before = snapshot()
    foreign_patch = other_api.patch("/api/v1/members/M-1", {"first_name": "Mallory", "status": "blocked"}, **same)
    unknown_patch = unknown.patch("/api/v1/members/M-1", {"first_name": "Mallory", "status": "blocked"}, **same)
    assert foreign_patch.status_code == unknown_patch.status_code == 404
    assert foreign_patch.content == unknown_patch.content
    assert snapshot() == before


def test_another_programs_member_invalid_patch_is_still_not_found(other_api, member):
    # Validation must not run before the member is found: a 400 would reveal that M-1 exists.
    assert_error(other_api.patch("/api/v1/members/M-1", {"balance": 5}), 404, "not_found")
