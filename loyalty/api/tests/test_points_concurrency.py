"""Points lifecycle under real concurrency on PostgreSQL."""

import datetime
import random
import threading

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from conftest import issue_token
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, PointsLot
from rewards.services import clock
from tests.concurrency import race
from tests.factories import GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def program(transactional_db):
    return ProgramFactory(code="LIFE", expiry_months=12)


def test_random_transfers_in_both_directions(program):
    members = [MemberFactory(program=program, member_id=f"M-{i}") for i in range(5)]
    for m in members:
        fund(m, 1000)
    token = issue_token(program)
    rng = random.Random(7)
    calls = []
    for i in range(100):
        a, b = rng.sample(range(5), 2)
        calls.append(
            (
                "post",
                "/api/v1/points/transfers",
                {
                    "reference": f"T{i}",
                    "from_member_id": f"M-{a}",
                    "to_member_id": f"M-{b}",
                    "points": rng.randint(1, 400),
                },
            )
        )
    responses = []
    for start in range(0, 100, 10):  # 10 threads at a time, 100 transfers
        responses += race(token, calls[start : start + 10])
    codes = [r.status_code for r in responses]
    assert set(codes) <= {201, 409}, [r.content for r in responses if r.status_code not in (201, 409)]
    assert codes.count(201) > 50
    assert sum(PointsBalance.objects.values_list("available", flat=True)) == 5000
    assert min(PointsBalance.objects.values_list("available", flat=True)) >= 0
    assert LedgerEntry.objects.filter(kind="transfer_out").count() == codes.count(201)
    assert ledger_differences() == []


def test_locks_and_redemptions_racing_never_overdraw(program):
    member = MemberFactory(program=program, member_id="M-1")
    GiftFactory(program=program, sku="MUG", points=100)
    fund(member, 1000)
    token = issue_token(program)
    calls = []
    for i in range(30):
        if i % 2:
            calls.append(("post", "/api/v1/points/locks", {"reference": f"L{i}", "member_id": "M-1", "points": 100}))
        else:
            calls.append(("post", "/api/v1/redemptions", {"reference": f"R{i}", "member_id": "M-1", "gift": "MUG"}))
    responses = race(token, calls)
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 10, codes
    assert all(r.json()["error"]["code"] == "insufficient_points" for r in responses if r.status_code == 409)
    balance = PointsBalance.objects.get(member=member)
    assert balance.available == 0
    assert balance.available + balance.locked == 1000 - 100 * sum(
        1 for c, r in zip(calls, responses, strict=True) if c[1] == "/api/v1/redemptions" and r.status_code == 201
    )
    assert ledger_differences() == []


def test_two_expiry_jobs_at_once_expire_each_lot_once(program):
    members = [MemberFactory(program=program, member_id=f"M-{i}") for i in range(40)]
    soon = timezone.now() + datetime.timedelta(days=1)
    for m in members:
        fund(m, 10, expires_at=soon)
        fund(m, 5, expires_at=soon + datetime.timedelta(days=1))
        fund(m, 7)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(clock.expire_points(batch=7))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    with time_machine.travel(soon + datetime.timedelta(days=2)):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(results) == 40 * 15
    assert LedgerEntry.objects.filter(kind="expiry").count() == 40
    assert set(PointsBalance.objects.values_list("available", flat=True)) == {7}
    assert not PointsLot.objects.filter(expires_at__lte=soon + datetime.timedelta(days=1), remaining__gt=0).exists()
    assert ledger_differences() == []
