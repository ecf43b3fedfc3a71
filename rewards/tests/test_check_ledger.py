"""check_ledger finds every kind of difference between balances, entries and lots, and exits non-zero."""

import io

import pytest
from django.core.management import CommandError, call_command

from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, PointsLot
from tests.factories import MemberFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db


def run() -> tuple[str, bool]:
    out = io.StringIO()
    try:
        call_command("check_ledger", stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), False
    return out.getvalue(), True


def test_a_sound_ledger_passes(program, member):
    fund(member, 100)
    output, ok = run()
    assert ok and "Ledger OK" in output


def test_a_balance_that_moved_without_entries_is_reported(program, member):
    fund(member, 100)
    MemberFactory(program=program, member_id="M-2")
    PointsBalance.objects.filter(member=member).update(available=150)
    output, ok = run()
    assert not ok
    assert "DEMO M-1:" in output and "M-2" not in output
    assert "1 member(s) differ" in output


def test_lots_that_disagree_are_reported(program, member):
    fund(member, 100)
    PointsLot.objects.filter(member=member).update(remaining=60)
    problems = ledger_differences()
    assert [d.member_id for d in problems] == ["M-1"]
    assert "open lots 60" in problems[0].problem


def test_a_wrong_running_balance_is_reported(program, member):
    fund(member, 100)
    LedgerEntry.objects.filter(member=member).update(balance_after=90)
    assert "balance_after" in ledger_differences()[0].problem


def test_a_member_without_balance_row_is_reported(program, member):
    PointsBalance.objects.filter(member=member).delete()
    assert ledger_differences()[0].problem == "no balance row"


def test_program_option(program, other_program, member):
    other = MemberFactory(program=other_program, member_id="B-1")
    PointsBalance.objects.filter(member=other).update(available=5)
    out = io.StringIO()
    call_command("check_ledger", "--program", program.code, stdout=out)
    with pytest.raises(CommandError):
        call_command("check_ledger", "--program", other_program.code, stdout=io.StringIO())
    with pytest.raises(CommandError, match="No program"):
        call_command("check_ledger", "--program", "NOPE")
