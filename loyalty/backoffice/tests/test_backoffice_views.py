"""The back office's navigation, index, member list and page, customer-service actions (block/unblock, login
link), a segment's members (list, add, remove) and the readable names — each scoped to the user's programs."""

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from loyalty.backoffice.groups import CUSTOMER_SERVICE, FULFILMENT
from loyalty.backoffice.tests.helpers import admin_url, messages_of, readonly_values, staff_user
from members.models import Member, Segment, SegmentMembership
from programs.models import Tier
from rewards.models import PointsBalance, Redemption, RedemptionStatusChange, Voucher
from rewards.services.points import points_adjust
from tests.factories import GiftFactory, MemberFactory, SegmentFactory
from tests.helpers import fund

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
    member = MemberFactory(
        program=program, member_id="ANN-1", email="ann@example.com", first_name="Ann", last_name="Claes"
    )
    member.language = "nl"
    member.save(update_fields=["language"])
    return member


@pytest.fixture
def zoe(other_program):
    return MemberFactory(program=other_program, member_id="ZOE-9", email="zoe@example.com", first_name="Zoe")


def sidebar_titles(response) -> list[str]:
    return [item["title"] for group in response.context["sidebar_navigation"] for item in group["items"]]


# ---- navigation and index ---------------------------------------------------------------------------------------


def test_the_sidebar_lists_what_each_group_may_use(client, program):
    client.force_login(staff_user("pm", program))
    response = client.get("/admin/")
    groups = [group["title"] for group in response.context["sidebar_navigation"]]
    assert groups == ["Promotions", "Members & segments", "Catalog", "Redemptions", "Reports", "Settings"]
    titles = sidebar_titles(response)
    assert {"Promotions", "Members", "Segments", "Gifts", "Redemptions", "Dashboard", "Programs"} <= set(titles)
    assert "Staff users" not in titles and "Audit log" not in titles  # superusers only

    client.force_login(staff_user("cs", program, group=CUSTOMER_SERVICE))
    titles = sidebar_titles(client.get("/admin/"))
    assert "Members" in titles and "Promotions" not in titles and "Programs" not in titles

    client.force_login(staff_user("ff", program, group=FULFILMENT))
    titles = sidebar_titles(client.get("/admin/"))
    assert set(titles) == {"Gifts", "Categories", "Redemptions", "Dashboard"}


def test_a_superuser_sees_settings_and_the_audit_log(admin_client):
    titles = sidebar_titles(admin_client.get("/admin/"))
    assert {"Staff users", "Staff groups", "Audit log", "API clients", "Event types", "Webhooks"} <= set(titles)
    # Every link of the sidebar answers.
    for group in admin_client.get("/admin/").context["sidebar_navigation"]:
        for item in group["items"]:
            assert admin_client.get(item["link"]).status_code == 200, item["link"]


def test_the_calendar_is_linked_only_once_its_page_exists(admin_client):
    titles = sidebar_titles(admin_client.get("/admin/"))
    try:
        reverse("admin:rewards_promotion_calendar")
    except Exception:
        assert "Calendar" not in titles
    else:
        assert "Calendar" in titles


def test_the_header_names_the_program_of_single_program_staff(client, program, other_program, settings):
    client.force_login(staff_user("one", program))
    page = client.get("/admin/").content.decode()
    assert settings.BACKOFFICE_TITLE in page and "Demo Rewards" in page
    client.force_login(staff_user("two", program, other_program))
    response = client.get("/admin/")
    assert response.context["site_subheader"] is None


def test_the_index_counts_the_users_programs_only(web, program, other_program, ann, zoe):
    gift = GiftFactory(program=program, sku="MUG", points=10, stock=5)
    their_gift = GiftFactory(program=other_program, sku="MUG", points=10, stock=5)
    for member, item, reference in ((ann, gift, "R-1"), (zoe, their_gift, "R-9")):
        fund(member, 100)
        Redemption.objects.create(
            program=member.program, member=member, gift=item, reference=reference, quantity=1, points=10
        )
    response = web.get("/admin/")
    page = response.content.decode()
    assert re.search(r'id="waiting-redemptions">1<', page)
    assert re.search(r'id="active-members">1<', page)
    assert 'id="home-member-search"' in page
    # Each figure links to the rows it counts.
    waiting = next(f for f in response.context["figures"] if f["id"] == "waiting-redemptions")
    listed = web.get(waiting["url"])
    assert listed.status_code == 200 and [r.reference for r in listed.context["cl"].result_list] == ["R-1"]
    assert "Members &amp; segments" in page  # the jobs, as cards
    # The old one-column dashboard table is gone.
    assert 'id="dashboard-link"' not in page


