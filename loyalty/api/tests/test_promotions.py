"""Promotion Segment Mapping, live promotions, and promotional products per customer."""

import datetime

import pytest
from django.utils import timezone

from members.models import SegmentMembership
from rewards.models import Promotion
from rewards.rules import clear_cache
from tests.factories import MemberFactory, PromotionFactory, SegmentFactory
from tests.helpers import line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def segments(program, member):
    vip = SegmentFactory(program=program, code="VIP")
    gold = SegmentFactory(program=program, code="GOLD")
    SegmentMembership.objects.create(segment=gold, member=member)
    return vip, gold


def evaluate(api, member_id="M-1"):
    body = {"lines": [line(quantity=2, unit_price="10.00")]}
    if member_id:
        body["member_id"] = member_id
    r = api.post("/api/v1/baskets/evaluate", body)
    assert r.status_code == 200, r.content
    return r.json()["points"]


def test_mapping_takes_effect_on_the_next_evaluation(api, program, member, segments):
    PromotionFactory(program=program, code="DOUBLE", kind="quantity", points=5, rate=None)
    assert evaluate(api) == 10
    r = api.put("/api/v1/promotions/DOUBLE/segments/VIP")
    assert r.status_code == 200
    assert r.json()["segments"] == ["VIP"]
    # M-1 is not in VIP: the restricted promotion stops applying at once.
    assert evaluate(api) == 0
    assert api.put("/api/v1/segments/VIP/members/M-1").status_code == 200
    assert evaluate(api) == 10
    assert api.delete("/api/v1/segments/VIP/members/M-1").status_code == 204
    assert evaluate(api) == 0
    # Several segments: a member of any of them gets it.
    api.put("/api/v1/promotions/DOUBLE/segments/GOLD")
    assert evaluate(api) == 10
    # Guests never get a segmented promotion.
    assert evaluate(api, member_id=None) == 0
    assert api.delete("/api/v1/promotions/DOUBLE/segments/VIP").status_code == 204
    assert api.delete("/api/v1/promotions/DOUBLE/segments/GOLD").status_code == 204
    assert api.delete("/api/v1/promotions/DOUBLE/segments/GOLD").status_code == 204
    assert evaluate(api, member_id=None) == 10


def test_mapping_404s(api, other_api, program, other_program, segments):
    PromotionFactory(program=program, code="P1")
    SegmentFactory(program=other_program, code="VIP")
    assert api.put("/api/v1/promotions/NOPE/segments/VIP").status_code == 404
    assert api.put("/api/v1/promotions/P1/segments/NOPE").status_code == 404
    assert other_api.put("/api/v1/promotions/P1/segments/VIP").status_code == 404
    assert other_api.delete("/api/v1/promotions/P1/segments/VIP").status_code == 404


def test_live_promotions_list(api, other_api, program, segments):
    now = timezone.now()
    PromotionFactory(
        program=program, code="A", products=["SKU-2", "SKU-1"], channels=["web"], name={"en": "A", "fr": "A fr"}
    )
    PromotionFactory(program=program, code="DRAFT", status="draft")
    PromotionFactory(program=program, code="OVER", ends_at=now - datetime.timedelta(days=1))
    PromotionFactory(program=program, code="LATER", starts_at=now + datetime.timedelta(days=1))
    seg = PromotionFactory(program=program, code="SEG", product_categories=["coffee"])
    seg.segments.add(segments[0])
    body = api.get("/api/v1/promotions?lang=fr").json()
    assert [p["code"] for p in body["results"]] == ["A", "SEG"]
    assert body["results"][0] == {
        "code": "A",
        "name": "A fr",
        "kind": "spend",
        "starts_at": None,
        "ends_at": None,
        "segments": [],
        "tiers": [],
        "products": ["SKU-1", "SKU-2"],
        "product_categories": [],
        "channels": ["web"],
    }
    assert body["results"][1]["segments"] == ["VIP"]
    assert other_api.get("/api/v1/promotions").json()["results"] == []
    page = api.get("/api/v1/promotions?limit=1").json()
    assert len(page["results"]) == 1 and page["next"]
    assert api.get(f"/api/v1/promotions?limit=1&cursor={page['next']}").json()["results"][0]["code"] == "SEG"


def test_a_page_continues_after_a_promotion_that_left_the_list(api, program, member):
    # The cursor decodes: the next page starts after its code, even though that promotion is no longer live.
    for code in ("A", "B", "C"):
        PromotionFactory(program=program, code=code)
    first = api.get("/api/v1/promotions?limit=1").json()
    assert [p["code"] for p in first["results"]] == ["A"]
    Promotion.objects.filter(program=program, code="A").update(status="paused")
    clear_cache()
    for path in ("/api/v1/promotions", "/api/v1/members/M-1/promotions"):
        r = api.get(f"{path}?limit=1&cursor={first['next']}")
        assert r.status_code == 200, r.content
        assert [p["code"] for p in r.json()["results"]] == ["B"]


def test_promotions_for_a_member(api, program, member, segments):
    vip, gold = segments
    PromotionFactory(program=program, code="ALL", products=["COF"])
    PromotionFactory(program=program, code="WEB", channels=["web"])
    PromotionFactory(program=program, code="VIPONLY").segments.add(vip)
    PromotionFactory(program=program, code="GOLDONLY", product_categories=["tea"]).segments.add(gold)
    PromotionFactory(program=program, code="PAUSED", status="paused")
    r = api.get("/api/v1/members/M-1/promotions")
    assert r.status_code == 200
    assert [p["code"] for p in r.json()["results"]] == ["ALL", "GOLDONLY", "WEB"]
    assert r.json()["results"][1]["product_categories"] == ["tea"]
    assert api.get("/api/v1/members/NOPE/promotions").status_code == 404
    MemberFactory(program=program, member_id="M-2")
    assert [p["code"] for p in api.get("/api/v1/members/M-2/promotions").json()["results"]] == ["ALL", "WEB"]
