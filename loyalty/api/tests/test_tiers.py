"""Tiers over the API: GET /tiers, the member's `tier`, the program's window, promotions' `tiers`, `?explain`."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from members.identification import COOKIE_NAME
from programs.services import tier_save
from rewards.models import PointsBalance
from rewards.services.promotions import promotion_create
from tests.factories import MemberFactory, PromotionFactory
from tests.helpers import basket, earn, line

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(program):
    silver = tier_save(program=program, code="SILVER", name={"en": "Silver", "fr": "Argent"}, threshold=100)
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold", "fr": "Or"}, threshold=500)
    PromotionFactory(program=program, code="BASE", rate="1")
    return silver, gold


def test_tiers_are_listed_lowest_first_in_the_request_s_language(api, tiers):
    response = api.get("/api/v1/tiers?lang=fr")
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {"code": "SILVER", "name": "Argent", "threshold": 100, "position": 1},
            {"code": "GOLD", "name": "Or", "threshold": 500, "position": 2},
        ],
        "next": None,
    }
    page = api.get("/api/v1/tiers?limit=1").json()
    assert [t["code"] for t in page["results"]] == ["SILVER"] and page["next"]
    rest = api.get(f"/api/v1/tiers?limit=1&cursor={page['next']}").json()
    assert [t["code"] for t in rest["results"]] == ["GOLD"] and rest["next"] is None


def test_tiers_carry_an_etag_and_answer_304(api, tiers):
    first = api.get("/api/v1/tiers")
    again = api.get("/api/v1/tiers", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert api.get("/api/v1/tiers?lang=fr")["ETag"] != first["ETag"]


def test_a_program_without_tiers_lists_none_and_members_have_no_tier(api, member):
    assert api.get("/api/v1/tiers").json() == {"results": [], "next": None}
    assert api.get("/api/v1/members/M-1").json()["tier"] is None


def test_the_tier_window_is_in_the_program(api, program):
    program.tier_window_months = 6
    program.save()
    assert api.get("/api/v1/program").json()["points"]["tier_window_months"] == 6


def test_the_member_body_shows_tier_progress_and_the_next_tier(api, member, tiers):
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC), tick=False):
        assert api.get("/api/v1/members/M-1").json()["tier"] is None
        earn(api, lines=[line(unit_price="180.00")], occurred_at="2026-03-10T09:00:00Z")
        tier = api.get("/api/v1/members/M-1", HTTP_ACCEPT_LANGUAGE="fr").json()["tier"]
    assert tier == {
        "code": "SILVER",
        "name": "Argent",
        "since": "2026-03-10T09:00:00+00:00",
        "until": "2027-03-10T09:00:00+00:00",
        "qualifying_points": 180,
        "next": {"code": "GOLD", "name": "Or", "threshold": 500, "points_needed": 320},
    }


def test_at_the_top_next_is_null(api, member, tiers):
    earn(api, lines=[line(unit_price="600.00")])
    tier = api.get("/api/v1/members/M-1").json()["tier"]
    assert tier["code"] == "GOLD" and tier["next"] is None


def test_a_threshold_zero_tier_is_shown_for_a_new_member(api, program, tiers):
    tier_save(program=program, code="BASE", name={"en": "Member"}, threshold=0)
    created = api.post("/api/v1/members", {"member_id": "NEW-1"})
    assert created.status_code == 201, created.content
    tier = created.json()["tier"]
    assert (tier["code"], tier["since"], tier["until"], tier["qualifying_points"]) == (
        "BASE",
        created.json()["enrolled_at"],
        None,
        0,
    )
    assert tier["next"] == {"code": "SILVER", "name": "Silver", "threshold": 100, "points_needed": 100}


def test_qualifying_points_shown_leave_the_window_with_time(api, api_for, program, member, tiers):
    earn(api, lines=[line(unit_price="150.00")])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=400)):
        tier = api_for(program).get("/api/v1/members/M-1").json()["tier"]  # a token of that day
    # Still Silver (the daily assessment decides), but nothing qualifies any more.
    assert (tier["code"], tier["qualifying_points"], tier["next"]["points_needed"]) == ("SILVER", 0, 500)
    assert PointsBalance.objects.get(member=member).qualifying_points == 150  # a read stores nothing


def test_promotions_show_their_tiers_and_member_promotions_filter_by_tier(api, program, member, tiers):
    _silver, gold = tiers
    promotion_create(
        program=program, code="GOLD-DAY", values={"kind": "quantity", "points": 5, "status": "live"}, tiers=[gold]
    )
    listed = {p["code"]: p["tiers"] for p in api.get("/api/v1/promotions").json()["results"]}
    assert listed == {"BASE": [], "GOLD-DAY": ["GOLD"]}
    assert [p["code"] for p in api.get("/api/v1/members/M-1/promotions").json()["results"]] == ["BASE"]
    earn(api, lines=[line(unit_price="600.00")])
    assert [p["code"] for p in api.get("/api/v1/members/M-1/promotions").json()["results"]] == ["BASE", "GOLD-DAY"]


def test_evaluation_explains_tier_and_applies_it_for_members_in_the_tier(api, program, member, tiers):
    silver, _gold = tiers
    promotion_create(
        program=program,
        code="SILVER-X2",
        values={"kind": "multiplier", "factor": "2", "status": "live"},
        tiers=[silver],
    )
    body = basket(lines=[line(unit_price="10.00")])
    guest = api.post("/api/v1/baskets/evaluate?explain=true", {"lines": body["lines"]}).json()
    assert guest["points"] == 10 and {"code": "SILVER-X2", "reason": "tier"} in guest["not_applied"]
    outsider = api.post("/api/v1/baskets/evaluate?explain=true", {"member_id": "M-1", "lines": body["lines"]}).json()
    assert {"code": "SILVER-X2", "reason": "tier"} in outsider["not_applied"]
    crossing = earn(api, lines=[line(unit_price="120.00")])
    assert crossing["points"] == 120  # valued with the tier before the earn
    inside = api.post("/api/v1/baskets/evaluate", {"member_id": "M-1", "lines": body["lines"]}).json()
    assert inside["points"] == 20


def test_the_identified_member_sees_the_tier_on_me_in_their_language(api, program, tiers):
    MemberFactory(program=program, member_id="SHOP-1", language="fr")
    earn(api, member_id="SHOP-1", lines=[line(unit_price="150.00")])
    identified = api.post("/api/v1/members/SHOP-1/identification")
    assert identified.status_code == 201, identified.content
    browser = Client()
    browser.cookies[COOKIE_NAME] = identified.json()["cookie"]["value"]
    response = browser.get("/api/v1/me")
    assert response.status_code == 200, response.content
    assert (response.json()["tier"]["code"], response.json()["tier"]["name"]) == ("SILVER", "Argent")