# ---- member list --------------------------------------------------------------------------------------------------


def test_the_program_column_is_for_users_of_several_programs(client, program, other_program, ann):
    client.force_login(staff_user("one", program))
    columns = client.get(admin_url(Member, "changelist")).context["cl"].list_display
    assert "program" not in columns and {"available", "tier_name", "status_label"} <= set(columns)
    client.force_login(staff_user("two", program, other_program))
    assert "program" in client.get(admin_url(Member, "changelist")).context["cl"].list_display


def test_members_filter_by_status_segment_and_tier(web, program, ann, zoe):
    bob = MemberFactory(program=program, member_id="BOB-2")
    Member.objects.filter(pk=bob.pk).update(status=Member.BLOCKED)
    vip = SegmentFactory(program=program, code="VIP")
    SegmentMembership.objects.create(segment=vip, member=bob)
    gold = Tier.objects.create(program=program, code="GOLD", name={"en": "Gold"}, threshold=100)
    fund(ann, 150)
    PointsBalance.objects.filter(member=ann).update(
        tier=gold, tier_since="2026-01-01T00:00Z", tier_until="2027-01-01T00:00Z"
    )
    url = admin_url(Member, "changelist")

    def found(query: dict) -> set[str]:
        return {m.member_id for m in web.get(url, query).context["cl"].result_list}

    assert found({"status": "blocked"}) == {"BOB-2"}
    assert found({"memberships__segment__id__exact": vip.pk}) == {"BOB-2"}
    assert found({"balance__tier__id__exact": gold.pk}) == {"ANN-1"}
    assert found({"q": "ann@example.com"}) == {"ANN-1"}
    assert found({"q": "Claes"}) == {"ANN-1"}
    page = web.get(url).content.decode()
    assert "Blocked" in page and "Gold" in page  # words, not codes
    # The filters offer only this program's segments and tiers.
    SegmentFactory(program=zoe.program, code="THEIRS")
    specs = web.get(url).context["cl"].filter_specs
    offered = {str(label) for spec in specs for _, label in getattr(spec, "lookup_choices", [])}
    assert {"VIP", "GOLD", "Blocked"} <= offered and "THEIRS" not in offered
    # unfold's dropdowns, applied with the filter form's button.
    page = web.get(url).content.decode()
    assert 'name="memberships__segment__id__exact"' in page and 'name="balance__tier__id__exact"' in page


# ---- member page ----------------------------------------------------------------------------------------------------


def test_the_member_page_shows_expiring_points_and_redemptions(web, program, ann):
    program.expiry_months = 12
    program.save()
    points_adjust(program=program, member=ann, points=40, reference="ADJ-1", reason="welcome")
    gift = GiftFactory(program=program, sku="MUG", points=10, stock=5, name={"en": "Mug"})
    Redemption.objects.create(
        program=program, member=ann, gift=gift, reference="R-7", quantity=1, points=10, status="in_delivery"
    )
    response = web.get(admin_url(Member, "change", ann.pk))
    fields = readonly_values(response)
    assert "R-7" in fields["recent_redemptions"] and "Shipped" in fields["recent_redemptions"]
    assert "in_delivery" not in fields["recent_redemptions"]
    assert 'id="member-expiring"' in fields["expiring_points"]
    assert "Adjustment by staff" in fields["recent_ledger"]


# ---- block / unblock ------------------------------------------------------------------------------------------------


def test_block_and_unblock_from_the_member_page(web, ann):
    url = admin_url(Member, "status", ann.pk)
    page = web.get(admin_url(Member, "change", ann.pk)).content.decode()
    assert 'id="block-member"' in page and f'action="{url}"' in page
    assert web.get(url).status_code == 405

    response = web.post(url, {"status": "blocked"}, follow=True)
    ann.refresh_from_db()
    assert ann.status == Member.BLOCKED
    assert "ANN-1: Active → Blocked." in messages_of(response)
    assert 'id="unblock-member"' in response.content.decode()
    web.post(url, {"status": "active"})
    ann.refresh_from_db()
    assert ann.status == Member.ACTIVE
    assert [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(ann.pk)).order_by("id")] == [
        "Status active → blocked (from the member's page).",
        "Status blocked → active (from the member's page).",
    ]
    assert web.post(url, {"status": "merged"}).status_code == 302
    ann.refresh_from_db()
    assert ann.status == Member.ACTIVE  # only active and blocked are offered


