"""The member page's data rights and merge: "Download export" (the API's document as a JSON file), "Erase" (typed
confirmation, program managers only) and "Merge into…" (a preview, then `member_merge`) — scoped to the user's
programs, each logged in the members' history."""

import datetime
import json

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from loyalty.api.member_export import member_export
from loyalty.backoffice.groups import CUSTOMER_SERVICE, FULFILMENT
from loyalty.backoffice.tests.helpers import admin_url, messages_of, staff_user
from members.models import Member, MemberErasure, SegmentMembership
from members.selectors import member_get
from programs.services import tier_save
from rewards.models import LedgerEntry, PointsBalance, PointsLot, Redemption
from rewards.services.merge import member_merge
from rewards.services.points import points_lock
from rewards.services.redemption import redemption_transition
from tests.factories import GiftFactory, MemberFactory, SegmentFactory
from tests.helpers import credit_pending, fund

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 18, 11, 0, tzinfo=datetime.UTC)
DELIVERY = {"name": "Ann Example", "street": "Rue Haute 1", "postal_code": "1000", "city": "Brussels", "country": "BE"}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager(program):
    return staff_user("manager", program)


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def ann(program):
    return MemberFactory(program=program, member_id="ANN-1", email="ann@example.org", first_name="Ann")


@pytest.fixture
def dup(program):
    return MemberFactory(program=program, member_id="ANN-2", email="ann.old@example.org")


def logs_of(member) -> list[str]:
    return [entry.get_change_message() for entry in LogEntry.objects.filter(object_id=str(member.pk))]


# ---- export ---------------------------------------------------------------------------------------------------


