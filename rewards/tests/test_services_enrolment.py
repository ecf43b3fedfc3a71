"""rewards.services.enrolment called directly: a member comes with its empty balance row, or not at all."""

import datetime

import pytest

from members.errors import MemberExists
from members.models import Member
from rewards.ledger_check import ledger_differences
from rewards.models import PointsBalance
from rewards.services.enrolment import member_enrol

pytestmark = pytest.mark.django_db


def test_enrol_creates_the_member_and_its_empty_balance(program):
    member = member_enrol(
        program=program,
        member_id="M-9",
        email="ann@example.com",
        first_name="Ann",
        last_name="Peeters",
        language="fr",
        birth_date=datetime.date(1990, 5, 17),
    )
    stored = Member.objects.get(program=program, member_id="M-9")
    assert stored.pk == member.pk
    assert (stored.email, stored.first_name, stored.last_name, stored.language) == (
        "ann@example.com",
        "Ann",
        "Peeters",
        "fr",
    )
    assert stored.birth_date == datetime.date(1990, 5, 17)
    assert stored.status == "active"
    balance = PointsBalance.objects.get(member=member)
    assert (balance.program_id, balance.available, balance.pending, balance.locked) == (program.pk, 0, 0, 0)
    assert ledger_differences() == []


def test_enrol_defaults_the_language_to_the_program_default(program):
    member = member_enrol(program=program, member_id="M-9")
    assert member.language == program.default_language == "en"


def test_taken_member_id_raises_member_exists_and_creates_nothing(program, member):
    members_before = Member.objects.count()
    balances_before = PointsBalance.objects.count()
    with pytest.raises(MemberExists):
        member_enrol(program=program, member_id=member.member_id, email="other@example.com")
    assert Member.objects.count() == members_before
    assert PointsBalance.objects.count() == balances_before
    member.refresh_from_db()
    assert member.email == "m-1@example.com"  # the existing member is left alone
    # The surrounding transaction is still usable after the refusal.
    assert member_enrol(program=program, member_id="M-2").member_id == "M-2"
    assert ledger_differences() == []


def test_same_member_id_in_another_program_is_a_new_member(program, other_program, member):
    other = member_enrol(program=other_program, member_id=member.member_id)
    assert other.pk != member.pk and other.program_id == other_program.pk
    assert PointsBalance.objects.get(member=other).program_id == other_program.pk


def test_failing_balance_row_leaves_no_member(program, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(PointsBalance.objects, "create", boom)
    with pytest.raises(RuntimeError):
        member_enrol(program=program, member_id="M-9")
    assert not Member.objects.filter(member_id="M-9").exists()
