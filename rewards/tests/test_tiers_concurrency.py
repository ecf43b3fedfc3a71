"""Two earns crossing a tier threshold at the same moment, each in its own transaction and connection."""

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from programs.services import tier_save
from rewards.engine import Line
from rewards.ledger_check import ledger_differences
from rewards.models import PointsBalance, TierChange
from rewards.services.earning import Basket, points_earn
from tests.factories import MemberFactory, ProgramFactory, PromotionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_two_earns_crossing_a_threshold_at_once_give_one_upgrade_and_exact_points(round_):
    program = ProgramFactory(code=f"TC{round_}")
    member = MemberFactory(program=program, member_id="M-1")
    PromotionFactory(program=program, code="BASE", rate="1")
    tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=100)
    gold = tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=150)
    barrier = threading.Barrier(2)
    errors = []

    def run(reference):
        try:
            barrier.wait()
            basket = Basket(lines=(Line("1", "X", None, 1, Decimal("80.00")),), occurred_at=timezone.now())
            points_earn(program=program, member=member, basket=basket, reference=reference)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(ref,)) for ref in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    row = PointsBalance.objects.get(member=member)
    assert (row.qualifying_points, row.tier_id) == (160, gold.pk)
    # The first earn takes the member to nothing (80), the second to Gold (160): one change, from none.
    changes = list(TierChange.objects.filter(member=member).values_list("from_tier", "to_tier"))
    assert changes == [(None, gold.pk)]
    assert ledger_differences() == []
