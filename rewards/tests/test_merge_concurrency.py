"""Merges racing each other, an earn and a redemption, each in its own connection (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from catalog.models import Gift
from members.models import Member
from rewards.engine import Line
from rewards.errors import InvalidTransition
from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance
from rewards.services.earning import Basket, earn_post, points_earn
from rewards.services.merge import member_merge
from rewards.services.redemption import redeem
from tests.factories import GiftFactory, MemberFactory, ProgramFactory, PromotionFactory
from tests.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*jobs):
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # reported to the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def total_points(program) -> int:
    return sum(b.total for b in PointsBalance.objects.filter(program=program))


@pytest.mark.parametrize("round_", range(3))
def test_merges_crossing_each_other_do_not_deadlock_and_one_wins(round_):
    program = ProgramFactory(code=f"MX{round_}")
    a, b = MemberFactory(program=program, member_id="A"), MemberFactory(program=program, member_id="B")
    fund(a, 100)
    fund(b, 50)
    results = race(
        lambda: member_merge(program=program, target=a, source=b, reference="A<-B"),
        lambda: member_merge(program=program, target=b, source=a, reference="B<-A"),
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and isinstance(failures[0], InvalidTransition), results
    statuses = sorted(Member.objects.filter(program=program).values_list("status", flat=True))
    assert statuses == ["active", "merged"]
    assert total_points(program) == 150
    assert ledger_differences() == []


@pytest.mark.parametrize("path", ["service", "hot path"])
@pytest.mark.parametrize("side", ["source", "target"])
def test_a_merge_racing_an_earn_and_a_redemption_loses_and_doubles_nothing(side, path):
    program = ProgramFactory(code=f"MR{side[0].upper()}{path[0].upper()}")
    PromotionFactory(program=program, code="BASE", rate="1")
    keep, dup = MemberFactory(program=program, member_id="KEEP"), MemberFactory(program=program, member_id="DUP")
    fund(keep, 200)
    fund(dup, 200)
    gift = GiftFactory(program=program, sku="MUG", type=Gift.PHYSICAL, points=80, stock=10)
    busy = dup if side == "source" else keep
    basket = Basket(lines=(Line("1", "X", None, 1, Decimal("30.00")),), occurred_at=timezone.now())
    results = race(
        lambda: member_merge(program=program, target=keep, source=dup, reference="MRG"),
        (lambda: points_earn(program=program, member=busy, basket=basket, reference="E-1"))
        if path == "service"
        else (lambda: earn_post(program_id=program.pk, member_id=busy.member_id, basket=basket, reference="E-1")),
        lambda: redeem(program=program, member=busy, gift=gift, quantity=1, reference="R-1"),
    )
    merged, earned, redeemed = results
    assert not isinstance(merged, Exception), merged
    # On the duplicate, what ran after the merge was refused (member_blocked); what ran before moved with it.
    for result in (earned, redeemed):
        assert not isinstance(result, Exception) or type(result).__name__ == "MemberBlocked", result
    points_earned = LedgerEntry.objects.filter(kind="earn").count() * 30
    points_spent = LedgerEntry.objects.filter(kind="redemption").count() * 80
    assert total_points(program) == 400 + points_earned - points_spent
    assert PointsBalance.objects.get(member=dup).total == 0
    assert ledger_differences() == []
