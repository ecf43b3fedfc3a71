"""The repeat guard under real concurrency (PostgreSQL): confirmations of the same gift sent at the same moment from
several tabs redeem once; the others get the question."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from catalog.models import Gift
from loyalty.shop.services import RecentlyRedeemed, new_reference, shop_redeem
from rewards.ledger_check import ledger_differences
from rewards.models import PointsBalance, Redemption
from tests.factories import GiftFactory, MemberFactory, ProgramFactory
from tests.helpers import fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TABS = 8


def test_tabs_confirming_the_same_gift_at_once_redeem_it_once(transactional_db):
    program = ProgramFactory(code="RACE")
    member = MemberFactory(program=program, member_id="M-1")
    gift = GiftFactory(program=program, sku="V10", type=Gift.VOUCHER, points=100, value="10.00")
    fund(member, 5000)
    barrier = threading.Barrier(TABS)

    def confirm(_):
        try:
            barrier.wait()
            shop_redeem(member=member, gift=gift, quantity=1, reference=new_reference())
            return "redeemed"
        except RecentlyRedeemed:
            return "asked"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=TABS) as pool:
        outcomes = list(pool.map(confirm, range(TABS)))

    assert sorted(outcomes) == ["asked"] * (TABS - 1) + ["redeemed"]
    assert Redemption.objects.filter(member=member).count() == 1
    assert PointsBalance.objects.get(member=member).available == 4900
    assert ledger_differences() == []
