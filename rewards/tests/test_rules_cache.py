"""The per-process rule cache: warm evaluations read no promotion, and any change reaches every process."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rewards import rules
from rewards.services.promotions import promotion_save
from tests.factories import PromotionFactory

pytestmark = pytest.mark.django_db


def guest_points(api) -> int:
    body = {"lines": [{"line_id": "1", "sku": "X", "quantity": 1, "unit_price": "10.00"}]}
    response = api.post("/api/v1/baskets/evaluate", body)
    assert response.status_code == 200, response.content
    return response.json()["points"]


def test_warm_cache_reads_no_promotion(api, program):
    rules.clear_cache()
    PromotionFactory(program=program, code="BASE", rate="1")
    assert guest_points(api) == 10
    with CaptureQueriesContext(connection) as queries:
        assert guest_points(api) == 10
    # Only the token (with its client and program); nothing about promotions.
    assert len(queries.captured_queries) == 1, [q["sql"][:80] for q in queries.captured_queries]


def test_a_change_made_by_another_process_is_seen_on_the_next_request(api, program):
    rules.clear_cache()
    promotion = PromotionFactory(program=program, code="BASE", rate="1")
    assert guest_points(api) == 10
    stale = rules._cache[program.pk]
    promotion_save(promotion=promotion, values={"rate": Decimal("3")})
    # Another process still holds the old rule set: only the program's rules_version tells it.
    rules._cache[program.pk] = stale
    assert guest_points(api) == 30
    assert rules._cache[program.pk][0] > stale[0]


def test_an_unchanged_save_keeps_the_cache(api, program):
    rules.clear_cache()
    promotion = PromotionFactory(program=program, code="BASE", rate="1")
    guest_points(api)
    version = rules._cache[program.pk][0]
    promotion_save(promotion=promotion, values={"rate": Decimal("1.0")})
    guest_points(api)
    assert rules._cache[program.pk][0] == version
