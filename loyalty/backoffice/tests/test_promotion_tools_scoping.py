"""The promotion tools per program: a manager of program A gets nothing of program B through the pickers'
suggestions, the segment picker, the go-live confirmation or the calendar."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from loyalty.backoffice.groups import CUSTOMER_SERVICE
from loyalty.backoffice.tests.helpers import admin_url, staff_user
from rewards.engine import Line
from rewards.models import Promotion
from rewards.services.earning import Basket, points_earn
from tests.factories import GiftFactory, MemberFactory, PromotionFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def populate(program, prefix: str) -> Promotion:
    """Earns, a gift, a segment and a draft promotion of `program`, every code starting with `prefix`."""
    member = MemberFactory(program=program, member_id=f"{prefix}-M")
    basket = Basket(
        lines=(Line("1", f"{prefix}-SKU", f"{prefix.lower()}-cat", 1, Decimal("5.00")),),
        occurred_at=timezone.now() - datetime.timedelta(days=1),
        channel=f"{prefix.lower()}-till",
    )
    points_earn(program=program, member=member, basket=basket, reference=f"{prefix}-E1")
    GiftFactory(program=program, sku=f"{prefix}-GIFT", category__code=f"{prefix}-GIFTCAT")
    segment = SegmentFactory(program=program, code=f"{prefix}-SEG")
    promotion = PromotionFactory(
        program=program, code=f"{prefix}-PROMO", status="draft", products=[f"{prefix}-TYPED"], channels=["x"]
    )
    promotion.segments.add(segment)
    PromotionFactory(program=program, code=f"{prefix}-LIVE", status="live")
    return promotion


@pytest.fixture
def mine(program):
    return populate(program, "MINE")


@pytest.fixture
def theirs(other_program):
    return populate(other_program, "THEIRS")


@pytest.fixture
def web(client, program):
    client.force_login(staff_user("manager", program))
    return client


def all_values(web, program) -> set[str]:
    values = set()
    for field in ("products", "product_categories", "channels"):
        response = web.get(admin_url(Promotion, "suggest"), {"program": program.pk, "field": field})
        assert response.status_code == 200
        values |= {r["value"] for r in response.json()["results"]}
    return values


def test_suggestions_hold_only_the_programs_own_codes(web, program, mine, theirs):
    values = all_values(web, program)
    assert {"MINE-SKU", "mine-cat", "mine-till", "MINE-GIFT", "MINE-GIFTCAT", "MINE-TYPED"} <= values
    assert not any("THEIRS" in v.upper() for v in values), values


def test_another_programs_suggestions_are_a_404(web, other_program, mine, theirs):
    for field in ("products", "product_categories", "channels"):
        response = web.get(admin_url(Promotion, "suggest"), {"program": other_program.pk, "field": field})
        assert response.status_code == 404
        assert "THEIRS" not in response.content.decode().upper()
    response = web.get(
        admin_url(Promotion, "suggest"), {"program": other_program.pk, "field": "products", "check": "THEIRS-SKU"}
    )
    assert response.status_code == 404


def test_a_superuser_gets_each_programs_suggestions(admin_client, program, other_program, mine, theirs):
    assert "THEIRS-SKU" in all_values(admin_client, other_program)
    assert "MINE-SKU" in all_values(admin_client, program)


def test_the_segment_picker_offers_only_the_managers_segments(web, mine, theirs):
    response = web.get(
        "/admin/autocomplete/",
        {"app_label": "rewards", "model_name": "promotion", "field_name": "segments", "term": "SEG"},
    )
    assert response.status_code == 200
    assert "MINE-SEG" in response.content.decode() and "THEIRS" not in response.content.decode()


def test_the_calendar_shows_only_the_managers_promotions(web, admin_client, mine, theirs):
    page = web.get(admin_url(Promotion, "calendar")).content.decode()
    assert 'data-code="MINE-LIVE"' in page and "THEIRS" not in page
    page = admin_client.get(admin_url(Promotion, "calendar")).content.decode()
    assert 'data-code="MINE-LIVE"' in page and 'data-code="THEIRS-LIVE"' in page


def test_another_programs_promotion_cannot_go_live(web, mine, theirs):
    assert web.get(admin_url(Promotion, "go_live", theirs.pk)).status_code == 404
    assert web.post(admin_url(Promotion, "go_live", theirs.pk), {"confirm": "1"}).status_code == 404
    assert web.get(admin_url(Promotion, "go_live_many"), {"ids": str(theirs.pk)}).status_code == 404
    # Mixed with one of the manager's: only theirs is left out, and nothing of it shows.
    page = web.get(admin_url(Promotion, "go_live_many"), {"ids": f"{theirs.pk},{mine.pk}"}).content.decode()
    assert "MINE-PROMO" in page and "THEIRS" not in page
    web.post(admin_url(Promotion, "go_live_many"), {"ids": f"{theirs.pk},{mine.pk}"})
    theirs.refresh_from_db()
    mine.refresh_from_db()
    assert (theirs.status, mine.status) == ("draft", "live")


def test_staff_without_promotion_rights_get_none_of_the_tools(client, program, mine):
    client.force_login(staff_user("cs", program, group=CUSTOMER_SERVICE))
    for url, params in (
        (admin_url(Promotion, "suggest"), {"program": program.pk, "field": "products"}),
        (admin_url(Promotion, "calendar"), {}),
        (admin_url(Promotion, "go_live", mine.pk), {}),
    ):
        assert client.get(url, params).status_code == 403, url
    assert client.post(admin_url(Promotion, "go_live", mine.pk), {"confirm": "1"}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == "draft"
