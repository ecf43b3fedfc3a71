"""The members admin: search, balance, ledger, segments, block/unblock, points adjustment through the API's
service, and segment uploads — scoped to the user's programs."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from loyalty.backoffice.groups import CUSTOMER_SERVICE, FULFILMENT
from loyalty.backoffice.tests.helpers import admin_url, cell, messages_of, readonly_values, staff_user
from members.models import Member, Segment, SegmentMembership
from rewards.engine import Line
from rewards.models import EntryKind, LedgerEntry, PointsBalance
from rewards.rules import clear_cache
from rewards.selectors import balance_view
from rewards.services.earning import Basket, points_earn
from rewards.services.points import points_adjust
from tests.factories import MemberFactory, PromotionFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(program):
    return staff_user("manager", program)


@pytest.fixture
def web(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def ann(program):
    return MemberFactory(
        program=program, member_id="ANN-1", email="ann@example.com", first_name="Ann", last_name="Claes"
    )


@pytest.fixture
def stranger(other_program):
    member = MemberFactory(program=other_program, member_id="ZOE-9", email="zoe@example.com", first_name="Zoe")
    points_adjust(program=other_program, member=member, points=70, reference="THEIRS-1", reason="theirs")
    return member


def balance(member) -> dict:
    return balance_view(PointsBalance.objects.get(member=member), member.program)


# ---- pages ------------------------------------------------------------------------------------------------------


def test_every_member_and_segment_page_answers_for_a_manager(web, program, ann):
    segment = SegmentFactory(program=program, code="VIP")
    points_adjust(program=program, member=ann, points=10, reference="W-1", reason="welcome")
    entry = LedgerEntry.objects.get(member=ann)
    for url in (
        admin_url(Member, "changelist"),
        admin_url(Member, "add"),
        admin_url(Member, "change", ann.pk),
        admin_url(Member, "history", ann.pk),
        admin_url(Member, "adjust", ann.pk),
        admin_url(Segment, "changelist"),
        admin_url(Segment, "add"),
        admin_url(Segment, "change", segment.pk),
        admin_url(Segment, "history", segment.pk),
        admin_url(Segment, "upload", segment.pk),
        admin_url(LedgerEntry, "changelist"),
        admin_url(LedgerEntry, "change", entry.pk),
        admin_url(PointsBalance, "changelist"),
        admin_url(PointsBalance, "change", ann.pk),
    ):
        assert web.get(url).status_code == 200, url


@pytest.mark.parametrize("term", ["ANN-1", "ann@example.com", "Claes", "ann"])
def test_search_by_member_id_email_and_name(web, program, ann, term):
    MemberFactory(program=program, member_id="BOB-2", email="bob@example.com", first_name="Bob", last_name="Wouters")

    result = web.get(admin_url(Member, "changelist"), {"q": term}).context["cl"].result_list

    assert [m.member_id for m in result] == ["ANN-1"]


def test_member_page_shows_balance_segments_and_recent_ledger(web, program, ann):
    SegmentMembership.objects.create(segment=SegmentFactory(program=program, code="VIP"), member=ann)
    SegmentMembership.objects.create(segment=SegmentFactory(program=program, code="FAMILY"), member=ann)
    for n in range(55):
        points_adjust(program=program, member=ann, points=2, reference=f"W-{n}", reason=f"gift {n}")

    response = web.get(admin_url(Member, "change", ann.pk))

    page = response.content.decode()
    form = response.context["adminform"].form
    assert not {"balance_available", "available", "points"} & set(form.fields)  # read-only
    fields = readonly_values(response)
    assert (fields["balance_available"], fields["balance_total"]) == ("110", "110")
    assert fields["segment_codes"] == "FAMILY, VIP"
    assert page.count('data-kind="adjustment">Adjustment by staff<') == 50  # the last 50, newest first, in words
    assert "W-54" in page and "W-4<" not in page
    assert f"?member__id__exact={ann.pk}" in page
    assert admin_url(Member, "adjust", ann.pk) in page


def test_member_page_shows_the_balance_as_the_member_has_it_now(web, program, ann):
    # Pending points whose date has passed count as available, even before the clock job runs.
    program.pending_days = 1
    program.save()
    PromotionFactory(program=program, code="BASE")
    clear_cache()
    basket = Basket(lines=(Line("1", "MUG", None, 1, Decimal("30.00")),), occurred_at=timezone.now())
    points_earn(program=program, member=ann, basket=basket, reference="POS-1")
    # Two days later (available_at has passed), before the clock job has run.
    with time_machine.travel(timezone.now() + datetime.timedelta(days=2)):
        assert PointsBalance.objects.get(member=ann).pending == 30  # the stored row: the clock job has not run
        response = web.get(admin_url(Member, "change", ann.pk))

    fields = {
        line.field["name"]: line.contents()
        for fieldset in response.context["adminform"]
        for row in fieldset
        for line in row
        if line.is_readonly
    }
    assert (fields["balance_available"], fields["balance_pending"], fields["balance_total"]) == ("30", "0", "30")
    clear_cache()


# ---- adjust points ----------------------------------------------------------------------------------------------


def test_adjust_points_writes_an_adjustment_through_the_service(web, program, ann):
    response = web.post(admin_url(Member, "adjust", ann.pk), {"points": "120", "reason": "Goodwill: late parcel"})

    assert response.status_code == 302 and response["Location"] == admin_url(Member, "change", ann.pk)
    entry = LedgerEntry.objects.get(member=ann)
    assert entry.kind == EntryKind.ADJUSTMENT and entry.points == 120 and entry.available_delta == 120
    assert entry.description == "Goodwill: late parcel" and entry.reference.startswith("ADMIN-")
    assert entry.lots.get().remaining == 120  # a lot, like every credit
    assert balance(ann)["available"] == 120
    follow = web.get(response["Location"])
    assert any("New balance: 120 available" in m for m in messages_of(follow))
    log = LogEntry.objects.get(object_id=str(ann.pk))
    assert log.user.username == "manager" and f"Points adjusted +120 ({entry.reference})" in log.get_change_message()

    web.post(admin_url(Member, "adjust", ann.pk), {"points": "-20", "reason": "Correction"})
    assert balance(ann)["available"] == 100
    assert LedgerEntry.objects.filter(member=ann, kind="adjustment").count() == 2


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"points": "-5", "reason": "too much"}, "points", "has 0 available points"),
        ({"points": "0", "reason": "nothing"}, "points", "at least one point"),
        ({"points": "10", "reason": ""}, "reason", "required"),
        ({"points": "10", "reason": "   "}, "reason", "required"),
        ({"points": "ten", "reason": "x"}, "points", "whole number"),
    ],
)
def test_adjust_points_errors_are_form_errors(web, ann, data, field, words):
    response = web.post(admin_url(Member, "adjust", ann.pk), data)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and any(words in e.lower() for e in errors[field]), errors
    assert not LedgerEntry.objects.filter(member=ann).exists()


def test_customer_service_adjusts_and_fulfilment_may_not(client, program, ann):
    client.force_login(staff_user("help", program, group=CUSTOMER_SERVICE))
    assert client.get(admin_url(Member, "change", ann.pk)).status_code == 200
    assert client.post(admin_url(Member, "adjust", ann.pk), {"points": "5", "reason": "sorry"}).status_code == 302
    assert balance(ann)["available"] == 5

    client.force_login(staff_user("shipping", program, group=FULFILMENT))
    assert client.get(admin_url(Member, "adjust", ann.pk)).status_code == 403
    assert client.post(admin_url(Member, "adjust", ann.pk), {"points": "5", "reason": "x"}).status_code == 403
    assert balance(ann)["available"] == 5


# ---- block / unblock --------------------------------------------------------------------------------------------


def test_block_and_unblock_actions(web, program, ann):
    bob = MemberFactory(program=program, member_id="BOB-2")
    url = admin_url(Member, "changelist")

    web.post(url, {"action": "block", "_selected_action": [ann.pk, bob.pk]})
    assert set(Member.objects.filter(program=program).values_list("status", flat=True)) == {"blocked"}

    response = web.post(url, {"action": "unblock", "_selected_action": [ann.pk]}, follow=True)
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert (ann.status, bob.status) == ("active", "blocked")
    assert any("1 member(s) active: ANN-1" in m for m in messages_of(response))
    assert [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(ann.pk)).order_by("id")] == [
        "Status → blocked.",
        "Status → active.",
    ]


def test_a_blocked_member_can_still_be_adjusted(web, program, ann):
    web.post(admin_url(Member, "changelist"), {"action": "block", "_selected_action": [ann.pk]})
    response = web.post(admin_url(Member, "adjust", ann.pk), {"points": "10", "reason": "refund"})
    assert response.status_code == 302
    assert balance(ann)["available"] == 10


# ---- ledger -----------------------------------------------------------------------------------------------------


def test_ledger_is_read_only_and_filtered(web, program, ann, stranger):
    bob = MemberFactory(program=program, member_id="BOB-2")
    points_adjust(program=program, member=ann, points=10, reference="A-1", reason="a")
    points_adjust(program=program, member=bob, points=20, reference="B-1", reason="b")
    entry = LedgerEntry.objects.get(reference="A-1")

    url = admin_url(LedgerEntry, "changelist")
    assert {e.reference for e in web.get(url).context["cl"].result_list} == {"A-1", "B-1"}
    assert [e.reference for e in web.get(url, {"q": "BOB-2"}).context["cl"].result_list] == ["B-1"]
    assert [e.reference for e in web.get(url, {"q": "A-1"}).context["cl"].result_list] == ["A-1"]
    assert [e.reference for e in web.get(url, {"member__id__exact": ann.pk}).context["cl"].result_list] == ["A-1"]
    assert web.get(url, {"kind__exact": "earn"}).context["cl"].result_count == 0

    assert web.get(admin_url(LedgerEntry, "add")).status_code == 403
    assert web.post(admin_url(LedgerEntry, "change", entry.pk), {"points": "999"}).status_code == 403
    assert web.get(admin_url(LedgerEntry, "delete", entry.pk)).status_code == 403
    entry.refresh_from_db()
    assert entry.points == 10


# ---- segments ---------------------------------------------------------------------------------------------------


def test_segment_list_and_page_show_the_member_count(web, program):
    segment = SegmentFactory(program=program, code="VIP", name={"en": "VIP", "fr": "VIP FR"})
    for n in range(3):
        SegmentMembership.objects.create(segment=segment, member=MemberFactory(program=program, member_id=f"M-{n}"))

    assert cell(web.get(admin_url(Segment, "changelist")).content.decode(), "member_count") == "3"
    response = web.get(admin_url(Segment, "change", segment.pk))
    page = response.content.decode()
    assert readonly_values(response)["member_count"] == "3"
    inputs = {name: tag for tag in re.findall(r"<input[^>]+>", page) for name in re.findall(r'name="(name_\w+)"', tag)}
    assert 'value="VIP FR"' in inputs["name_fr"] and "value=" not in inputs["name_it"]


def test_segment_names_are_one_input_per_language(web, program):
    data = {"program": program.pk, "code": "STUDENTS", "name_en": "Students", "name_fr": "Étudiants"}
    data.update({"name_nl": "", "name_it": ""})
    assert web.post(admin_url(Segment, "add"), data).status_code == 302
    assert Segment.objects.get(code="STUDENTS").name == {"en": "Students", "fr": "Étudiants"}

    response = web.post(admin_url(Segment, "add"), {**data, "code": "BAD CODE"})
    assert "code" in response.context["adminform"].form.errors
    response = web.post(admin_url(Segment, "add"), {**data, "code": "STUDENTS"})
    assert "already has a segment STUDENTS" in str(response.context["adminform"].form.errors)
    response = web.post(admin_url(Segment, "add"), {**data, "code": "OTHER", "name_en": ""})
    assert "name_en" in response.context["adminform"].form.errors


def upload(web, segment, content: str, name: str = "ids.csv"):
    file = SimpleUploadedFile(name, content.encode(), content_type="text/csv")
    return web.post(admin_url(Segment, "upload", segment.pk), {"file": file})


def test_upload_a_csv_of_member_ids_previews_then_adds(web, program, ann, stranger):
    segment = SegmentFactory(program=program, code="VIP")
    bob = MemberFactory(program=program, member_id="BOB-2")
    SegmentMembership.objects.create(segment=segment, member=bob)

    response = upload(web, segment, "member_id,email\nANN-1,ann@example.com\nBOB-2,\nNOPE-1,\nZOE-9,\nANN-1,\n")

    # First the preview: nothing is written yet.
    preview = response.context["preview"]
    assert (preview.to_add, preview.already_in, preview.unknown) == (["ANN-1"], ["BOB-2"], ["NOPE-1", "ZOE-9"])
    assert set(segment.memberships.values_list("member__member_id", flat=True)) == {"BOB-2"}
    page = response.content.decode()
    assert 'id="preview-to-add">1<' in page and "<code>NOPE-1</code>" in page and "<code>ZOE-9</code>" in page
    assert not LogEntry.objects.filter(object_id=str(segment.pk)).exists()

    # Then the confirmation applies what the preview showed.
    token = response.context["token"]
    response = web.post(admin_url(Segment, "upload", segment.pk), {"confirm": "1", "token": token}, follow=True)
    assert set(segment.memberships.values_list("member__member_id", flat=True)) == {"ANN-1", "BOB-2"}
    assert any("1 member(s) added to VIP; 1 already in it; 2 unknown id(s)." in m for m in messages_of(response))
    assert "Uploaded ids.csv: 4 ids, 1 members added, 2 unknown." in [
        e.get_change_message() for e in LogEntry.objects.filter(object_id=str(segment.pk))
    ]
    # The preview is spent: confirming again adds nothing and says so.
    response = web.post(admin_url(Segment, "upload", segment.pk), {"confirm": "1", "token": token}, follow=True)
    assert any("expired" in m for m in messages_of(response))

    # A plain list, one id per line, uploaded again: nothing new.
    preview = upload(web, segment, "ANN-1\r\nBOB-2\r\n\r\n").context["preview"]
    assert (preview.to_add, preview.already_in, preview.unknown) == ([], ["ANN-1", "BOB-2"], [])


def test_a_preview_is_the_uploaders_own(client, web, program, ann):
    segment = SegmentFactory(program=program, code="VIP")
    token = upload(web, segment, "ANN-1\n").context["token"]
    client.force_login(staff_user("other-manager", program))
    client.post(admin_url(Segment, "upload", segment.pk), {"confirm": "1", "token": token})
    assert not segment.memberships.exists()


def test_upload_refuses_empty_and_binary_files(web, program):
    segment = SegmentFactory(program=program, code="VIP")
    assert "No member id" in str(upload(web, segment, "\n\n").context["form"].errors)
    file = SimpleUploadedFile("ids.csv", b"\xff\xfe\x00A", content_type="text/csv")
    response = web.post(admin_url(Segment, "upload", segment.pk), {"file": file})
    assert "not UTF-8" in str(response.context["form"].errors)


def test_many_ids_go_in_chunks(program):
    from members.services import segment_members_add

    segment = SegmentFactory(program=program, code="VIP")
    members = [MemberFactory(program=program, member_id=f"M-{n}") for n in range(12)]
    import members.services as services

    previous, services.BULK_CHUNK = services.BULK_CHUNK, 5
    try:
        result = segment_members_add(segment=segment, member_ids=[m.member_id for m in members] + ["X-1"])
    finally:
        services.BULK_CHUNK = previous
    assert (result.added, result.unknown_members) == (12, ["X-1"])


# ---- scoping ----------------------------------------------------------------------------------------------------


def test_another_programs_members_are_out_of_reach(web, program, ann, stranger):
    their_segment = SegmentFactory(program=stranger.program, code="THEIRS")

    page = web.get(admin_url(Member, "changelist")).content.decode()
    assert "ANN-1" in page and "ZOE-9" not in page
    assert web.get(admin_url(Member, "changelist"), {"q": "zoe"}).context["cl"].result_count == 0
    assert "THEIR" not in web.get(admin_url(LedgerEntry, "changelist")).content.decode()
    assert "THEIRS" not in web.get(admin_url(Segment, "changelist")).content.decode()

    for url in (
        admin_url(Member, "change", stranger.pk),
        admin_url(Member, "history", stranger.pk),
        admin_url(Member, "adjust", stranger.pk),
        admin_url(Segment, "change", their_segment.pk),
        admin_url(Segment, "upload", their_segment.pk),
        admin_url(LedgerEntry, "change", LedgerEntry.objects.get(member=stranger).pk),
        admin_url(PointsBalance, "change", stranger.pk),
    ):
        response = web.get(url)
        assert response.status_code == 404, url

    assert web.post(admin_url(Member, "adjust", stranger.pk), {"points": "5", "reason": "x"}).status_code == 404
    web.post(admin_url(Member, "changelist"), {"action": "block", "_selected_action": [stranger.pk]})
    stranger.refresh_from_db()
    assert stranger.status == "active" and balance(stranger)["available"] == 70
    response = upload(web, their_segment, "ZOE-9\n")
    assert response.status_code == 404 and not their_segment.memberships.exists()


def test_member_form_program_choices_are_scoped(web, program, other_program):
    form = web.get(admin_url(Member, "add")).context["adminform"].form
    assert list(form.fields["program"].queryset) == [program]

    response = web.post(admin_url(Member, "add"), {"program": other_program.pk, "member_id": "NEW-1", "language": "en"})
    assert "program" in response.context["adminform"].form.errors
    assert not Member.objects.filter(member_id="NEW-1").exists()

    response = web.post(admin_url(Member, "add"), {"program": program.pk, "member_id": "NEW-1", "language": "en"})
    assert response.status_code == 302
    assert PointsBalance.objects.filter(member__member_id="NEW-1").exists()  # enrolled through the service


def test_a_read_only_user_sees_the_names_in_every_language(client, program):
    from loyalty.backoffice.groups import CUSTOMER_SERVICE

    client.force_login(staff_user("help", program, group=CUSTOMER_SERVICE))
    segment = SegmentFactory(program=program, code="VIP", name={"fr": "Très important", "en": "Very important"})

    response = client.get(admin_url(Segment, "change", segment.pk))

    assert response.status_code == 200 and not response.context["adminform"].form.fields
    assert "English: Very important · Français: Très important" in response.content.decode()
