"""The per-process rule cache: warm evaluations read no promotion, and any change reaches every process."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rewards import rules
from rewards.engine import Line
from rewards.selectors import earn_rules
from rewards.services.earning import Basket, points_earn
from rewards.services.promotions import promotion_save
from tests.factories import PromotionFactory

pytestmark = pytest.mark.django_db


def guest_points(api) -> int:
    body = {"lines": [{"line_id": "1", "sku": "X", "quantity": 1, "unit_price": "10.00"}]}
    response = api.post("/api/v1/baskets/evaluate", body)
    assert response.status_code == 200, response.content
    return response.json()["points"]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs a request's commit callbacks (the cache keeps a rule set once its snapshots are committed)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_warm_cache_reads_no_promotion(api, program, committed):
    rules.clear_cache()
    PromotionFactory(program=program, code="BASE", rate="1")
    with committed():
        assert guest_points(api) == 10
    with CaptureQueriesContext(connection) as queries:
        assert guest_points(api) == 10
    # Only the token (with its client and program); nothing about promotions.
    assert len(queries.captured_queries) == 1, [q["sql"][:80] for q in queries.captured_queries]


def test_a_change_made_by_another_process_is_seen_on_the_next_request(api, program, committed):
    rules.clear_cache()
    promotion = PromotionFactory(program=program, code="BASE", rate="1")
    with committed():
        assert guest_points(api) == 10
    stale = rules._cache[program.pk]
    promotion_save(promotion=promotion, values={"rate": Decimal("3")})
    # Another process still holds the old rule set: only the program's rules_version tells it.
    rules._cache[program.pk] = stale
    with committed():
        assert guest_points(api) == 30
    assert rules._cache[program.pk][0] > stale[0]


def test_an_unchanged_save_keeps_the_cache(api, program, committed):
    rules.clear_cache()
    promotion = PromotionFactory(program=program, code="BASE", rate="1")
    with committed():
        guest_points(api)
    version = rules._cache[program.pk][0]
    promotion_save(promotion=promotion, values={"rate": Decimal("1.0")})
    guest_points(api)
    assert rules._cache[program.pk][0] == version


def test_rules_first_read_in_a_rolled_back_earn_are_not_kept(program, member):
    """The earn that first reads the rules stores their snapshots in its own transaction: if it rolls back, the
    cache must not keep snapshot ids that were never committed, or later earns would point at nothing."""
    rules.clear_cache()
    PromotionFactory(program=program, code="BASE", rate="1")
    basket = Basket(lines=(Line("1", "X", None, 1, Decimal("10.00")),), occurred_at=timezone.now())

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        points_earn(program=program, member=member, basket=basket, reference="E-1")
        raise Abort
    assert program.pk not in rules._cache
    outcome = points_earn(program=program, member=member, basket=basket, reference="E-2")
    assert [rule.code for rule in earn_rules(outcome.earn)] == ["BASE"]
