"""The member's tier set by hand in the admin ("Set tier by hand": `tier_override` with a reason and an end
date read in the program's time zone, logged in the member's history) and the last tier changes on the member
page — scoped to the user's programs, for those who may change members and adjust their points."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission

from loyalty.backoffice.groups import CUSTOMER_SERVICE, FULFILMENT
from loyalty.backoffice.tests.helpers import admin_url, messages_of, staff_user
from members.models import Member
from programs.services import tier_save
from rewards.models import PointsBalance, TierChange
from rewards.services.tiers import tier_override
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
# A Wednesday noon in Brussels (the factories' program time zone).
NOW = datetime.datetime(2026, 3, 18, 11, 0, tzinfo=datetime.UTC)


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
def silver(program):
    return tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=1000)


@pytest.fixture
def gold(program):
    return tier_save(program=program, code="GOLD", name={"en": "Gold", "fr": "Or"}, threshold=5000)


@pytest.fixture
def ann(program):
    return MemberFactory(program=program, member_id="ANN-1")


def balance_of(member) -> PointsBalance:
    return PointsBalance.objects.select_related("tier").get(member=member)


def tier_url(member) -> str:
    return admin_url(Member, "tier", member.pk)


# ---- the form ---------------------------------------------------------------------------------------------------


def test_the_form_offers_the_programs_tiers_and_no_tier(web, program, other_program, silver, gold, ann):
    tier_save(program=other_program, code="BRONZE", name={"en": "Bronze"}, threshold=10)

    response = web.get(tier_url(ann))

    assert response.status_code == 200
    field = response.context["form"].fields["tier"]
    assert [tier.code for tier in field.queryset] == ["SILVER", "GOLD"]
    page = response.content.decode()
    assert '<option value="" selected>No tier</option>' in page
    assert f'<option value="{gold.pk}">Gold (GOLD)</option>' in page and "BRONZE" not in page
    assert 'type="date"' in page and 'min="2026-03-18"' in page  # a date picker, from today in Brussels
    assert "end of this day in the program's time zone (Europe/Brussels)" in page
    assert '<strong id="tier-now">No tier</strong>' in page

    tier_override(balance=balance_of(ann), tier=gold, reason="trial", until=NOW + datetime.timedelta(days=30))
    page = web.get(tier_url(ann)).content.decode()
    assert f'<option value="{gold.pk}" selected>Gold (GOLD)</option>' in page  # the current tier first
    assert '<strong id="tier-now">Gold</strong>' in page


def test_setting_a_tier_goes_through_the_service_and_is_logged(web, program, silver, gold, ann):
    response = web.post(tier_url(ann), {"tier": gold.pk, "reason": "Complaint: keep Gold", "until": "2026-06-30"})

    assert response.status_code == 302 and response["Location"] == admin_url(Member, "change", ann.pk)
    balance = balance_of(ann)
    end = datetime.datetime(2026, 7, 1, 0, 0, tzinfo=BRUSSELS)  # the end of 30 June in Brussels
    assert balance.tier == gold and balance.tier_since == NOW
    assert balance.tier_until == end and balance.tier_override_until == end
    assert balance.tier_override_reason == "Complaint: keep Gold"
    change = TierChange.objects.get(member=ann)
    assert (change.from_tier, change.to_tier, change.reason, change.note) == (
        None,
        gold,
        TierChange.OVERRIDE,
        "Complaint: keep Gold",
    )
    log = LogEntry.objects.get(object_id=str(ann.pk))
    assert log.user.username == "manager"
    assert log.get_change_message() == "Tier set by hand no tier → GOLD until 2026-06-30: Complaint: keep Gold"
    follow = web.get(response["Location"])
    assert "ANN-1: tier no tier → GOLD until 2026-06-30." in messages_of(follow)


def test_no_tier_takes_the_tier_away(web, program, silver, ann):
    tier_override(balance=balance_of(ann), tier=silver, reason="trial", until=NOW + datetime.timedelta(days=30))

    response = web.post(tier_url(ann), {"tier": "", "reason": "Trial over", "until": "2026-03-19"})

    assert response.status_code == 302
    balance = balance_of(ann)
    assert balance.tier is None and balance.tier_override_until is None and balance.tier_override_reason == ""
    latest = TierChange.objects.filter(member=ann).first()
    assert (latest.from_tier, latest.to_tier, latest.note) == (silver, None, "Trial over")
    assert "Tier set by hand SILVER → no tier: Trial over" in LogEntry.objects.get().get_change_message()


def test_today_is_kept_to_the_end_of_the_day_in_the_programs_zone(web, program, gold, ann):
    # 23:30 UTC on the 18th is already the 19th in Brussels: the 18th is over there.
    with time_machine.travel(datetime.datetime(2026, 3, 18, 23, 30, tzinfo=datetime.UTC), tick=False):
        response = web.post(tier_url(ann), {"tier": gold.pk, "reason": "x", "until": "2026-03-18"})
        assert response.status_code == 200 and "today or later" in response.context["form"].errors["until"][0]
        response = web.post(tier_url(ann), {"tier": gold.pk, "reason": "x", "until": "2026-03-19"})
        assert response.status_code == 302
    assert balance_of(ann).tier_override_until == datetime.datetime(2026, 3, 20, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"reason": "", "until": "2026-06-30"}, "reason", "required"),
        ({"reason": "   ", "until": "2026-06-30"}, "reason", "required"),
        ({"reason": "why", "until": ""}, "until", "required"),
        ({"reason": "why", "until": "2026-03-17"}, "until", "today or later"),
        ({"reason": "why", "until": "30/06/2026"}, "until", "valid date"),
        ({"reason": "why", "until": "2026-06-30", "tier": "999999"}, "tier", "valid choice"),
    ],
)
def test_form_errors(web, gold, ann, data, field, words):
    response = web.post(tier_url(ann), {"tier": gold.pk, **data})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and any(words in e.lower() for e in errors[field]), errors
    assert balance_of(ann).tier is None and not TierChange.objects.exists() and not LogEntry.objects.exists()


def test_another_programs_tier_is_not_a_choice(web, program, other_program, ann):
    theirs = tier_save(program=other_program, code="BRONZE", name={"en": "Bronze"}, threshold=10)

    response = web.post(tier_url(ann), {"tier": theirs.pk, "reason": "why", "until": "2026-06-30"})

    assert "tier" in response.context["form"].errors and balance_of(ann).tier is None


def test_the_services_refusals_are_shown_on_the_form(web, monkeypatch, gold, ann):
    def refuse(**kwargs):
        raise ValueError("The end date must be in the future.")

    monkeypatch.setattr("loyalty.backoffice.members.tier_override", refuse)

    response = web.post(tier_url(ann), {"tier": gold.pk, "reason": "why", "until": "2026-06-30"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["The end date must be in the future."]
    assert "The end date must be in the future." in response.content.decode()
    assert not LogEntry.objects.exists()


# ---- who may ----------------------------------------------------------------------------------------------------


def test_customer_service_sets_tiers_and_fulfilment_may_not(client, program, gold, ann):
    client.force_login(staff_user("help", program, group=CUSTOMER_SERVICE))
    assert client.get(tier_url(ann)).status_code == 200
    data = {"tier": gold.pk, "reason": "goodwill", "until": "2026-04-30"}
    assert client.post(tier_url(ann), data).status_code == 302
    assert balance_of(ann).tier == gold

    client.force_login(staff_user("shipping", program, group=FULFILMENT))
    assert client.get(tier_url(ann)).status_code == 403
    assert client.post(tier_url(ann), {**data, "tier": ""}).status_code == 403
    assert balance_of(ann).tier == gold


def test_adjusting_points_without_changing_members_is_not_enough(client, program, gold, ann):
    user = staff_user("viewer", program, group=FULFILMENT)
    user.user_permissions.add(
        Permission.objects.get(codename="view_member"), Permission.objects.get(codename="add_ledgerentry")
    )
    client.force_login(user)

    assert client.get(admin_url(Member, "adjust", ann.pk)).status_code == 200  # may adjust points...
    assert client.get(tier_url(ann)).status_code == 403  # ...but not change the member
    page = client.get(admin_url(Member, "change", ann.pk)).content.decode()
    assert "Set tier by hand" not in page


def test_another_programs_member_is_out_of_reach(web, other_program):
    zoe = MemberFactory(program=other_program, member_id="ZOE-9")
    theirs = tier_save(program=other_program, code="BRONZE", name={"en": "Bronze"}, threshold=10)

    assert web.get(tier_url(zoe)).status_code == 404
    assert web.post(tier_url(zoe), {"tier": theirs.pk, "reason": "x", "until": "2026-06-30"}).status_code == 404
    assert balance_of(zoe).tier is None


# ---- the member page --------------------------------------------------------------------------------------------


def test_the_member_page_links_to_the_form_next_to_the_tier(web, program, ann):
    page = web.get(admin_url(Member, "change", ann.pk)).content.decode()

    link = re.search(r'<a class="[^"]*" id="set-tier" href="([^"]+)">Set tier by hand</a>', page)
    assert link and link.group(1) == tier_url(ann) and page.index('<table id="member-tier">') < link.start()
    assert page.count(f'href="{tier_url(ann)}"') == 1
    assert "No tier change yet." in page


def test_the_member_page_shows_the_last_tier_changes(web, program, silver, gold, ann):
    balance = balance_of(ann)
    until = NOW + datetime.timedelta(days=90)
    for day, tier, note in [
        (1, silver, "one"),
        (2, gold, "two"),
        (3, None, "three"),
        (4, silver, "four"),
        (5, gold, "five"),
        (6, silver, "six <b>"),
    ]:
        at = NOW - datetime.timedelta(days=10 - day)
        tier_override(balance=balance, tier=tier, reason=note, until=until, now=at)

    page = web.get(admin_url(Member, "change", ann.pk)).content.decode()

    table = page.split('<table id="member-tier-changes">')[1].split("</table>")[0]
    assert "<caption>Last 5 tier changes</caption>" in table
    assert table.count("<tr>") == 6  # the header and the last five, newest first
    rows = table.split("<tbody>")[1]
    assert rows.index("six &lt;b&gt;") < rows.index("five") < rows.index("two")
    assert "one" not in rows
    assert "<tr><td>2026-03-14 12:00</td><td>Gold → Silver</td><td>Set by hand</td><td>six &lt;b&gt;</td></tr>" in rows
    assert "<td>no tier → Silver</td>" in rows and "<td>Gold → no tier</td>" in rows
