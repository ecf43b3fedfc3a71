"""Catalog endpoints over the API: categories, gifts, one gift."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rewards.models import PointsBalance
from tests.factories import CategoryFactory, GiftFactory, MemberFactory, PromotionFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def home(program):
    return CategoryFactory(program=program, code="HOME", name={"en": "Home", "fr": "Maison"}, position=1)


@pytest.fixture
def kitchen(program, home):
    return CategoryFactory(program=program, code="KITCHEN", name={"en": "Kitchen", "fr": "Cuisine"}, parent=home)


@pytest.fixture
def mugs(program, kitchen):
    return CategoryFactory(program=program, code="MUGS", name={"en": "Mugs"}, parent=kitchen, position=5)


def skus(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [g["sku"] for g in response.json()["results"]]


def error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields", "request_id"}
    return body["error"]


# --- categories ------------------------------------------------------------------------------------------------


def test_categories_with_parent_codes_counts_and_order(api, program, home, kitchen, mugs):
    now = timezone.now()
    GiftFactory(program=program, category=home, sku="H1")
    GiftFactory(program=program, category=kitchen, sku="K1", stock=0)  # out of stock still counts
    GiftFactory(program=program, category=mugs, sku="M1")
    GiftFactory(program=program, category=mugs, sku="M2", valid_until=now + DAY)
    GiftFactory(program=program, category=mugs, sku="DRAFT", validated=False)
    GiftFactory(program=program, category=mugs, sku="OLD", valid_from=now - 2 * DAY, valid_until=now - DAY)
    GiftFactory(program=program, category=kitchen, sku="SOON", valid_from=now + DAY)
    r = api.get("/api/v1/categories")
    assert r.status_code == 200, r.content
    assert r.json() == {
        "results": [
            {"code": "KITCHEN", "name": "Kitchen", "parent": "HOME", "gift_count": 3},
            {"code": "HOME", "name": "Home", "parent": None, "gift_count": 4},
            {"code": "MUGS", "name": "Mugs", "parent": "KITCHEN", "gift_count": 2},
        ],
        "next": None,
    }


def test_category_names_in_requested_language_with_fallback(api, home, kitchen, mugs):
    def names(response):
        assert response.status_code == 200, response.content
        return {c["code"]: c["name"] for c in response.json()["results"]}

    assert names(api.get("/api/v1/categories?lang=fr")) == {"HOME": "Maison", "KITCHEN": "Cuisine", "MUGS": "Mugs"}
    assert names(api.get("/api/v1/categories?lang=nl")) == {"HOME": "Home", "KITCHEN": "Kitchen", "MUGS": "Mugs"}
    assert names(api.get("/api/v1/categories", HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9"))["HOME"] == "Maison"
    # ?lang= wins over Accept-Language; a language outside the program falls back to the default.
    assert names(api.get("/api/v1/categories?lang=en", HTTP_ACCEPT_LANGUAGE="fr"))["HOME"] == "Home"
    assert names(api.get("/api/v1/categories?lang=de"))["HOME"] == "Home"


def test_language_tags_match_like_http_s_case_regions_and_q_values(api, home):
    """`?lang=` and Accept-Language are HTTP language tags: case-insensitive, a region falls back to its language,
    and Accept-Language is read in the order of its q-values (q=0: not wanted), not in the order written."""

    def name(query="", **headers):
        response = api.get(f"/api/v1/categories{query}", **headers)
        assert response.status_code == 200, response.content
        return response.json()["results"][0]["name"]

    assert name("?lang=FR") == "Maison"
    assert name("?lang=fr-BE") == "Maison"
    assert name(HTTP_ACCEPT_LANGUAGE="en;q=0.1, fr;q=0.9") == "Maison"
    assert name(HTTP_ACCEPT_LANGUAGE="fr;q=0, en") == "Home"
    assert name(HTTP_ACCEPT_LANGUAGE="de, fr;q=0.5, en;q=0.4") == "Maison"
    assert name(HTTP_ACCEPT_LANGUAGE="*, fr;q=0.2") == "Maison"
    assert name(HTTP_ACCEPT_LANGUAGE="fr;q=abc, en") == "Home"
    assert name("?lang=fr", HTTP_ACCEPT_LANGUAGE="en;q=1") == "Maison"


def test_inactive_categories_and_their_children_and_gifts_are_hidden(api, program, home, kitchen, mugs):
    home.active = False
    home.save()
    garden = CategoryFactory(program=program, code="GARDEN")
    GiftFactory(program=program, category=mugs, sku="MUG")
    GiftFactory(program=program, category=garden, sku="RAKE")
    GiftFactory(program=program, category=None, sku="LOOSE")
    r = api.get("/api/v1/categories")
    assert r.json()["results"] == [{"code": "GARDEN", "name": "Category GARDEN", "parent": None, "gift_count": 1}]
    assert skus(api.get("/api/v1/gifts")) == ["LOOSE", "RAKE"]
    assert api.get("/api/v1/gifts/MUG").status_code == 404
    assert error(api.get("/api/v1/gifts?category=MUGS"), 404)["fields"] == {"category": ["Category MUGS not found."]}


def test_categories_pagination(api, program):
    for i in range(7):
        CategoryFactory(program=program, code=f"C{i}", position=i % 3)
    seen, cursor = [], None
    while True:
        r = api.get("/api/v1/categories?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.content
        seen += [c["code"] for c in r.json()["results"]]
        cursor = r.json()["next"]
        if cursor is None:
            break
    assert seen == ["C0", "C3", "C6", "C1", "C4", "C2", "C5"]


# --- gifts -----------------------------------------------------------------------------------------------------


def test_gift_shape(api, program, home):
    until = timezone.now() + 10 * DAY
    GiftFactory(
        program=program,
        category=home,
        sku="MUG",
        type="physical",
        points=500,
        value="8",
        stock=12,
        images=["https://cdn.example.com/mug.jpg"],
        valid_until=until,
        name={"en": "Mug", "fr": "Tasse", "de": "Becher"},
        description={"en": "A mug.", "nl": "Een mok."},
    )
    expected = {
        "sku": "MUG",
        "name": "Mug",
        "description": "A mug.",
        "category": "HOME",
        "type": "physical",
        "points": 500,
        "value": "8.00",
        "currency": "EUR",
        "stock": 12,
        "available": True,
        "images": ["https://cdn.example.com/mug.jpg"],
        "valid_from": None,
        "valid_until": until.isoformat(),
        "translations": {
            "en": {"name": "Mug", "description": "A mug."},
            "fr": {"name": "Tasse", "description": "A mug."},
            "nl": {"name": "Mug", "description": "Een mok."},
        },
    }
    r = api.get("/api/v1/gifts")
    assert r.status_code == 200, r.content
    assert r.json() == {"results": [expected], "next": None}
    one = api.get("/api/v1/gifts/MUG")
    assert one.status_code == 200 and one.json() == expected


def test_gift_texts_follow_the_language(api, program, home):
    GiftFactory(program=program, category=home, sku="MUG", name={"en": "Mug", "fr": "Tasse"}, description={})
    assert api.get("/api/v1/gifts?lang=fr").json()["results"][0]["name"] == "Tasse"
    assert api.get("/api/v1/gifts/MUG?lang=fr").json()["name"] == "Tasse"
    assert api.get("/api/v1/gifts?lang=it").json()["results"][0]["name"] == "Mug"  # no Italian: default
    assert api.get("/api/v1/gifts/MUG", HTTP_ACCEPT_LANGUAGE="fr").json()["name"] == "Tasse"
    assert api.get("/api/v1/gifts/MUG").json()["description"] == ""


def test_only_gifts_on_offer_are_listed(api, program, home):
    now = timezone.now()
    GiftFactory(program=program, category=home, sku="ON", points=100)
    GiftFactory(program=program, category=home, sku="WINDOW", points=200, valid_from=now - DAY, valid_until=now + DAY)
    GiftFactory(program=program, category=home, sku="EMPTY", points=300, stock=0)
    GiftFactory(program=program, category=home, sku="DRAFT", validated=False)
    GiftFactory(program=program, category=home, sku="EXPIRED", valid_until=now - DAY)
    GiftFactory(program=program, category=home, sku="FUTURE", valid_from=now + DAY)
    r = api.get("/api/v1/gifts")
    assert skus(r) == ["ON", "WINDOW", "EMPTY"]
    empty = r.json()["results"][2]
    assert empty["available"] is False and empty["stock"] == 0
    assert r.json()["results"][0]["available"] is True and r.json()["results"][0]["stock"] is None
    for sku in ("DRAFT", "EXPIRED", "FUTURE", "NOPE"):
        body = error(api.get(f"/api/v1/gifts/{sku}"), 404)
        assert body["code"] == "not_found"
    assert api.get("/api/v1/gifts/EMPTY").json()["available"] is False
    assert error(api.get("/api/v1/gifts/ON%00X"), 404)["code"] == "not_found"


def test_points_bounds_are_inclusive(api, program, home):
    for points in (100, 200, 300, 400):
        GiftFactory(program=program, category=home, sku=f"G{points}", points=points)
    assert skus(api.get("/api/v1/gifts?min_points=200")) == ["G200", "G300", "G400"]
    assert skus(api.get("/api/v1/gifts?max_points=300")) == ["G100", "G200", "G300"]
    assert skus(api.get("/api/v1/gifts?min_points=200&max_points=300")) == ["G200", "G300"]
    assert skus(api.get("/api/v1/gifts?min_points=300&max_points=200")) == []
    assert skus(api.get("/api/v1/gifts?max_points=99999999999999999999999")) == ["G100", "G200", "G300", "G400"]
    assert skus(api.get("/api/v1/gifts?min_points=99999999999999999999999")) == []


@pytest.mark.parametrize(
    "query, fields",
    [
        ("min_points=abc", ["min_points"]),
        ("max_points=1.5", ["max_points"]),
        ("min_points=-1", ["min_points"]),
        ("min_points=1e3&max_points=x", ["min_points", "max_points"]),
        ("limit=0", ["limit"]),
        ("limit=500", ["limit"]),
        ("cursor=not-a-cursor", ["cursor"]),
    ],
)
def test_bad_filter_values_are_400(api, home, query, fields):
    body = error(api.get(f"/api/v1/gifts?{query}"), 400)
    assert body["code"] == "invalid_request"
    assert sorted(body["fields"]) == sorted(fields)


def test_category_filter_includes_sub_categories(api, program, home, kitchen, mugs):
    garden = CategoryFactory(program=program, code="GARDEN")
    GiftFactory(program=program, category=home, sku="H", points=1)
    GiftFactory(program=program, category=kitchen, sku="K", points=2)
    GiftFactory(program=program, category=mugs, sku="M", points=3)
    GiftFactory(program=program, category=garden, sku="G", points=4)
    assert skus(api.get("/api/v1/gifts?category=HOME")) == ["H", "K", "M"]
    assert skus(api.get("/api/v1/gifts?category=KITCHEN")) == ["K", "M"]
    assert skus(api.get("/api/v1/gifts?category=MUGS")) == ["M"]
    assert skus(api.get("/api/v1/gifts?category=GARDEN&max_points=3")) == []
    body = error(api.get("/api/v1/gifts?category=NOPE"), 404)
    assert body["code"] == "not_found" and list(body["fields"]) == ["category"]


def test_affordable_for(api, program, member, home):
    for points in (500, 700, 701):
        GiftFactory(program=program, category=home, sku=f"G{points}", points=points)
    assert skus(api.get("/api/v1/gifts?affordable_for=M-1")) == []
    PointsBalance.objects.filter(member=member).update(available=700)
    assert skus(api.get("/api/v1/gifts?affordable_for=M-1")) == ["G500", "G700"]
    assert skus(api.get("/api/v1/gifts?affordable_for=M-1&min_points=600")) == ["G700"]
    for ghost in ("GHOST", "M-1%00"):
        body = error(api.get(f"/api/v1/gifts?affordable_for={ghost}"), 404)
        assert body["code"] == "not_found" and list(body["fields"]) == ["affordable_for"]


def test_affordable_for_counts_the_balance_as_of_now_like_the_member_answer(api, program, member, home):
    """Points past their `available_at` are available, whether or not the activation job has run: the catalog
    filter and GET /members/{id} read the same selector, so they agree."""
    program.pending_days = 1
    program.save(update_fields=["pending_days"])
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    GiftFactory(program=program, category=home, sku="G50", points=50)
    line = {"line_id": "1", "sku": "X", "quantity": 1, "unit_price": "100.00"}
    with time_machine.travel(timezone.now() - 2 * DAY):
        earned = api.post("/api/v1/transactions/earn", {"reference": "B-1", "member_id": "M-1", "lines": [line]})
        assert earned.status_code == 201, earned.content
        assert skus(api.get("/api/v1/gifts?affordable_for=M-1")) == []  # pending for a day
    assert PointsBalance.objects.get(member=member).pending == 100  # no job has activated them
    assert api.get("/api/v1/members/M-1").json()["balance"]["available"] == 100
    assert skus(api.get("/api/v1/gifts?affordable_for=M-1")) == ["G50"]


def test_gift_pagination_has_no_duplicates_and_no_gaps(api, program, home):
    for i in range(11):
        GiftFactory(program=program, category=home, sku=f"G{i:02d}", points=100 * (i % 4) + 100)
    expected = skus(api.get("/api/v1/gifts?limit=200"))
    assert len(expected) == 11
    seen, cursor, pages = [], None, 0
    while True:
        r = api.get("/api/v1/gifts?limit=4" + (f"&cursor={cursor}" if cursor else ""))
        seen += skus(r)
        pages += 1
        cursor = r.json()["next"]
        if cursor is None:
            break
        if pages == 1:
            GiftFactory(program=program, category=home, sku="A-NEW", points=100)  # behind the cursor: not served
    assert pages == 3
    assert seen == expected
    points = [g["points"] for g in api.get("/api/v1/gifts?limit=200").json()["results"]]
    assert points == sorted(points)


# --- tenancy and scope -----------------------------------------------------------------------------------------


def test_programs_are_isolated(api, other_api, program, other_program, home):
    GiftFactory(program=program, category=home, sku="MUG")
    MemberFactory(program=program, member_id="A-1")
    assert other_api.get("/api/v1/categories").json() == {"results": [], "next": None}
    assert other_api.get("/api/v1/gifts").json() == {"results": [], "next": None}
    assert error(other_api.get("/api/v1/gifts/MUG"), 404)["code"] == "not_found"
    assert list(error(other_api.get("/api/v1/gifts?category=HOME"), 404)["fields"]) == ["category"]
    assert list(error(other_api.get("/api/v1/gifts?affordable_for=A-1"), 404)["fields"]) == ["affordable_for"]
    # The same sku in both programs: each client sees its own.
    other_home = CategoryFactory(program=other_program, code="HOME", name={"en": "Other home"})
    GiftFactory(program=other_program, category=other_home, sku="MUG", points=42)
    assert other_api.get("/api/v1/gifts/MUG").json()["points"] == 42
    assert api.get("/api/v1/gifts/MUG").json()["points"] == 500
    assert [c["name"] for c in other_api.get("/api/v1/categories").json()["results"]] == ["Other home"]


def test_scope_catalog_read_is_needed(api_for, program, home):
    GiftFactory(program=program, category=home, sku="MUG")
    client = api_for(program, scopes="program:read")
    for path in ("/api/v1/categories", "/api/v1/gifts", "/api/v1/gifts/MUG"):
        assert error(client.get(path), 403)["code"] == "forbidden"
    assert api_for(program, scopes="catalog:read").get("/api/v1/gifts/MUG").status_code == 200


def test_no_token_is_401(program):
    from conftest import ApiClient

    assert error(ApiClient(None).get("/api/v1/gifts"), 401)["code"] == "unauthenticated"


# --- queries ---------------------------------------------------------------------------------------------------


def gift_list_queries(api, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(path)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries)


def test_gift_list_costs_constant_queries(api, program, home, kitchen, member):
    categories = [home, kitchen]
    for i in range(5):
        GiftFactory(program=program, category=categories[i % 2], sku=f"S{i:03d}")
    api.get("/api/v1/gifts")  # warm up caches that are not per request
    small = gift_list_queries(api, "/api/v1/gifts?limit=200")
    for i in range(5, 200):
        GiftFactory(program=program, category=categories[i % 2], sku=f"S{i:03d}")
    large = gift_list_queries(api, "/api/v1/gifts?limit=200")
    assert len(api.get("/api/v1/gifts?limit=200").json()["results"]) == 200
    # token (with client and program), category tree, the page of gifts, their uploaded images
    assert small == large == 4
    # + the member's balance; M-1 can afford nothing, and an empty page needs no image query
    assert gift_list_queries(api, "/api/v1/gifts?limit=200&affordable_for=M-1&category=HOME") == 4
    assert gift_list_queries(api, "/api/v1/categories?limit=200") == 4
    assert gift_list_queries(api, "/api/v1/gifts/S000") == 4


def test_openapi_documents_the_catalog(client):
    r = client.get("/api/schema", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    text = r.content.decode()
    for needle in ("/api/v1/categories", "/api/v1/gifts/{sku}", "affordable_for", "min_points", "Get Client Category"):
        assert needle in text