def test_download_export_is_the_api_document_as_a_file(web, program, ann):
    fund(ann, 120)
    response = web.get(admin_url(Member, "export", ann.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == "attachment; filename=member-ANN-1-export.json"
    expected = member_export(member=member_get(program=program, member_id="ANN-1"), language=program.default_language)
    assert json.loads(response.content) == json.loads(json.dumps(expected))
    assert json.loads(response.content)["balance"]["available"] == 120
    assert logs_of(ann) == ["Data exported (JSON download)."]


def test_export_for_customer_service_not_fulfilment_and_not_another_program(client, program, other_program, ann):
    client.force_login(staff_user("help", program, group=CUSTOMER_SERVICE))
    assert client.get(admin_url(Member, "export", ann.pk)).status_code == 200
    assert 'id="export-link"' in client.get(admin_url(Member, "change", ann.pk)).content.decode()

    client.force_login(staff_user("shipping", program, group=FULFILMENT))
    assert client.get(admin_url(Member, "export", ann.pk)).status_code == 403

    client.force_login(staff_user("elsewhere", other_program))
    assert client.get(admin_url(Member, "export", ann.pk)).status_code == 404
    assert len(logs_of(ann)) == 1


# ---- erase ----------------------------------------------------------------------------------------------------


def test_erase_needs_the_member_id_typed_exactly(web, ann):
    url = admin_url(Member, "erase", ann.pk)
    page = web.get(url)
    assert page.status_code == 200 and "cannot be undone" in page.content.decode()

    for typed in ("ANN", "ann-1", " ANN-1", ""):
        response = web.post(url, {"confirm": typed})
        assert response.status_code == 200 and response.context["form"].errors
    ann.refresh_from_db()
    assert ann.erased_at is None and ann.email == "ann@example.org"
    assert not MemberErasure.objects.exists()


def test_erase_by_a_program_manager(web, program, ann):
    response = web.post(admin_url(Member, "erase", ann.pk), {"confirm": "ANN-1"})

    assert response.status_code == 302 and response["Location"] == admin_url(Member, "changelist")
    ann.refresh_from_db()
    erasure = MemberErasure.objects.get()
    assert ann.member_id == erasure.pseudonym and ann.erased_at is not None and ann.email == ""
    assert erasure.actor == "staff:manager" and erasure.program == program
    assert any(erasure.pseudonym in m for m in messages_of(web.get(response["Location"])))
    log = LogEntry.objects.get(object_id=str(ann.pk))
    assert log.user.username == "manager" and log.object_repr == erasure.pseudonym
    assert log.get_change_message() == f"Personal data erased; pseudonym {erasure.pseudonym}."
    assert "ANN-1" not in log.get_change_message() and "ann@example.org" not in log.get_change_message()
    assert 'id="erase-link"' not in web.get(admin_url(Member, "change", ann.pk)).content.decode()


def test_erase_refused_while_a_physical_gift_is_on_its_way(web, api, program, ann):
    fund(ann, 1000)
    GiftFactory(program=program, sku="MUG", points=500)
    answer = api.post(
        "/api/v1/redemptions", {"reference": "RD-1", "member_id": "ANN-1", "gift": "MUG", "delivery": DELIVERY}
    )
    redemption_transition(redemption=Redemption.objects.get(pk=answer.json()["id"]), status="in_preparation")

    response = web.post(admin_url(Member, "erase", ann.pk), {"confirm": "ANN-1"})

    assert response.status_code == 200
    assert any("not delivered yet" in e for e in response.context["form"].non_field_errors())
    ann.refresh_from_db()
    assert ann.erased_at is None and not MemberErasure.objects.exists() and not logs_of(ann)


def test_erase_is_for_program_managers_only(client, program, other_program, ann):
    client.force_login(staff_user("help", program, group=CUSTOMER_SERVICE))
    assert 'id="erase-link"' not in client.get(admin_url(Member, "change", ann.pk)).content.decode()
    assert client.get(admin_url(Member, "erase", ann.pk)).status_code == 403
    assert client.post(admin_url(Member, "erase", ann.pk), {"confirm": "ANN-1"}).status_code == 403

    client.force_login(staff_user("elsewhere", other_program))
    assert client.post(admin_url(Member, "erase", ann.pk), {"confirm": "ANN-1"}).status_code == 404
    ann.refresh_from_db()
    assert ann.erased_at is None and not MemberErasure.objects.exists()


# ---- merge ----------------------------------------------------------------------------------------------------


def test_the_target_is_a_member_of_the_same_program(web, program, other_program, ann, dup):
    MemberFactory(program=other_program, member_id="FAR-1")
    url = admin_url(Member, "merge", dup.pk)
    assert web.get(url).status_code == 200

    for typed, words in (("FAR-1", "no member far-1"), ("NOPE", "no member nope"), ("ANN-2", "into itself")):
        response = web.post(url, {"target": typed})
        assert response.status_code == 200 and response.context["preview"] is None
        assert any(words in e.lower() for e in response.context["form"].errors["target"])


def test_the_preview_shows_what_would_move(web, program, ann, dup):
    silver = tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=100)
    expires = NOW + datetime.timedelta(days=30)
    available_at = NOW + datetime.timedelta(days=5)
    fund(dup, 40, expires_at=expires)
    fund(dup, 60)
    credit_pending(dup, 25, available_at)
    fund(ann, 10)
    PointsBalance.objects.filter(member=dup).update(
        qualifying_points=150, tier=silver, tier_since=NOW, tier_until=NOW + datetime.timedelta(days=365)
    )
    PointsBalance.objects.filter(member=ann).update(qualifying_points=30)
    vip, family = SegmentFactory(program=program, code="VIP"), SegmentFactory(program=program, code="FAMILY")
    SegmentMembership.objects.create(segment=vip, member=ann)
    SegmentMembership.objects.create(segment=vip, member=dup)
    SegmentMembership.objects.create(segment=family, member=dup)

    response = web.post(admin_url(Member, "merge", dup.pk), {"target": "ANN-1"})

    preview = response.context["preview"]
    assert (preview.source.balance["available"], preview.source.balance["pending"]) == (100, 25)
    assert preview.target.balance["available"] == 10
    assert sorted((lot.points, lot.pending, lot.expires_at) for lot in preview.lots) == [
        (25, True, None),
        (40, False, expires),
        (60, False, None),
    ]
    assert next(lot for lot in preview.lots if lot.pending).available_at == available_at
    assert (preview.source.qualifying_points, preview.target.qualifying_points, preview.qualifying_points) == (
        150,
        30,
        180,
    )
    assert (preview.source.tier, preview.target.tier, preview.tier_kept) == (silver, None, silver)
    assert (preview.segments_united, preview.segments_added) == (["FAMILY", "VIP"], ["FAMILY"])
    assert not preview.blocked
    page = response.content.decode()
    assert 'id="merge-confirm"' in page and "2026-04-17" in page  # the lot's expiry date
    # Nothing moved yet.
    assert not LedgerEntry.objects.filter(kind__in=["merge_in", "merge_out"]).exists()


def test_open_locks_block_the_merge_in_the_preview_and_the_service(web, program, ann, dup):
    fund(dup, 50)
    points_lock(program=program, member=dup, points=10, reference="L-1", expires_in=600)

    preview_page = web.post(admin_url(Member, "merge", dup.pk), {"target": "ANN-1"})
    assert preview_page.context["preview"].blocked and 'id="merge-confirm"' not in preview_page.content.decode()
    assert "L-1" in preview_page.content.decode()

    forced = web.post(admin_url(Member, "merge", dup.pk), {"target": "ANN-1", "confirm": "1"})
    assert forced.status_code == 200 and "open locks" in forced.context["error"]
    dup.refresh_from_db()
    assert dup.status == Member.ACTIVE and not logs_of(dup)


def test_confirming_merges_logs_both_and_lands_on_the_target(web, program, ann, dup):
    fund(dup, 100, expires_at=NOW + datetime.timedelta(days=30))
    fund(ann, 10)

    response = web.post(admin_url(Member, "merge", dup.pk), {"target": "ANN-1", "confirm": "1"})

    assert response.status_code == 302 and response["Location"] == admin_url(Member, "change", ann.pk)
    dup.refresh_from_db()
    assert (dup.status, dup.merged_into) == (Member.MERGED, ann)
    entry = LedgerEntry.objects.get(member=ann, kind="merge_in")
    assert entry.reference.startswith("ADMIN-MERGE-") and len(entry.reference) == len("ADMIN-MERGE-") + 32
    assert PointsBalance.objects.get(member=ann).available == 110
    assert PointsLot.objects.filter(member=ann, remaining=100, expires_at=NOW + datetime.timedelta(days=30)).exists()
    assert logs_of(dup) == [f"Merged into ANN-1 ({entry.reference}): 100 available and 0 pending points moved."]
    assert logs_of(ann) == [f"Merged from ANN-2 ({entry.reference}): 100 available and 0 pending points moved."]
    assert any("ANN-2 merged into ANN-1" in m for m in messages_of(web.get(response["Location"])))


def test_a_merged_members_page_links_to_the_target_and_offers_no_merge_or_adjustment(web, program, ann, dup):
    member_merge(program=program, target=ann, source=dup, reference="MRG-1")

    page = web.get(admin_url(Member, "change", dup.pk)).content.decode()

    assert 'id="merged-into"' in page and f'href="{admin_url(Member, "change", ann.pk)}"' in page
    assert admin_url(Member, "merge", dup.pk) not in page and admin_url(Member, "adjust", dup.pk) not in page
    assert admin_url(Member, "tier", dup.pk) not in page
    assert web.get(admin_url(Member, "merge", dup.pk)).status_code == 403
    assert web.get(admin_url(Member, "adjust", dup.pk)).status_code == 403
    # The target offers them still.
    target_page = web.get(admin_url(Member, "change", ann.pk)).content.decode()
    assert admin_url(Member, "merge", ann.pk) in target_page and 'id="merged-into"' not in target_page


def test_a_refused_merge_is_shown(web, program, ann, dup):
    Member.objects.filter(pk=ann.pk).update(status=Member.BLOCKED)

    response = web.post(admin_url(Member, "merge", dup.pk), {"target": "ANN-1", "confirm": "1"})

    assert response.status_code == 200 and "nothing can be merged into it" in response.context["error"]
    assert "nothing can be merged into it" in response.content.decode()
    dup.refresh_from_db()
    assert dup.status == Member.ACTIVE


def test_merge_for_customer_service_not_fulfilment_and_not_another_program(client, program, other_program, ann, dup):
    client.force_login(staff_user("help", program, group=CUSTOMER_SERVICE))
    assert client.post(admin_url(Member, "merge", dup.pk), {"target": "ANN-1"}).status_code == 200
    assert client.post(admin_url(Member, "merge", dup.pk), {"target": "ANN-1", "confirm": "1"}).status_code == 302
    dup.refresh_from_db()
    assert dup.status == Member.MERGED

    other = MemberFactory(program=program, member_id="BOB-3")
    client.force_login(staff_user("shipping", program, group=FULFILMENT))
    assert client.post(admin_url(Member, "merge", other.pk), {"target": "ANN-1", "confirm": "1"}).status_code == 403

    client.force_login(staff_user("elsewhere", other_program))
    assert client.get(admin_url(Member, "merge", other.pk)).status_code == 404
    other.refresh_from_db()
    assert other.status == Member.ACTIVE
    assert timezone.now() == NOW
