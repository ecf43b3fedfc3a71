"""GET /api/v1/program and the Languages API."""

import base64
import json

import pytest

from tests.factories import ProgramFactory


def assert_invalid(response, field: str):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert field in error["fields"]
    return error


def test_program_details(api, program):
    program.expiry_months = 24
    program.pending_days = 14
    program.allow_negative_balance = True
    program.save()

    response = api.get("/api/v1/program")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "code": "DEMO",
        "name": "Demo Rewards",
        "currency": "EUR",
        "default_language": "en",
        "languages": ["en", "fr", "nl", "it"],
        "timezone": "Europe/Brussels",
        "points": {"expiry_months": 24, "pending_days": 14, "allow_negative_balance": True, "tier_window_months": 12},
    }


def test_program_details_are_the_callers_program(api, other_api, program, other_program):
    assert api.get("/api/v1/program").json()["code"] == "DEMO"
    assert other_api.get("/api/v1/program").json()["code"] == "OTHER"


def test_languages_are_named_in_their_own_language(api):
    response = api.get("/api/v1/languages")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "results": [
            {"code": "en", "name": "English", "default": True},
            {"code": "fr", "name": "Français", "default": False},
            {"code": "nl", "name": "Nederlands", "default": False},
            {"code": "it", "name": "Italiano", "default": False},
        ],
        "next": None,
    }


def test_languages_flag_the_programs_default(db, api_for):
    program = ProgramFactory(code="FRBE", languages=["nl", "fr", "de"], default_language="fr")

    results = api_for(program).get("/api/v1/languages").json()["results"]

    assert [(r["code"], r["name"], r["default"]) for r in results] == [
        ("nl", "Nederlands", False),
        ("fr", "Français", True),
        ("de", "Deutsch", False),
    ]


def test_languages_pagination_follows_next_cursors(api):
    codes, cursor, pages = [], None, 0
    while True:
        path = "/api/v1/languages?limit=1" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(path)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) == 1
        codes += [r["code"] for r in body["results"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
        assert pages < 10

    assert codes == ["en", "fr", "nl", "it"]
    assert pages == 4


def test_languages_page_of_two(api):
    first = api.get("/api/v1/languages?limit=2").json()
    second = api.get(f"/api/v1/languages?limit=2&cursor={first['next']}").json()

    assert [r["code"] for r in first["results"]] == ["en", "fr"]
    assert [r["code"] for r in second["results"]] == ["nl", "it"]
    assert second["next"] is None


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "1.5", "%20"])
def test_languages_limit_out_of_range_is_invalid(api, limit):
    assert_invalid(api.get(f"/api/v1/languages?limit={limit}"), "limit")


@pytest.mark.parametrize("limit", ["1", "200"])
def test_languages_limit_bounds_are_accepted(api, limit):
    assert api.get(f"/api/v1/languages?limit={limit}").status_code == 200


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "x",
        "%FF%FE",
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        _cursor("en"),
        _cursor(["zz"]),
        _cursor(["en", "fr"]),
        _cursor([True]),
        _cursor([None]),
        _cursor([{"dt": "not a date"}]),
        _cursor(["en\u0000"]),
    ],
)
def test_languages_garbage_cursor_is_invalid(api, cursor):
    assert_invalid(api.get(f"/api/v1/languages?cursor={cursor}"), "cursor")


def test_keyset_cursor_with_nul_is_invalid(program, rf):
    # PostgreSQL refuses NUL in a query: a crafted cursor must be a 400, not a 500.
    from rest_framework.request import Request

    from loyalty.api.errors import ApiError
    from loyalty.api.pagination import paginate_queryset
    from members.models import Member

    request = Request(rf.get("/api/v1/anything", {"cursor": _cursor(["M-\u0000"])}))

    with pytest.raises(ApiError) as raised:
        paginate_queryset(request, Member.objects.filter(program=program), ["member_id"])

    assert raised.value.code == "invalid_request"
    assert "cursor" in raised.value.fields


def test_keyset_cursor_round_trip(program, rf):
    from rest_framework.request import Request

    from loyalty.api.pagination import paginate_queryset
    from members.models import Member
    from tests.factories import MemberFactory

    for i in range(3):
        MemberFactory(program=program, member_id=f"M-{i}")
    queryset = Member.objects.filter(program=program)

    first, cursor = paginate_queryset(Request(rf.get("/", {"limit": "2"})), queryset, ["member_id"])
    second, end = paginate_queryset(Request(rf.get("/", {"limit": "2", "cursor": cursor})), queryset, ["member_id"])

    assert [m.member_id for m in first + second] == ["M-0", "M-1", "M-2"]
    assert end is None
