"""The dashboard's tier section: members per tier now (and with no tier), upgrades and downgrades per week from
the tier changes, in the program's weeks, with thousands separators."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from loyalty.backoffice.dashboard import program_dashboard
from loyalty.backoffice.tests.dashboard_html import table
from members.models import Member
from programs.services import tier_save
from rewards.models import PointsBalance, TierChange
from tests.factories import MemberFactory, ProgramFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# A Wednesday: the current ISO week (2026-W12) started on Monday 16 March (00:00 in Brussels: 23:00 UTC on the 15th).
NOW = datetime.datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def program_a(db):
    return ProgramFactory(code="A", name="Program A", timezone="Europe/Brussels")


@pytest.fixture
def tiers(program_a):
    return {
        code: tier_save(program=program_a, code=code, name={"en": name}, threshold=threshold)
        for code, name, threshold in (("SILVER", "Silver", 1000), ("GOLD", "Gold", 5000), ("PLAT", "Platinum", 20000))
    }


def holding(member, tier) -> None:
    PointsBalance.objects.filter(member=member).update(tier=tier, tier_since=NOW, tier_until=NOW)


def change(member, from_tier, to_tier, at, reason=TierChange.ASSESSMENT) -> None:
    TierChange.objects.create(
        program=member.program,
        member=member,
        from_tier=from_tier,
        to_tier=to_tier,
        reason=reason,
        qualifying_points=0,
        changed_at=at,
    )


def test_members_per_tier_now(program_a, tiers):
    members = [MemberFactory(program=program_a) for _ in range(6)]
    holding(members[0], tiers["GOLD"])
    holding(members[1], tiers["GOLD"])
    holding(members[2], tiers["SILVER"])
    other = MemberFactory(program=ProgramFactory(code="B"))  # another program's member never counts

    figures = program_dashboard(program=program_a, now=NOW).tiers

    assert [(t.code, t.name, t.threshold, t.members) for t in figures.tiers] == [
        ("SILVER", "Silver", 1000, 1),
        ("GOLD", "Gold", 5000, 2),
        ("PLAT", "Platinum", 20000, 0),
    ]
    assert figures.no_tier == 3 and figures.base is None
    assert other.pk


def test_members_without_a_tier_row_are_in_the_threshold_0_tier(program_a, tiers):
    tier_save(program=program_a, code="BASE", name={"en": "Member"}, threshold=0)
    MemberFactory(program=program_a)

    figures = program_dashboard(program=program_a, now=NOW).tiers

    assert figures.tiers[0].code == "BASE" and figures.tiers[0].members == 0
    assert figures.no_tier == 1 and figures.base is not None and figures.base.code == "BASE"


def test_upgrades_and_downgrades_per_week(program_a, tiers):
    silver, gold, plat = tiers["SILVER"], tiers["GOLD"], tiers["PLAT"]
    ann, bob = MemberFactory(program=program_a), MemberFactory(program=program_a)
    this_monday = datetime.datetime(2026, 3, 15, 23, 0, tzinfo=UTC)  # Monday 00:00 in Brussels
    change(ann, None, silver, NOW, TierChange.UPGRADE)  # up: from no tier
    change(ann, silver, plat, NOW, TierChange.UPGRADE)  # up
    change(ann, plat, gold, NOW)  # down
    change(bob, gold, None, this_monday)  # down: to no tier, the week's first moment
    change(bob, None, None, NOW, TierChange.OVERRIDE)  # neither
    change(bob, gold, gold, NOW, TierChange.OVERRIDE)  # neither
    change(bob, None, gold, this_monday - datetime.timedelta(seconds=1), TierChange.OVERRIDE)  # up, in W11
    change(bob, gold, silver, datetime.datetime(2026, 1, 4, 12, tzinfo=UTC))  # down in 2026-W01 (Sunday 4 Jan)
    change(bob, silver, gold, datetime.datetime(2025, 12, 28, 12, tzinfo=UTC))  # before the 12 weeks
    change(bob, silver, gold, NOW + datetime.timedelta(weeks=1))  # after them (a clock moved back)
    eve = MemberFactory(program=ProgramFactory(code="B"))
    theirs = tier_save(program=eve.program, code="X", name={"en": "X"}, threshold=10)
    change(eve, None, theirs, NOW)  # another program's

    weeks = program_dashboard(program=program_a, now=NOW).tiers.moves

    assert weeks[0].label == "2026-W01" and len(weeks) == 12
    moves = {w.label: (w.upgrades, w.downgrades) for w in weeks}
    assert moves["2026-W12"] == (2, 2)
    assert moves["2026-W11"] == (1, 0)
    assert moves["2026-W01"] == (0, 1)
    assert sum(up + down for up, down in moves.values()) == 6


def test_the_page_shows_the_tier_section_with_thousands_separators(program_a, tiers):
    gold = tiers["GOLD"]
    members = Member.objects.bulk_create(Member(program=program_a, member_id=f"M-{n}") for n in range(1234))
    PointsBalance.objects.bulk_create(
        PointsBalance(member=m, program=program_a, tier=gold, tier_since=NOW, tier_until=NOW) for m in members
    )
    TierChange.objects.bulk_create(
        TierChange(
            program=program_a,
            member=m,
            from_tier=None,
            to_tier=gold,
            reason="upgrade",
            qualifying_points=0,
            changed_at=NOW,
        )
        for m in members
    )
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))

    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/admin/dashboard/?program={program_a.pk}").content.decode()

    members = table(page, "tiers")
    assert ["Gold", "GOLD", "5,000", "1,234"] in members
    assert ["Platinum", "PLAT", "20,000", "0"] in members
    assert members[-1] == ["No tier", "", "—", "0"]
    moves = table(page, "tier-moves")
    assert ["2026-W12", "2026-03-16", "2026-03-22", "1,234", "0"] in moves
    assert len(moves) == 13


def test_a_program_without_tiers(program_a):
    MemberFactory(program=program_a)
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))

    page = client.get(f"/admin/dashboard/?program={program_a.pk}").content.decode()

    assert table(page, "tiers") == [
        ["Tier", "Code", "From (qualifying points)", "Members now"],
        ["No tier", "", "—", "1"],
    ]
    assert len(table(page, "tier-moves")) == 13
