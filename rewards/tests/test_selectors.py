"""Reads of the ledger: the balance as of now (settled on read) and points by expiry date."""

import datetime

import pytest
import time_machine
from django.db import transaction

from members.selectors import member_get
from rewards.models import PointsLot
from rewards.selectors import member_balance, points_expiring
from rewards.services.ledger import balance_lock
from rewards.services.points import points_lock
from tests.helpers import credit_pending, fund

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def test_balance_as_of_now_spares_points_that_never_expire_when_a_lock_holds_due_points(program, member):
    """A lock holds the soonest-expiring points: once they are due, only the unlocked rest of them expires."""
    with time_machine.travel(T0, tick=False):
        fund(member, 100, expires_at=T0 + DAY)
        fund(member, 50)
        points_lock(program=program, member=member, points=60, reference="K-1", expires_in=2 * 86400)
    with time_machine.travel(T0 + DAY, tick=False):
        loaded = member_get(program=program, member_id=member.member_id)
        assert member_balance(member=loaded) == {"available": 50, "pending": 0, "locked": 60, "total": 110}
    with time_machine.travel(T0 + 2 * DAY, tick=False):
        # The lock expired on its own: its points are released, then expire (they were due).
        loaded = member_get(program=program, member_id=member.member_id)
        assert member_balance(member=loaded) == {"available": 50, "pending": 0, "locked": 0, "total": 50}


def test_points_expiring_groups_by_moment_and_bounds_by_until(program, member):
    with time_machine.travel(T0, tick=False):
        fund(member, 10, expires_at=T0 + DAY)
        fund(member, 5, expires_at=T0 + DAY)
        fund(member, 7, expires_at=T0 + 10 * DAY)
        fund(member, 3)
        rows = list(points_expiring(member=member).order_by("expires_at"))
        assert rows == [{"expires_at": T0 + DAY, "points": 15}, {"expires_at": T0 + 10 * DAY, "points": 7}]
        soon = points_expiring(member=member, until=T0 + 2 * DAY)
        assert list(soon) == [{"expires_at": T0 + DAY, "points": 15}]


def test_balance_as_of_now_expires_pending_points_whose_expiry_also_passed(program, member):
    """Found by the ledger model (test_ledger_model): earn pending points, let both `available_at` and
    `expires_at` pass with no write; the read showed them available while the next write expired them."""
    program.pending_days, program.expiry_months = 2, 1
    program.save()
    with time_machine.travel(T0, tick=False):
        credit_pending(member, 10, available_at=T0 + 2 * DAY)
        PointsLot.objects.filter(member=member).update(expires_at=T0 + 31 * DAY)
    with time_machine.travel(T0 + 40 * DAY, tick=False):
        seen = member_balance(member=member_get(program=program, member_id=member.member_id))
        with transaction.atomic():
            posted = balance_lock(member=member).as_dict()
    assert seen == posted == {"available": 0, "pending": 0, "locked": 0, "total": 0}
