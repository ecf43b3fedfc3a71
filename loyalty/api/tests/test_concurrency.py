"""Real concurrency on PostgreSQL: threads, each with its own connection, racing on one member."""

import pytest

from conftest import ApiClient, issue_token
from rewards.ledger_check import ledger_differences
from rewards.models import Earn, LedgerEntry, PointsBalance
from rewards.rules import clear_cache
from tests.concurrency import race
from tests.factories import MemberFactory, ProgramFactory, PromotionFactory
from tests.helpers import basket, line

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(transactional_db):
    clear_cache()
    program = ProgramFactory(code="CONC")
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    member = MemberFactory(program=program, member_id="M-1")
    token = issue_token(program)
    return program, member, token


def test_identical_earns_post_once(setup):
    _program, member, token = setup
    payload = basket(reference="SAME", lines=[line(unit_price="12.00")])
    responses = race(token, [("post", "/api/v1/transactions/earn", payload)] * 30)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert statuses.count(200) == 29
    bodies = {r.content for r in responses}
    assert len(bodies) == 1
    assert LedgerEntry.objects.filter(kind="earn").count() == 1
    assert PointsBalance.objects.get(member=member).available == 12
    assert ledger_differences() == []


def test_simultaneous_full_reversals_succeed_once(setup):
    _program, member, token = setup
    ApiClient(token).post("/api/v1/transactions/earn", basket(reference="E1", lines=[line(unit_price="30.00")]))
    calls = [("post", "/api/v1/transactions/E1/reversal", {"reference": f"R{i}"}) for i in range(20)]
    responses = race(token, calls)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, [r.content for r in responses]
    assert all(r.json()["error"]["code"] == "already_reversed" for r in responses if r.status_code == 409)
    assert codes.count(409) == 19
    assert PointsBalance.objects.get(member=member).available == 0
    assert ledger_differences() == []


def test_many_earns_for_one_member_add_up(setup):
    _program, member, token = setup
    calls = [
        ("post", "/api/v1/transactions/earn", basket(reference=f"E{i}", lines=[line(unit_price=f"{i + 1}.00")]))
        for i in range(50)
    ]
    responses = race(token, calls)
    assert all(r.status_code == 201 for r in responses), [r.content for r in responses if r.status_code != 201]
    expected = sum(Earn.objects.values_list("points", flat=True))
    assert expected == sum(range(1, 51))
    assert PointsBalance.objects.get(member=member).available == expected
    assert ledger_differences() == []
