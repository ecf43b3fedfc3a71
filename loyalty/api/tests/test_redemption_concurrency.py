"""Redemptions and vouchers racing on PostgreSQL."""

import pytest

from catalog.models import Gift
from conftest import issue_token
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, Redemption, Voucher
from tests.concurrency import race
from tests.factories import GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(transactional_db):
    return ProgramFactory(code="RACE")


def test_balance_covering_exactly_seven(program):
    member = MemberFactory(program=program, member_id="M-1")
    GiftFactory(program=program, sku="MUG", points=100)
    fund(member, 700)
    token = issue_token(program)
    calls = [
        ("post", "/api/v1/redemptions", {"reference": f"R{i}", "member_id": "M-1", "gift": "MUG"}) for i in range(40)
    ]
    responses = race(token, calls)
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 7, [r.content for r in responses if r.status_code not in (201, 409)]
    assert all(r.json()["error"]["code"] == "insufficient_points" for r in responses if r.status_code == 409)
    assert codes.count(409) == 33
    assert PointsBalance.objects.get(member=member).available == 0
    # The balance never went below zero: every balance_after of the member's entries is >= 0.
    assert min(LedgerEntry.objects.filter(member=member).values_list("balance_after", flat=True)) >= 0
    assert ledger_differences() == []


def test_stock_of_five(program):
    GiftFactory(program=program, sku="RARE", points=10, stock=5)
    for i in range(30):
        fund(MemberFactory(program=program, member_id=f"M-{i}"), 1000)
    token = issue_token(program)
    calls = [
        ("post", "/api/v1/redemptions", {"reference": f"R{i}", "member_id": f"M-{i}", "gift": "RARE"})
        for i in range(30)
    ]
    responses = race(token, calls)
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 5
    assert all(r.json()["error"]["code"] == "out_of_stock" for r in responses if r.status_code == 409)
    assert Gift.objects.get(sku="RARE").stock == 0
    assert Redemption.objects.count() == 5
    assert ledger_differences() == []


def test_one_voucher_used_once(program):
    member = MemberFactory(program=program, member_id="M-1")
    GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00")
    fund(member, 100)
    token = issue_token(program)
    from conftest import ApiClient

    r = ApiClient(token).post("/api/v1/redemptions", {"reference": "R1", "member_id": "M-1", "gift": "V10"})
    assert r.status_code == 201
    code = Voucher.objects.get().code
    calls = [("post", f"/api/v1/vouchers/{code}/use", {"order_reference": f"W{i}"}) for i in range(20)]
    responses = race(token, calls)
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 1
    assert codes.count(409) == 19
