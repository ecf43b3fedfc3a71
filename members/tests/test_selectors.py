"""members.selectors: one member of one program, with its balance and segments in a fixed number of queries."""

import pytest
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection

from members.selectors import member_exists, member_get, member_with_segment_codes
from members.services import segment_add_member
from tests.factories import MemberFactory, SegmentFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db


def test_get_returns_the_member_of_that_program_only(program, other_program, member):
    other = MemberFactory(program=other_program, member_id="M-1")
    assert member_get(program=program, member_id="M-1").pk == member.pk
    assert member_get(program=other_program, member_id="M-1").pk == other.pk
    assert member_get(program=program, member_id="M-404") is None


def test_get_with_another_programs_id_is_none(program, other_program):
    MemberFactory(program=other_program, member_id="ONLY-THERE")
    assert member_get(program=program, member_id="ONLY-THERE") is None
    assert member_exists(program=program, member_id="ONLY-THERE") is False


def test_get_loads_balance_and_sorted_segments_in_two_queries(program, member, django_assert_num_queries):
    for code in ("ZED", "ALPHA", "MID"):
        segment_add_member(segment=SegmentFactory(program=program, code=code), member=member)
    fund(member, 40)
    with django_assert_num_queries(2):
        found = member_get(program=program, member_id="M-1")
        assert [s.code for s in found.segments.all()] == ["ALPHA", "MID", "ZED"]
        assert found.balance.available == 40
        assert found.program.code == "DEMO"  # no query: the program given is reused


def test_get_without_segments_is_one_query(program, member, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = member_get(program=program, member_id="M-1", segments=False)
        assert found.balance.available == 0


def test_get_unrelated_is_one_query_for_the_row(program, member, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = member_get(program=program, member_id="M-1", related=False)
        assert found.member_id == "M-1"
    with django_assert_num_queries(1):  # the balance was not loaded
        assert found.balance.available == 0


def test_get_without_a_balance_row_still_finds_the_member(program, member):
    member.balance.delete()
    found = member_get(program=program, member_id="M-1")
    assert found.pk == member.pk
    with pytest.raises(ObjectDoesNotExist):
        found.balance  # noqa: B018


def test_get_with_nul_in_the_id_is_none_without_query(program, member, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert member_get(program=program, member_id="M-1\x00") is None


def test_exists(program, member):
    assert member_exists(program=program, member_id="M-1") is True
    assert member_exists(program=program, member_id="m-1") is False


def test_with_segment_codes_reads_the_row_and_its_codes(program, other_program, member, django_assert_max_num_queries):
    segment_add_member(segment=SegmentFactory(program=program, code="VIP"), member=member)
    segment_add_member(segment=SegmentFactory(program=program, code="FAMILY"), member=member)
    MemberFactory(program=program, member_id="M-2")
    # One statement on PostgreSQL (the codes as an array beside the row), two elsewhere.
    with django_assert_max_num_queries(1 if connection.vendor == "postgresql" else 2):
        found = member_with_segment_codes(program=program, member_id="M-1")
    assert found == member and found.segment_codes == frozenset({"VIP", "FAMILY"})
    assert member_with_segment_codes(program=program, member_id="M-2").segment_codes == frozenset()
    assert member_with_segment_codes(program=other_program, member_id="M-1") is None
    assert member_with_segment_codes(program=program, member_id="M\x001") is None


@pytest.mark.django_db
def test_segment_upload_preview_sorts_ids_without_writing(program, other_program):
    from members.models import SegmentMembership
    from members.selectors import segment_upload_preview

    segment = SegmentFactory(program=program, code="VIP")
    ann, bob = (MemberFactory(program=program, member_id=i) for i in ("ANN-1", "BOB-2"))
    MemberFactory(program=other_program, member_id="ZOE-9")
    segment_add_member(segment=segment, member=bob)

    preview = segment_upload_preview(segment=segment, member_ids=["ANN-1", "BOB-2", "ZOE-9", "ANN-1", "NOPE"])

    assert (preview.to_add, preview.already_in, preview.unknown) == (["ANN-1"], ["BOB-2"], ["ZOE-9", "NOPE"])
    assert SegmentMembership.objects.filter(segment=segment).count() == 1
    assert ann.memberships.count() == 0
