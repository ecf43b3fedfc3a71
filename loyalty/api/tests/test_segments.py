"""Segments and Segment Member Mapping over the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Member, SegmentMembership
from tests.factories import MemberFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip(program):
    return SegmentFactory(program=program, code="VIP", name={"en": "VIP customers", "fr": "Clients VIP"})


def test_list_segments_with_counts_and_language(api, program, member, vip):
    SegmentFactory(program=program, code="NEW")
    SegmentMembership.objects.create(segment=vip, member=member)
    r = api.get("/api/v1/segments?lang=fr")
    assert r.status_code == 200
    assert r.json() == {
        "results": [
            {"code": "NEW", "name": "Segment NEW", "member_count": 0},
            {"code": "VIP", "name": "Clients VIP", "member_count": 1},
        ],
        "next": None,
    }


def test_put_and_delete_are_idempotent(api, member, vip):
    first = api.put("/api/v1/segments/VIP/members/M-1")
    assert first.status_code == 200
    assert first.json() == {"segment": "VIP", "member_id": "M-1", "added": True}
    second = api.put("/api/v1/segments/VIP/members/M-1")
    assert second.status_code == 200 and second.json()["added"] is False
    assert SegmentMembership.objects.count() == 1
    assert api.get("/api/v1/members/M-1").json()["segments"] == ["VIP"]
    assert api.delete("/api/v1/segments/VIP/members/M-1").status_code == 204
    assert api.delete("/api/v1/segments/VIP/members/M-1").status_code == 204
    assert SegmentMembership.objects.count() == 0
    assert api.get("/api/v1/members/M-1").json()["segments"] == []


def test_unknown_segment_or_member_is_404(api, member, vip):
    for method in ("put", "delete"):
        assert getattr(api, method)("/api/v1/segments/NOPE/members/M-1").status_code == 404
        r = getattr(api, method)("/api/v1/segments/VIP/members/NOPE")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api.post("/api/v1/segments/NOPE/members", {"add": ["M-1"]}).status_code == 404


def test_bulk_add_and_remove_with_unknown_ids(api, program, vip):
    members = [MemberFactory(program=program, member_id=f"B-{i}") for i in range(5)]
    SegmentMembership.objects.create(segment=vip, member=members[0])
    r = api.post(
        "/api/v1/segments/VIP/members", {"add": ["B-0", "B-1", "B-2", "GHOST-1"], "remove": ["B-3", "GHOST-2"]}
    )
    assert r.status_code == 200, r.content
    assert r.json() == {"added": 2, "removed": 0, "unknown_members": ["GHOST-1", "GHOST-2"]}
    r = api.post("/api/v1/segments/VIP/members", {"remove": ["B-0", "B-1", "B-4"]})
    assert r.json() == {"added": 0, "removed": 2, "unknown_members": []}
    assert set(vip.members.values_list("member_id", flat=True)) == {"B-2"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"add": "B-1"}, "add"),
        ({"add": [12]}, "add.0"),
        ({"add": ["ok", "has space"]}, "add.1"),
        ({"remove": ["x" * 65]}, "remove.0"),
        ({"add": ["A"], "remove": ["A"]}, "remove"),
        ({"add": [f"M-{i}" for i in range(6000)], "remove": [f"R-{i}" for i in range(4001)]}, "add"),
    ],
)
def test_bulk_bad_input(api, program, vip, body, field):
    MemberFactory(program=program, member_id="A")
    r = api.post("/api/v1/segments/VIP/members", body)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert SegmentMembership.objects.count() == 0


def test_bulk_of_10000_is_accepted_in_constant_queries(api, program, vip):
    Member.objects.bulk_create(Member(program=program, member_id=f"X-{i}") for i in range(10_000))
    small_ids = [f"X-{i}" for i in range(10)]
    api.get("/api/v1/program")  # the token's grant is cached: every call below costs the same for it
    with CaptureQueriesContext(connection) as small:
        assert api.post("/api/v1/segments/VIP/members", {"add": small_ids}).json()["added"] == 10
    ids = [f"X-{i}" for i in range(10_000)]
    with CaptureQueriesContext(connection) as large:
        r = api.post("/api/v1/segments/VIP/members", {"add": ids})
    assert r.json() == {"added": 9_990, "removed": 0, "unknown_members": []}
    if connection.vendor == "postgresql":
        assert len(large.captured_queries) == len(small.captured_queries)
    with CaptureQueriesContext(connection) as removing:
        assert api.post("/api/v1/segments/VIP/members", {"remove": ids}).json()["removed"] == 10_000
    if connection.vendor == "postgresql":
        assert len(removing.captured_queries) <= len(small.captured_queries)


def test_other_programs_segments_are_invisible(api, other_api, other_program, member, vip):
    SegmentFactory(program=other_program, code="THEIRS")
    MemberFactory(program=other_program, member_id="M-1")
    assert [s["code"] for s in other_api.get("/api/v1/segments").json()["results"]] == ["THEIRS"]
    assert other_api.put("/api/v1/segments/VIP/members/M-1").status_code == 404
    assert api.put("/api/v1/segments/THEIRS/members/M-1").status_code == 404


def test_segment_names_follow_the_accept_language_preference(api, program, vip):
    # Accept-Language ranks by quality, not by position: French (0.9) before Dutch (0.2); q=0 refuses a language.
    names = {
        header: api.get("/api/v1/segments", HTTP_ACCEPT_LANGUAGE=header).json()["results"][0]["name"]
        for header in ("nl;q=0.2, fr;q=0.9", "fr;q=0, nl", "fr;q=0")
    }
    assert names == {"nl;q=0.2, fr;q=0.9": "Clients VIP", "fr;q=0, nl": "VIP customers", "fr;q=0": "VIP customers"}
    assert api.get("/api/v1/segments?lang=FR").json()["results"][0]["name"] == "Clients VIP"
