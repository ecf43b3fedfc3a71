"""The program dashboard: its numbers on a small ledger written through the services, its scoping,
its charts and tables, and a query count that does not grow with the ledger."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Gift
from loyalty.backoffice.dashboard import program_dashboard
from loyalty.backoffice.tests.dashboard_html import chart, table, text
from programs.services import tier_save
from rewards.engine import Line
from rewards.models import PointsBalance, TierChange
from rewards.services.earning import Basket, earn_reverse, points_earn
from rewards.services.events import event_accept, event_reward
from rewards.services.points import points_adjust
from rewards.services.redemption import redeem, redemption_transition
from rewards.services.tiers import tier_override
from tests.factories import EventTypeFactory, GiftFactory, MemberFactory, ProgramFactory, PromotionFactory
from tests.helpers import fund

UTC = datetime.UTC
# A Wednesday: the current ISO week (2026-W12) started on Monday 16 March.
NOW = datetime.datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def program_a(db):
    return ProgramFactory(code="A", name="Program A", timezone="Europe/Brussels")


@pytest.fixture
def program_b(db):
    return ProgramFactory(code="B", name="Program B")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def staff_a(program_a):
    user = User.objects.create_user("mia", "mia@example.com", "pw", is_staff=True)
    program_a.staff.add(user)
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def basket(amount: str, at: datetime.datetime) -> Basket:
    return Basket(lines=(Line("1", "COF", "coffee", 1, Decimal(amount)),), occurred_at=at)


@pytest.fixture
def ledger(program_a, program_b):
    """A hand-made ledger; each figure of the dashboard is worked out in the comments."""
    PromotionFactory(program=program_a, code="SPEND", rate="1")  # 1 point per euro
    mug = GiftFactory(program=program_a, sku="MUG", points=500, value="8.00", name={"en": "Mug"})
    ball = GiftFactory(program=program_a, sku="BALL", points=300, value="0.00", name={"en": "Ball"})
    lamp = GiftFactory(program=program_a, sku="LAMP", points=1000, value="25.00", name={"en": "Lamp"})
    GiftFactory(program=program_a, sku="DRAFT", points=100, value="50.00", validated=False)  # not priced
    survey = EventTypeFactory(program=program_a, code="SURVEY", points=40)
    ann, bob, cid, dan = (MemberFactory(program=program_a, member_id=m) for m in ("ANN", "BOB", "CID", "DAN"))

    with time_machine.travel(NOW - datetime.timedelta(weeks=20), tick=False):
        fund(dan, 5000)  # outside the 12 weeks, and more than 90 days ago
    with time_machine.travel(NOW - datetime.timedelta(weeks=1), tick=False):
        fund(bob, 200)  # issued in 2026-W11
        fund(cid, 300, expires_at=NOW - datetime.timedelta(days=1))
    with time_machine.travel(NOW, tick=False):
        fund(ann, 1500)  # issued +1500
        earned = points_earn(program=program_a, member=bob, basket=basket("120.00", NOW), reference="POS-1")
        assert earned.entry.points == 120  # issued +120
        earn_reverse(program=program_a, earn_reference="POS-1", reference="RET-1", returns=None)  # reversed 120
        event = event_accept(
            program=program_a, member=bob, event_type=survey, reference="EV-1", occurred_at=NOW, attributes={}
        )
        event_reward(event_id=event.pk)  # issued +40
        points_adjust(program=program_a, member=ann, points=-100, reference="ADJ-1", reason="goodwill error")
        points_adjust(program=program_a, member=bob, points=60, reference="ADJ-2", reason="goodwill")  # issued +60
        fund(cid, 50)  # issued +50; settling cid's balance first expires the 300 (expired 300)
        first = redeem(program=program_a, member=ann, gift=mug, quantity=1, reference="R-1")  # burned 500
        redeem(program=program_a, member=ann, gift=mug, quantity=1, reference="R-2")  # burned 500
        cancelled = redeem(program=program_a, member=ann, gift=ball, quantity=1, reference="R-3")  # burned 300
        redemption_transition(redemption=cancelled, status="cancelled")  # refund: burned -300
        redeem(program=program_a, member=dan, gift=lamp, quantity=1, reference="R-4")  # burned 1000; dan active
        for status in ("in_preparation", "in_delivery", "delivered"):
            redemption_transition(redemption=first, status=status)  # R-1 no longer pending
        # Another program's ledger never counts.
        eve = MemberFactory(program=program_b, member_id="EVE")
        fund(eve, 9999)
        other_gift = GiftFactory(program=program_b, sku="OTHER", points=10)
        redeem(program=program_b, member=eve, gift=other_gift, quantity=1, reference="R-B")
    return {"ann": ann, "bob": bob, "cid": cid, "dan": dan}


def test_dashboard_numbers(ledger, program_a):
    dashboard = program_dashboard(program=program_a, now=NOW)
    weeks = {week.label: week for week in dashboard.flows}
    labels = [week.label for week in dashboard.flows]
    assert (labels[0], labels[-1], len(labels)) == ("2026-W01", "2026-W12", 12)
    this, last = weeks["2026-W12"], weeks["2026-W11"]
    assert (this.issued, this.burned, this.reversed, this.expired) == (1500 + 120 + 40 + 60 + 50, 2000, 120, 300)
    assert (last.issued, last.burned, last.reversed, last.expired) == (500, 0, 0, 0)
    assert all(w.issued == w.burned == w.reversed == w.expired == 0 for w in dashboard.flows[:-2])
    assert dashboard.active_members == 4  # ann, bob, cid, and dan through his redemption
    # ann 1500 - 100 - 500 - 500 - 300 + 300 = 400; bob 200 + 120 - 120 + 40 + 60 = 300;
    # cid 300 - 300 + 50 = 50; dan 5000 - 1000 = 4000
    assert dashboard.outstanding == 400 + 300 + 50 + 4000
    stored = sum(b.total for b in PointsBalance.objects.filter(program=program_a))
    assert dashboard.outstanding == stored
    # A point is worth (8 + 0 + 25) / (500 + 300 + 1000) euro: the unvalidated gift does not count.
    assert dashboard.point_value == Decimal(33) / Decimal(1800)
    assert dashboard.outstanding_value == Decimal("87.08")  # 4750 × 33 / 1800 = 87.083…
    assert [(g.sku, g.redemptions, g.units, g.points) for g in dashboard.top_gifts] == [
        ("MUG", 2, 2, 1000),
        ("LAMP", 1, 1, 1000),
    ]  # the cancelled BALL is left out
    assert dashboard.pending_redemptions == 2  # R-1 delivered, R-3 cancelled
    # Outstanding at the end of each week: dan's 5000 from 20 weeks ago; in W11 bob's 200 and cid's 300 more;
    # in W12 ann +400, bob +100, cid -250, dan -1000: today's 4750.
    assert [row.points for row in dashboard.liability] == [5000] * 10 + [5500, 4750]
    assert dashboard.liability[-1].value == Decimal("87.08") and dashboard.liability[0].value == Decimal("91.67")
    # The redemptions created in the 12 weeks, by status now.
    funnel = {row.status: row.redemptions for row in dashboard.funnel}
    assert funnel == {
        "exchanged": 2,
        "in_preparation": 0,
        "in_delivery": 0,
        "delivered": 1,
        "cancelled": 1,
        "returned": 0,
    }
    # The one earn (POS-1, 120 points) came from SPEND; its reversal does not make it less issued.
    assert [(p.code, p.earns, p.points, p.shared_points) for p in dashboard.top_promotions] == [("SPEND", 1, 120, 0)]


def test_active_members_leave_after_90_days(ledger, program_a):
    later = NOW + datetime.timedelta(days=91)
    assert program_dashboard(program=program_a, now=later).active_members == 0


def test_weeks_follow_the_program_time_zone(program_a):
    # Sunday 22 March 23:30 UTC is already Monday in Brussels: a new ISO week there.
    sunday_night = datetime.datetime(2026, 3, 22, 23, 30, tzinfo=UTC)
    member = MemberFactory(program=program_a)
    with time_machine.travel(sunday_night, tick=False):
        fund(member, 70)
    weeks = program_dashboard(program=program_a, now=sunday_night).flows
    assert (weeks[-1].label, weeks[-1].period.start, weeks[-1].issued) == ("2026-W13", datetime.date(2026, 3, 23), 70)


def test_empty_program(program_a):
    dashboard = program_dashboard(program=program_a, now=NOW)
    assert dashboard.outstanding == 0 and dashboard.outstanding_value is None and dashboard.top_gifts == []


# ---- the page -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["superuser", "staff_a"])
def test_dashboard_page(request, who, ledger, program_a):
    client = logged_in(request.getfixturevalue(who))
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/admin/dashboard/?program={program_a.pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert text(page, "kpi-active-members") == "Active members 4 with a ledger entry in the last 90 days"
    assert "4,750 available 4,750 + pending 0 + locked 0" in text(page, "kpi-outstanding")
    assert "87.08 EUR" in text(page, "kpi-outstanding-value")
    points = table(page, "points")
    assert points[0] == ["Period", "From", "To", "Issued", "Burned", "Reversed", "Expired"]
    assert points[-1] == ["2026-W12", "2026-03-16", "2026-03-22", "1,770", "2,000", "120", "300"]
    assert len(points) == 1 + 12
    assert table(page, "liability")[-2:] == [
        ["2026-W11", "2026-03-15", "5,500", "100.83"],
        ["2026-W12", "2026-03-22", "4,750", "87.08"],
    ]
    assert ["Mug", "MUG", "2", "2", "1,000"] not in table(page, "gifts")  # SKU first
    assert ["MUG", "Mug", "2", "2", "1,000"] in table(page, "gifts")
    assert ["Exchanged", "2"] in table(page, "redemptions")
    # The charts: JSON data blocks read by the page's script, drawn by unfold's Chart.js; no inline script.
    flows = chart(page, "points")
    assert flows["data"]["labels"][-1] == "2026-W12"
    assert [d["data"][-1] for d in flows["data"]["datasets"]] == [1770, 2000, 120, 300]
    assert page.count('<canvas id="chart-') == 5
    for script in page.split("<script")[1:]:
        assert script.startswith((" src=", ' id="chart-data-')), script[:80]


def test_dashboard_csv_export(ledger, program_a, staff_a):
    client = logged_in(staff_a)
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/admin/dashboard/?program={program_a.pk}").content.decode()
        links = {
            slug: f"/admin/dashboard/export/{slug}.csv?program={program_a.pk}&amp;period=weeks"
            for slug in ("points", "liability", "redemptions", "promotions", "tiers", "tier-moves", "gifts")
        }
        for link in links.values():
            assert f'href="{link}"' in page
        response = client.get(links["points"].replace("&amp;", "&"))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="A-points-2025-12-29-2026-03-22.csv"'
    rows = response.content.decode().splitlines()
    assert rows[0] == "Period,From,To,Issued,Burned,Reversed,Expired"
    assert rows[-1] == "2026-W12,2026-03-16,2026-03-22,1770,2000,120,300"  # plain numbers in a CSV
    assert len(rows) == 13

    def csv(slug: str, query: str = "period=weeks") -> list[str]:
        with time_machine.travel(NOW, tick=False):
            found = client.get(f"/admin/dashboard/export/{slug}.csv?program={program_a.pk}&{query}")
        assert found.status_code == 200
        return found.content.decode().splitlines()

    assert csv("liability")[0] == "Period,At the end of,Outstanding points,Value (EUR)"
    assert csv("liability")[-1] == "2026-W12,2026-03-22,4750,87.08"
    assert csv("redemptions") == [
        "Status,Redemptions",
        "Exchanged,2",
        "In Preparation,0",
        "In Delivery,0",
        "Delivered,1",
        "Cancelled,1",
        "Returned,0",
    ]
    assert csv("promotions")[0] == "Promotion,Code,Earns,Points issued,Of which shared with other promotions"
    assert csv("promotions")[1].endswith(",SPEND,1,120,0")
    assert csv("tiers") == ["Tier,Code,From (qualifying points),Members now", "No tier,,,4"]  # ann, bob, cid, dan
    assert csv("gifts")[1:] == ["MUG,Mug,2,2,1000", "LAMP,Lamp,1,1,1000"]
    assert csv("tier-moves")[0] == "Period,From,To,Upgrades,Downgrades"
    # A name a spreadsheet would run as a formula is quoted.
    Gift.objects.filter(sku="LAMP").update(name={"en": "=HYPERLINK(1)"})
    assert csv("gifts")[2] == "LAMP,'=HYPERLINK(1),1,1,1000"
    # The same periods as the page: 12 months, or a custom range.
    months = csv("points", "period=months")
    assert (len(months), months[-1]) == (13, "March 2026,2026-03-01,2026-03-31,2270,2000,120,300")
    custom = csv("points", "period=custom&start=2026-03-10&end=2026-03-18")
    assert custom[1:] == [
        "2026-W11,2026-03-10,2026-03-15,500,0,0,0",
        "2026-W12,2026-03-16,2026-03-18,1770,2000,120,300",
    ]


def test_csv_export_scoping_and_bad_input(ledger, program_a, program_b, staff_a):
    client = logged_in(staff_a)
    assert client.get(f"/admin/dashboard/export/points.csv?program={program_b.pk}").status_code == 404
    assert client.get(f"/admin/dashboard/export/nothing.csv?program={program_a.pk}").status_code == 404
    bad = client.get(f"/admin/dashboard/export/points.csv?program={program_a.pk}&period=custom&start=2026-03-10")
    assert bad.status_code == 400 and "needs a start and an end date" in bad.content.decode()
    assert Client().get(f"/admin/dashboard/export/points.csv?program={program_a.pk}").status_code == 302
    # Without a program named: the staff user's first program, never another one.
    with time_machine.travel(NOW, tick=False):
        rows = client.get("/admin/dashboard/export/points.csv").content.decode().splitlines()
    assert rows[-1] == "2026-W12,2026-03-16,2026-03-22,1770,2000,120,300"


def test_staff_sees_only_their_programs(ledger, program_a, program_b, staff_a):
    client = logged_in(staff_a)
    page = client.get("/admin/dashboard/").content.decode()
    assert "Program A" in page and "Program B" not in page
    assert client.get(f"/admin/dashboard/?program={program_b.pk}").status_code == 404


def test_multi_program_staff_pick_a_program_and_keep_their_periods(ledger, program_a, program_b, staff_a):
    program_b.staff.add(staff_a)
    other = ProgramFactory(code="C", name="Program C")  # not theirs
    client = logged_in(staff_a)
    query = {"program": program_b.pk, "period": "custom", "start": "2026-03-01", "end": "2026-03-18"}
    with time_machine.travel(NOW, tick=False):
        page = client.get("/admin/dashboard/", query).content.decode()
    picker = page.split('<select name="program" id="id_program"')[1].split("</select>")[0]
    assert "Program A" in picker and "Program B" in picker and "Program C" not in picker
    assert f'<option value="{program_b.pk}" selected>' in picker
    assert "Program B" in text(page, "program-name")
    # EVE's 9,999 points and her 10-point redemption, in program B's own (UTC) weeks.
    assert table(page, "points")[-1][3:5] == ["9,999", "10"]
    link = f"/admin/dashboard/export/points.csv?program={program_b.pk}&amp;period=custom&amp;start=2026-03-01"
    assert link in page
    with time_machine.travel(NOW, tick=False):
        rows = client.get(link.replace("&amp;", "&") + "&end=2026-03-18").content.decode().splitlines()
    assert rows[-1] == "2026-W12,2026-03-16,2026-03-18,9999,10,0,0"
    assert client.get("/admin/dashboard/", {**query, "program": other.pk}).status_code == 404
    assert client.get("/admin/dashboard/export/points.csv", {**query, "program": other.pk}).status_code == 404


def test_a_staff_user_without_programs_is_told_so(db):
    user = User.objects.create_user("new", "new@example.com", "pw", is_staff=True)
    page = logged_in(user).get("/admin/dashboard/").content.decode()
    assert "You manage no program yet" in page


def test_dashboard_needs_a_staff_login(ledger):
    response = Client().get("/admin/dashboard/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_index_links_to_the_dashboard(superuser):
    page = logged_in(superuser).get("/admin/").content.decode()
    assert 'href="/admin/dashboard/"' in page


def test_dashboard_queries_do_not_grow_with_the_ledger(program_a, staff_a):
    client = logged_in(staff_a)
    gift = GiftFactory(program=program_a, sku="MUG", points=10)
    members = [MemberFactory(program=program_a) for _ in range(4)]
    tiers = [tier_save(program=program_a, code=f"T{n}", name={"en": f"T{n}"}, threshold=n * 100) for n in range(3)]

    def write(entries: int) -> None:
        for i in range(entries // 2):
            member = members[i % len(members)]
            fund(member, 20)
            redeem(program=program_a, member=member, gift=gift, quantity=1, reference=f"R-{member.pk}-{i}-{entries}")
            balance = PointsBalance.objects.get(member=member)
            until = timezone.now() + datetime.timedelta(days=30)
            tier_override(balance=balance, tier=tiers[i % 3] if i % 4 else None, reason="test", until=until)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/admin/dashboard/").status_code == 200
        return len(ctx.captured_queries)

    write(10)
    small = queries()
    write(100)
    assert queries() == small
    assert small <= 12 + 3  # the tiers': tiers, members per tier, moves per week
    assert Gift.objects.get(pk=gift.pk).redemptions.count() == 55
    assert TierChange.objects.filter(program=program_a).count() == 55