def test_who_may_block(client, program, ann, zoe):
    client.force_login(staff_user("cs", program, group=CUSTOMER_SERVICE))
    assert client.post(admin_url(Member, "status", ann.pk), {"status": "blocked"}).status_code == 302
    assert client.post(admin_url(Member, "status", zoe.pk), {"status": "blocked"}).status_code == 404
    client.force_login(staff_user("ff", program, group=FULFILMENT))
    assert client.post(admin_url(Member, "status", ann.pk), {"status": "active"}).status_code == 403
    zoe.refresh_from_db()
    ann.refresh_from_db()
    assert (zoe.status, ann.status) == (Member.ACTIVE, Member.BLOCKED)


# ---- login link -----------------------------------------------------------------------------------------------------


def test_a_login_link_shown_to_copy_logs_the_member_in_once(web, client, ann):
    url = admin_url(Member, "login_link", ann.pk)
    assert 'id="login-link"' in web.get(admin_url(Member, "change", ann.pk)).content.decode()
    assert "login-link-url" not in web.get(url).content.decode()  # nothing is created by opening the page

    response = web.post(url, {"how": "show"})
    link = response.context["link"]
    assert re.fullmatch(r"http://testserver/shop/login/[A-Za-z0-9_-]{43}", link)
    page = response.content.decode()
    assert f'value="{link}"' in page and 'id="copy-login-link"' in page and "backoffice/copy.js" in page
    message = LogEntry.objects.get(object_id=str(ann.pk)).get_change_message()
    assert message == "One-time webshop login link created and shown to staff." and link not in message

    web.logout()
    assert client.get(link.removeprefix("http://testserver")).status_code == 302  # into the shop
    assert client.get(link.removeprefix("http://testserver")).status_code == 403  # once


def test_a_login_link_e_mailed_in_the_members_language(web, ann, mailoutbox):
    response = web.post(admin_url(Member, "login_link", ann.pk), {"how": "email"}, follow=True)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ann@example.com"]
    assert mail.subject == "Je aanmeldlink voor Demo Rewards"
    assert mail.body.startswith("Hallo Ann,") and re.search(
        r"http://testserver/shop/login/[A-Za-z0-9_-]{43}", mail.body
    )
    assert "A one-time login link was e-mailed to ann@example.com." in messages_of(response)
    assert LogEntry.objects.get(object_id=str(ann.pk)).get_change_message() == (
        "One-time webshop login link e-mailed to ann@example.com."
    )


class RefusingMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("no mail server")


