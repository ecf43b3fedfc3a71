"""Simultaneous PUTs of one member into one segment on PostgreSQL."""

import pytest

from conftest import issue_token
from members.models import SegmentMembership
from tests.concurrency import race
from tests.factories import MemberFactory, ProgramFactory, SegmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_puts_leave_one_membership(transactional_db):
    program = ProgramFactory(code="SEGC")
    MemberFactory(program=program, member_id="M-1")
    SegmentFactory(program=program, code="VIP")
    token = issue_token(program)
    responses = race(token, [("put", "/api/v1/segments/VIP/members/M-1", None)] * 20)
    assert [r.status_code for r in responses] == [200] * 20, [r.content for r in responses]
    assert sum(r.json()["added"] for r in responses) == 1
    assert SegmentMembership.objects.count() == 1
