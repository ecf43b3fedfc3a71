"""Demo members enrolled at realistic dates: in member-number order, over about three years, the newcomers
recently, and each one before anything they did (purchases, events, gifts, tier changes)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Min
from django.utils import timezone

from members.models import Member, Segment
from rewards.models import LedgerEntry, TierChange

pytestmark = pytest.mark.django_db


def test_every_demo_member_enrolled_before_their_first_purchase():
    call_command("load_demo", stdout=io.StringIO())
    now = timezone.now()
    members = list(Member.objects.filter(program__code="DEMO").select_related("balance").order_by("member_id"))
    first_entry = dict(
        LedgerEntry.objects.values("member_id").annotate(first=Min("occurred_at")).values_list("member_id", "first")
    )
    first_tier_change = dict(
        TierChange.objects.values("member_id").annotate(first=Min("changed_at")).values_list("member_id", "first")
    )

    assert len(members) == 300 and len(first_entry) >= 290
    for member in members:
        if member.pk in first_entry:
            assert member.enrolled_at < first_entry[member.pk], member.member_id
        if member.pk in first_tier_change:
            assert member.enrolled_at <= first_tier_change[member.pk], member.member_id
        if member.balance.tier_since is not None:
            assert member.enrolled_at <= member.balance.tier_since, member.member_id
    dates = [m.enrolled_at for m in members]
    assert dates == sorted(dates)  # member numbers follow the order of enrolment
    assert now - dates[0] > datetime.timedelta(days=3 * 365 - 10)  # the oldest, three years ago
    assert all(now - d > datetime.timedelta(days=150) for d in dates[:260])  # before their history's window
    newcomers = Segment.objects.get(program__code="DEMO", code="NEWCOMERS").members.all()
    assert newcomers.count() == 40
    assert all(now - m.enrolled_at < datetime.timedelta(days=62) for m in newcomers)
    # The webshop member's oldest basket is about two years old: enrolled before it as well.
    shop_member = members[0] if not members[0].is_blocked else members[1]
    oldest = first_entry[shop_member.pk]
    assert now - oldest > datetime.timedelta(days=700) and shop_member.enrolled_at < oldest
