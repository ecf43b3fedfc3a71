"""The dashboard's periods: by purchase date (occurred_at) in the program's time zone, ISO weeks from Monday and
calendar months, the period picker and its validation, thousands separators on the page, and a query count that
grows neither with the number of periods nor with the entries."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from loyalty.backoffice.dashboard import program_dashboard
from loyalty.backoffice.dashboard_periods import PeriodForm, chosen_periods, custom_range, last_months, last_weeks
from loyalty.backoffice.tests.dashboard_html import chart, table, text
from programs.services import tier_save
from rewards.engine import Line
from rewards.models import Redemption
from rewards.services.earning import Basket, points_earn
from rewards.services.redemption import redeem
from tests.factories import GiftFactory, MemberFactory, ProgramFactory, PromotionFactory
from tests.helpers import fund

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
# A Wednesday in Brussels summer time; the current ISO week (2026-W14) started on Monday 30 March.
NOW = datetime.datetime(2026, 4, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def program(db):
    return ProgramFactory(code="A", name="Program A", timezone="Europe/Brussels")


@pytest.fixture
def staff(program):
    user = User.objects.create_user("mia", "mia@example.com", "pw", is_staff=True)
    program.staff.add(user)
    client = Client()
    client.force_login(user)
    return client


def earn(program, member, reference: str, amount: str, occurred_at: datetime.datetime):
    """An earn posted now for a purchase made at `occurred_at` (a till sending its backlog)."""
    basket = Basket(lines=(Line("1", "COF", "coffee", 1, Decimal(amount)),), occurred_at=occurred_at)
    return points_earn(program=program, member=member, basket=basket, reference=reference)


def local(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=BRUSSELS)


# ---- the periods ------------------------------------------------------------------------------------------------


def test_last_weeks_and_months():
    weeks = last_weeks(datetime.date(2026, 4, 1))
    assert [w.label for w in (weeks[0], weeks[-1])] == ["2026-W03", "2026-W14"]
    assert (weeks[0].start, weeks[-1].last_day, len(weeks)) == (
        datetime.date(2026, 1, 12),
        datetime.date(2026, 4, 5),
        12,
    )
    assert all(w.start.weekday() == 0 and (w.end - w.start).days == 7 for w in weeks)
    months = last_months(datetime.date(2026, 1, 31))
    assert (months[0].start, months[-1].start, months[-1].end) == (
        datetime.date(2025, 2, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    )
    assert [m.label for m in months[:2]] == ["February 2025", "March 2025"] and len(months) == 12


def test_a_custom_range_is_cut_at_mondays_or_months():
    short = custom_range(datetime.date(2026, 3, 4), datetime.date(2026, 3, 17))  # Wednesday to Tuesday
    assert [(p.start, p.last_day) for p in short] == [
        (datetime.date(2026, 3, 4), datetime.date(2026, 3, 8)),
        (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15)),
        (datetime.date(2026, 3, 16), datetime.date(2026, 3, 17)),
    ]
    long = custom_range(datetime.date(2025, 1, 15), datetime.date(2025, 12, 31))
    assert (len(long), long[0].start, long[0].end, long[0].weekly) == (
        12,
        datetime.date(2025, 1, 15),
        datetime.date(2025, 2, 1),
        False,
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "custom"}, "A custom range needs a start and an end date."),
        ({"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, "on or before the end date"),
        ({"period": "custom", "start": "2023-01-01", "end": "2026-03-01"}, "at most 731 days"),
        ({"period": "custom", "start": "1999-12-01", "end": "2000-01-10"}, "on or after 2000-01-01"),
        ({"period": "custom", "start": "10/03/2026", "end": "2026-03-12"}, "From: Enter a valid date."),
        ({"period": "custom", "start": "2026-02-30", "end": "2026-03-12"}, "From: Enter a valid date."),
        ({"period": "fortnight"}, "Period: Select a valid choice."),
    ],
)
def test_the_period_picker_rejects_bad_input_on_the_page(staff, program, query, message):
    with time_machine.travel(NOW, tick=False):
        response = staff.get("/admin/dashboard/", {"program": program.pk, **query})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in text(page, "period-errors")
    assert "Showing the last 12 weeks instead." in page
    assert len(table(page, "points")) == 1 + 12  # the default periods


def test_the_period_picker_keeps_a_good_range(staff, program):
    query = {"program": program.pk, "period": "custom", "start": "2026-03-04", "end": "2026-03-17"}
    with time_machine.travel(NOW, tick=False):
        page = staff.get("/admin/dashboard/", query).content.decode()
    assert 'id="period-errors"' not in page
    assert [row[0:3] for row in table(page, "points")[1:]] == [
        ["2026-W10", "2026-03-04", "2026-03-08"],
        ["2026-W11", "2026-03-09", "2026-03-15"],
        ["2026-W12", "2026-03-16", "2026-03-17"],
    ]
    assert 'value="2026-03-04"' in page and 'value="2026-03-17"' in page  # the form shows the range asked for
    assert f"/admin/dashboard/export/points.csv?program={program.pk}&amp;period=custom&amp;start=2026-03-04" in page


# ---- bucketing by purchase date in the program's zone -----------------------------------------------------------


def test_an_earn_falls_in_its_purchase_week_in_the_program_zone(program):
    PromotionFactory(program=program, code="SPEND", rate="1")
    member = MemberFactory(program=program)
    with time_machine.travel(NOW, tick=False):  # posted now, weeks after the purchases
        earn(program, member, "SUN", "10.00", local(2026, 3, 22, 23, 30))  # Sunday 23:30 in Brussels: W12
        earn(program, member, "MON", "20.00", local(2026, 3, 23, 0, 0))  # Monday 00:00: W13
        # Summer time began on Sunday 29 March at 02:00 (UTC+1 → UTC+2): 23:30 that Sunday is 21:30 UTC.
        earn(program, member, "DST", "40.00", datetime.datetime(2026, 3, 29, 21, 30, tzinfo=UTC))  # W13
        earn(program, member, "NEXT", "80.00", datetime.datetime(2026, 3, 29, 22, 0, tzinfo=UTC))  # Mon 00:00: W14
        # Winter time came back on Sunday 26 October 2025 (a 25-hour day): 23:30 that night is 22:30 UTC, in W43.
        earn(program, member, "OCT", "5.00", datetime.datetime(2025, 10, 26, 22, 30, tzinfo=UTC))

    flows = {f.label: f.issued for f in program_dashboard(program=program, now=NOW).flows}
    assert (flows["2026-W12"], flows["2026-W13"], flows["2026-W14"]) == (10, 20 + 40, 80)
    assert sum(flows.values()) == 150  # October is outside the 12 weeks

    months = chosen_periods(PeriodForm({"period": "months"}), BRUSSELS, NOW)
    by_month = {f.period.start: f.issued for f in program_dashboard(program=program, now=NOW, periods=months).flows}
    assert by_month[datetime.date(2026, 3, 1)] == 10 + 20 + 40 + 80 and by_month[datetime.date(2025, 10, 1)] == 5
    autumn = chosen_periods(PeriodForm({"period": "custom", "start": "2025-10-20", "end": "2025-11-02"}), BRUSSELS, NOW)
    weeks = {f.label: f.issued for f in program_dashboard(program=program, now=NOW, periods=autumn).flows}
    assert weeks == {"2025-W43": 5, "2025-W44": 0}


def test_sunday_night_west_of_utc_stays_in_its_week(db):
    """In New York, Sunday 23:30 is already Monday 03:30 UTC (summer time began there on 8 March 2026)."""
    program = ProgramFactory(code="NY", timezone="America/New_York")
    PromotionFactory(program=program, code="SPEND", rate="1")
    member = MemberFactory(program=program)
    sunday_night = datetime.datetime(2026, 3, 22, 23, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    assert sunday_night.astimezone(UTC).weekday() == 0  # Monday in UTC
    with time_machine.travel(NOW, tick=False):
        earn(program, member, "SUN-NY", "9.00", sunday_night)
    flows = {f.label: f.issued for f in program_dashboard(program=program, now=NOW).flows}
    assert (flows["2026-W12"], flows["2026-W13"]) == (9, 0)


def test_a_month_starts_at_midnight_in_the_program_zone(program):
    member = MemberFactory(program=program)
    with time_machine.travel(datetime.datetime(2026, 2, 28, 23, 30, tzinfo=UTC), tick=False):
        fund(member, 7)  # 1 March 00:30 in Brussels: March
    with time_machine.travel(datetime.datetime(2026, 2, 28, 22, 30, tzinfo=UTC), tick=False):
        fund(member, 3)  # 28 February 23:30 in Brussels: February
    months = chosen_periods(PeriodForm({"period": "months"}), BRUSSELS, NOW)
    flows = {f.label: f.issued for f in program_dashboard(program=program, now=NOW, periods=months).flows}
    assert (flows["February 2026"], flows["March 2026"]) == (3, 7)


# ---- each chart's data, and the page's numbers --------------------------------------------------------------------


@pytest.fixture
def activity(program):
    """Two promotions, earns by one or both, redemptions, tiers; and thousands of points for the separators."""
    PromotionFactory(program=program, code="SPEND", name={"en": "Coffee spend"}, rate="100")  # 100 points a euro
    PromotionFactory(
        program=program,
        code="DOUBLE",
        name={"en": "Double beans"},
        kind="quantity",
        rate=None,
        points=1000,
        products=["BEANS"],
    )
    tier_save(program=program, code="SILVER", name={"en": "Silver"}, threshold=2000)
    tier_save(program=program, code="GOLD", name={"en": "Gold"}, threshold=10_000)
    ann, bob = MemberFactory(program=program), MemberFactory(program=program)
    gift = GiftFactory(program=program, sku="MUG", points=1000, value="10.00", name={"en": "Mug"})
    with time_machine.travel(NOW, tick=False):
        earn(program, ann, "E-1", "12.34", local(2026, 3, 24, 12, 0))  # SPEND only: 1,234 points, W13
        basket = Basket(
            lines=(Line("1", "BEANS", "coffee", 1, Decimal("20.00")),), occurred_at=local(2026, 3, 31, 9, 0)
        )
        points_earn(program=program, member=bob, basket=basket, reference="E-2")  # both: 2,000 + 1,000, W14
        redeem(program=program, member=ann, gift=gift, quantity=1, reference="R-1")
        redeem(program=program, member=bob, gift=gift, quantity=1, reference="R-2")
    Redemption.objects.filter(reference="R-2").update(status="delivered")
    return {"ann": ann, "bob": bob}


def test_each_chart_and_table(staff, program, activity):
    with time_machine.travel(NOW, tick=False):
        page = staff.get("/admin/dashboard/", {"program": program.pk}).content.decode()

    points = chart(page, "points")
    assert [d["label"] for d in points["data"]["datasets"]] == ["Issued", "Burned", "Reversed", "Expired"]
    assert [d["data"][-2:] for d in points["data"]["datasets"]] == [[1234, 3000], [0, 2000], [0, 0], [0, 0]]
    assert table(page, "points")[-2][3:] == ["1,234", "0", "0", "0"]
    assert table(page, "points")[-1][3:] == ["3,000", "2,000", "0", "0"]

    # Outstanding: 1,234 + 3,000 - 2 × 1,000 = 2,234 now; 1,234 at the end of W13; a point is worth 0.01.
    liability = chart(page, "liability")
    assert liability["data"]["datasets"][0]["data"][-3:] == [0, 1234, 2234]
    assert liability["data"]["datasets"][1]["data"][-1] == 22.34
    assert table(page, "liability")[-1] == ["2026-W14", "2026-04-05", "2,234", "22.34"]

    funnel = chart(page, "redemptions")
    assert funnel["data"]["labels"][:4] == ["Exchanged", "In Preparation", "In Delivery", "Delivered"]
    assert funnel["data"]["datasets"][0]["data"] == [1, 0, 0, 1, 0, 0]

    promotions = chart(page, "promotions")
    assert promotions["data"]["labels"] == ["Coffee spend", "Double beans"]
    assert promotions["data"]["datasets"][0]["data"] == [2000 + 1000 + 1234, 3000]
    assert table(page, "promotions")[1:] == [
        ["Coffee spend", "SPEND", "2", "4,234", "3,000"],
        ["Double beans", "DOUBLE", "1", "3,000", "3,000"],
    ]

    tiers = chart(page, "tiers")
    assert tiers["data"]["labels"] == ["Silver", "Gold", "No tier"]
    assert tiers["data"]["datasets"][0]["data"] == [1, 0, 1]  # bob crossed 2,000 qualifying points
    assert table(page, "tiers")[1:] == [
        ["Silver", "SILVER", "2,000", "1"],
        ["Gold", "GOLD", "10,000", "0"],
        ["No tier", "", "—", "1"],
    ]

    assert text(page, "kpi-outstanding").startswith("Outstanding points 2,234")
    assert text(page, "kpi-outstanding-value") == (
        "Their value 22.34 EUR at 0.0100 EUR a point: the average of the validated gifts"
    )
    assert text(page, "kpi-issued").startswith("Points issued 4,234")


def test_separators_follow_the_language(staff, program, activity):
    with time_machine.travel(NOW, tick=False):
        page = staff.get("/admin/dashboard/", {"program": program.pk}, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert 'dashboard-number">4\xa0234</td>' in page  # French groups with a no-break space
    assert chart(page, "points")["options"]["locale"] == "fr"
    assert table(page, "points")[0][:4] == ["Période", "Du", "Au", "Émis"]
    assert [d["label"] for d in chart(page, "points")["data"]["datasets"]][:2] == ["Émis", "Dépensés"]
    assert "Tableau de bord du programme" in page


def test_period_errors_in_the_admin_language(staff, program):
    query = {"program": program.pk, "period": "custom", "start": "2026-03-10", "end": "2026-03-01"}
    with time_machine.travel(NOW, tick=False):
        page = staff.get("/admin/dashboard/", query, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "De begindatum moet op of vóór de einddatum liggen." in text(page, "period-errors")


# ---- queries ------------------------------------------------------------------------------------------------------


def test_queries_grow_neither_with_periods_nor_with_entries(staff, program, activity):
    def queries(query: dict) -> int:
        with CaptureQueriesContext(connection) as ctx, time_machine.travel(NOW, tick=False):
            assert staff.get("/admin/dashboard/", {"program": program.pk, **query}).status_code == 200
        return len(ctx.captured_queries)

    weeks = queries({"period": "weeks"})
    assert queries({"period": "months"}) == weeks
    assert queries({"period": "custom", "start": "2024-04-01", "end": "2026-03-31"}) == weeks  # 25 months
    member = MemberFactory(program=program)
    with time_machine.travel(NOW, tick=False):
        for n in range(30):
            earn(program, member, f"MORE-{n}", "3.00", local(2025, 6 + n % 6, 10, 12, 0))
    assert queries({"period": "months"}) == weeks
    assert weeks <= 16  # session, user, programs, the figures' 11 queries, the page's own