def test_a_mail_server_that_refuses_is_reported_on_the_page(web, ann, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    response = web.post(admin_url(Member, "login_link", ann.pk), {"how": "email"})
    assert response.status_code == 200
    assert response.context["error"].startswith("The e-mail could not be sent")
    assert not LogEntry.objects.filter(object_id=str(ann.pk)).exists()


def test_no_login_link_for_a_blocked_member_or_without_an_address(web, program, ann, zoe, mailoutbox):
    nobody = MemberFactory(program=program, member_id="NO-MAIL", email="")
    response = web.post(admin_url(Member, "login_link", nobody.pk), {"how": "email"})
    assert response.context["error"] == "The member has no e-mail address." and not mailoutbox
    ann.status = Member.BLOCKED
    ann.save()
    assert web.get(admin_url(Member, "login_link", ann.pk)).status_code == 403
    assert 'id="login-link"' not in web.get(admin_url(Member, "change", ann.pk)).content.decode()
    assert web.post(admin_url(Member, "login_link", zoe.pk), {"how": "show"}).status_code == 404


# ---- a segment's members --------------------------------------------------------------------------------------------


def test_the_segment_page_lists_its_members_a_page_at_a_time(web, program):
    segment = SegmentFactory(program=program, code="VIP")
    for n in range(30):
        SegmentMembership.objects.create(segment=segment, member=MemberFactory(program=program, member_id=f"M-{n:02d}"))
    url = admin_url(Segment, "change", segment.pk)
    first = web.get(url)
    assert [r["member"].member_id for r in first.context["segment_rows"]][:2] == ["M-00", "M-01"]
    assert len(first.context["segment_rows"]) == 25 and "Page 1 of 2" in first.content.decode()
    second = web.get(url, {"page": 2})
    assert [r["member"].member_id for r in second.context["segment_rows"]] == [f"M-{n}" for n in range(25, 30)]


def test_add_and_remove_one_member(web, program, ann, zoe):
    segment = SegmentFactory(program=program, code="VIP")
    url = admin_url(Segment, "member", segment.pk)
    assert web.get(url).status_code == 405

    response = web.post(url, {"action": "add", "member_id": "ANN-1"}, follow=True)
    assert segment.memberships.filter(member=ann).exists()
    assert "ANN-1 added to VIP." in messages_of(response)
    assert 'data-member="ANN-1"' in response.content.decode()
    assert "ANN-1 was already in VIP." in messages_of(
        web.post(url, {"action": "add", "member_id": "ANN-1"}, follow=True)
    )
    # Another program's member is no member here.
    response = web.post(url, {"action": "add", "member_id": "ZOE-9"}, follow=True)
    assert "No member ZOE-9 in DEMO." in messages_of(response) and not segment.memberships.filter(member=zoe).exists()

    response = web.post(url, {"action": "remove", "member_id": "ANN-1"}, follow=True)
    assert not segment.memberships.exists() and "ANN-1 removed from VIP." in messages_of(response)
    assert [e.get_change_message() for e in LogEntry.objects.filter(object_id=str(segment.pk)).order_by("id")] == [
        "Member ANN-1 added.",
        "Member ANN-1 removed.",
    ]


def test_segment_members_are_out_of_reach_across_programs_and_for_view_only_staff(client, program, ann, zoe):
    theirs = SegmentFactory(program=zoe.program, code="THEIRS")
    SegmentMembership.objects.create(segment=theirs, member=zoe)
    mine = SegmentFactory(program=program, code="VIP")
    client.force_login(staff_user("pm", program))
    assert client.get(admin_url(Segment, "change", theirs.pk)).status_code == 404
    assert (
        client.post(admin_url(Segment, "member", theirs.pk), {"action": "remove", "member_id": "ZOE-9"}).status_code
        == 404
    )
    assert theirs.memberships.exists()
    # Customer service sees a segment's members but changes nothing.
    client.force_login(staff_user("cs", program, group=CUSTOMER_SERVICE))
    page = client.get(admin_url(Segment, "change", mine.pk))
    assert page.status_code == 200 and 'id="segment-add-member"' not in page.content.decode()
    assert (
        client.post(admin_url(Segment, "member", mine.pk), {"action": "add", "member_id": "ANN-1"}).status_code == 403
    )
    assert not mine.memberships.exists()


# ---- readable names -------------------------------------------------------------------------------------------------


def test_models_read_as_people_say_them(program, ann):
    gift = GiftFactory(program=program, sku="MUG", points=10, stock=5)
    redemption = Redemption.objects.create(
        program=program, member=ann, gift=gift, reference="R-142", quantity=1, points=10
    )
    change = RedemptionStatusChange.objects.create(
        redemption=redemption,
        from_status="in_preparation",
        to_status="in_delivery",
        created_at=datetime.datetime(2026, 11, 20, 10, tzinfo=datetime.UTC),
    )
    assert str(change) == "Redemption R-142 → Shipped on 2026-11-20"
    assert str(redemption) == "R-142 (Exchanged)"
    voucher = Voucher(program=program, redemption=redemption, code="ABCD-EFGH-1234", value=10, currency="EUR")
    assert str(voucher) == "Voucher …1234 (issued)" and "ABCD" not in str(voucher)
    segment = SegmentFactory(program=program, code="VIP")
    membership = SegmentMembership.objects.create(segment=segment, member=ann)
    assert str(membership) == "ANN-1 in VIP"
    assert str(PointsBalance.objects.get(member=ann)).startswith("Balance of ANN-1: 0 available")


def test_the_redemption_page_speaks_in_words(web, program, ann):
    gift = GiftFactory(program=program, sku="MUG", points=10, stock=5)
    redemption = Redemption.objects.create(
        program=program, member=ann, gift=gift, reference="R-1", quantity=1, points=10
    )
    response = web.get(admin_url(Redemption, "change", redemption.pk))
    fields = readonly_values(response)
    assert fields["status_label"] == "Exchanged"
    assert fields["next_statuses"] == "In preparation, Cancelled"
    page = response.content.decode()
    assert "Move to: In preparation" in page and "in_preparation</" not in page
    assert "Exchanged" in web.get(admin_url(Redemption, "changelist")).content.decode()
