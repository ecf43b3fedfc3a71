"""The rule cache of a process that starts while partners retry: earns answered from their record roll their work
back, yet the rules they read are kept (committed rows only), so the process builds them once, not per retry."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from rewards import rules
from rewards.models import Earn, Promotion
from rewards.services.promotions import promotion_save
from tests.factories import MemberFactory, PromotionFactory
from tests.helpers import basket, line

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def shopper(program):
    return MemberFactory(program=program, member_id="M-1")


def _earn(api, reference: str, status: int, unit_price: str = "10.00") -> dict:
    response = api.post(
        "/api/v1/transactions/earn", basket(reference=reference, lines=[line("1", unit_price=unit_price)])
    )
    assert response.status_code == status, response.content
    return response.json()


def _promotion_reads(api, reference: str, status: int) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        _earn(api, reference, status)
    return [q["sql"] for q in ctx.captured_queries if '"rewards_promotion"' in q["sql"]]


def test_retries_after_a_restart_build_the_rules_once(api, program, shopper):
    PromotionFactory(program=program, code="BASE", rate="1")
    first = _earn(api, "E-1", 201)
    rules.clear_cache()  # the process restarts
    assert _promotion_reads(api, "E-1", 200), "the first retry builds the rules"
    assert program.pk in rules._cache  # kept although the retry rolled its work back
    assert _promotion_reads(api, "E-1", 200) == []
    assert _earn(api, "E-1", 200) == first
    assert Earn.objects.count() == 1


def test_rules_first_stored_by_a_rolled_back_retry_wait_for_a_commit(api, program, shopper):
    """A new promotion's snapshot stored by an earn that rolls back: its id must not be kept."""
    _earn(api, "E-1", 201)
    PromotionFactory(program=program, code="NEW", rate="2")
    rules.clear_cache()
    _earn(api, "E-1", 200)  # reads NEW, stores its snapshot, rolls back
    assert program.pk not in rules._cache
    assert _earn(api, "E-2", 201)["points"] == 20
    assert [p["code"] for p in _earn(api, "E-2", 200)["promotions"]] == ["NEW"]


def test_rules_changed_in_a_rolled_back_transaction_are_not_kept(api, program, shopper):
    promotion = PromotionFactory(program=program, code="BASE", rate="1")
    assert _earn(api, "E-1", 201)["points"] == 10

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        promotion_save(promotion=promotion, values={"rate": Decimal("5")})
        rules.clear_cache()
        rules.live_rules_warm(program.pk)  # reads the uncommitted rate
        assert rules._cache.get(program.pk) is None
        raise Abort
    assert program.pk not in rules._cache
    assert Promotion.objects.get(code="BASE").rate == Decimal("1")
    assert _earn(api, "E-2", 201)["points"] == 10
