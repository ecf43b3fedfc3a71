"""members.services called directly: member rows, profile and status, segment memberships."""

import datetime

import pytest

from members import services
from members.errors import MemberExists
from members.models import Member, SegmentMembership
from members.services import (
    member_create,
    member_set_status,
    member_update,
    segment_add_member,
    segment_bulk_update,
    segment_members_add,
    segment_remove_member,
)
from tests.factories import MemberFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(program):
    return SegmentFactory(program=program, code="VIP")


def members_of(segment) -> list[str]:
    return sorted(SegmentMembership.objects.filter(segment=segment).values_list("member__member_id", flat=True))


def make_members(program, *member_ids):
    return [MemberFactory(program=program, member_id=m) for m in member_ids]


def test_create_stores_the_member(program):
    member = member_create(
        program=program, member_id="M-7", email="a@example.com", first_name="Ann", birth_date=datetime.date(1990, 1, 2)
    )
    stored = Member.objects.get(pk=member.pk)
    assert (stored.program_id, stored.member_id, stored.email, stored.first_name) == (
        program.pk,
        "M-7",
        "a@example.com",
        "Ann",
    )
    assert (stored.last_name, stored.language, stored.status) == ("", "en", "active")
    assert stored.birth_date == datetime.date(1990, 1, 2)


def test_create_turns_none_into_empty_texts(program):
    member = member_create(program=program, member_id="M-7", email=None, first_name=None, language=None)
    assert (member.email, member.first_name, member.language) == ("", "", "en")


def test_create_refuses_a_taken_member_id(program, member):
    with pytest.raises(MemberExists):
        member_create(program=program, member_id="M-1")
    assert Member.objects.filter(program=program).count() == 1


def test_create_allows_the_same_id_in_another_program(program, other_program, member):
    other = member_create(program=other_program, member_id="M-1")
    assert other.pk != member.pk


def test_update_changes_only_profile_fields(program, member):
    member_update(
        member=member,
        changes={"email": "new@example.com", "last_name": None, "member_id": "HACKED", "birth_date": None},
    )
    stored = Member.objects.get(pk=member.pk)
    assert (stored.member_id, stored.email, stored.last_name, stored.first_name) == (
        "M-1",
        "new@example.com",
        "",
        "Ann",
    )


def test_update_with_empty_language_falls_back_to_program_default(program, member):
    member_update(member=member, changes={"language": "fr"})
    assert Member.objects.get(pk=member.pk).language == "fr"
    member_update(member=member, changes={"language": ""})
    assert Member.objects.get(pk=member.pk).language == "en"


def test_update_can_block_and_unblock(program, member):
    member_update(member=member, changes={"status": "blocked"})
    assert Member.objects.get(pk=member.pk).is_blocked


def test_set_status_blocks_and_unblocks(program, member):
    member_set_status(member=member, status=Member.BLOCKED)
    assert Member.objects.get(pk=member.pk).status == "blocked"
    member_set_status(member=member, status=Member.ACTIVE)
    assert Member.objects.get(pk=member.pk).status == "active"


def test_add_member_is_new_once(program, member, vip):
    assert segment_add_member(segment=vip, member=member) is True
    assert segment_add_member(segment=vip, member=member) is False
    assert members_of(vip) == ["M-1"]


def test_remove_member_reports_whether_it_was_there(program, member, vip):
    assert segment_remove_member(segment=vip, member=member) is False
    segment_add_member(segment=vip, member=member)
    assert segment_remove_member(segment=vip, member=member) is True
    assert members_of(vip) == []


def test_bulk_update_counts_what_actually_changed(program, vip):
    a, _, c = make_members(program, "A", "B", "C")
    segment_add_member(segment=vip, member=a)
    segment_add_member(segment=vip, member=c)
    result = segment_bulk_update(segment=vip, add=["A", "B"], remove=["C", "D"])
    assert (result.added, result.removed) == (1, 1)
    assert result.unknown_members == ["D"]
    assert members_of(vip) == ["A", "B"]


def test_bulk_update_lists_unknown_ids_once_in_order(program, other_program, vip):
    make_members(program, "A")
    MemberFactory(program=other_program, member_id="FOREIGN")
    result = segment_bulk_update(segment=vip, add=["X", "A", "FOREIGN", "X"], remove=["Y", "X"])
    assert result.unknown_members == ["X", "FOREIGN", "Y"]  # another program's member is unknown here
    assert (result.added, result.removed) == (1, 0)
    assert members_of(vip) == ["A"]


def test_bulk_update_with_duplicate_adds_counts_one(program, vip):
    make_members(program, "A")
    assert segment_bulk_update(segment=vip, add=["A", "A"], remove=[]).added == 1


def test_members_add_goes_in_chunks(program, vip, monkeypatch):
    make_members(program, "A", "B", "C", "D", "E")
    segment_add_member(segment=vip, member=Member.objects.get(member_id="B"))
    calls = []
    real = services.segment_bulk_update

    def spy(*, segment, add, remove):
        calls.append(list(add))
        return real(segment=segment, add=add, remove=remove)

    monkeypatch.setattr(services, "BULK_CHUNK", 2)
    monkeypatch.setattr(services, "segment_bulk_update", spy)
    result = segment_members_add(segment=vip, member_ids=["A", "B", "A", "NOPE", "C", "D", "E", "NOPE"])
    assert calls == [["A", "B"], ["NOPE", "C"], ["D", "E"]]
    assert (result.added, result.removed, result.unknown_members) == (4, 0, ["NOPE"])
    assert members_of(vip) == ["A", "B", "C", "D", "E"]


def test_members_add_is_all_or_nothing(program, vip, monkeypatch):
    make_members(program, "A", "B", "C")
    real = services.segment_bulk_update
    calls = []

    def failing_second_chunk(*, segment, add, remove):
        calls.append(add)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real(segment=segment, add=add, remove=remove)

    monkeypatch.setattr(services, "BULK_CHUNK", 2)
    monkeypatch.setattr(services, "segment_bulk_update", failing_second_chunk)
    with pytest.raises(RuntimeError):
        segment_members_add(segment=vip, member_ids=["A", "B", "C"])
    assert members_of(vip) == []
