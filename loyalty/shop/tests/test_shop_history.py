"""The member's history in the webshop: in the order things happened, the posting date where it differs, what
each row is in words (adjustment reasons, event type names, promotion names), in a few queries."""

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone

from loyalty.shop.tests.shop_client import logged_in, page, switch_language
from programs.models import Program
from rewards.services.points import points_adjust
from tests.factories import EventTypeFactory, PromotionFactory
from tests.helpers import earn, fund, line

pytestmark = pytest.mark.django_db


def rows(html: str) -> list[str]:
    """The `data-kind` of each history row, top to bottom."""
    return re.findall(r'<tr data-kind="([a-z_]+)"', html)


def event(program: Program, member, code: str, reference: str, occurred_at: datetime.datetime, name: dict) -> None:
    from django.test import TestCase

    from rewards.services.events import event_accept

    event_type = EventTypeFactory(program=program, code=code, name=name, points=25)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the reward task runs after the commit
        event_accept(
            program=program,
            member=member,
            event_type=event_type,
            reference=reference,
            occurred_at=occurred_at,
            attributes={},
        )


def test_rows_follow_the_moment_things_happened_and_show_a_later_posting_date(api, member, program):
    PromotionFactory(program=program, code="BASE", name={"en": "Base points"})
    now = timezone.now()
    fund(member, 100)  # posted first, happened now
    # A till that was offline sends a purchase of ten days ago: it is posted now, but happened before the above.
    earn(
        api,
        reference="LATE",
        lines=[line(unit_price="20.00")],
        occurred_at=(now - datetime.timedelta(days=10)).isoformat(),
    )
    earn(api, reference="TODAY", lines=[line(unit_price="5.00")], occurred_at=timezone.now().isoformat())
    client = logged_in(api)

    html = page(client, "/shop/history")

    assert rows(html) == ["earn", "adjustment", "earn"]
    found = re.findall(r'<tr data-kind="[a-z_]+".*?</tr>', html, flags=re.S)
    assert "+5" in found[0] and 'data-testid="posted"' not in found[0]
    assert "+100" in found[1] and 'data-testid="posted"' not in found[1]
    late = found[2]
    assert "+20" in late
    zone = zoneinfo.ZoneInfo(program.timezone)  # the shop writes dates in the program's time zone
    assert f"posted {now.astimezone(zone):%m/%d/%Y}" in late
    assert f"{(now - datetime.timedelta(days=10)).astimezone(zone):%m/%d/%Y}" in late


def test_history_pages_keep_that_order(api, member, program):
    now = timezone.now()
    for n in range(25):  # posted oldest first, but they happened in the opposite order
        fund(member, 10 + n)
    from rewards.models import LedgerEntry

    for n, entry in enumerate(LedgerEntry.objects.filter(member=member).order_by("id")):
        LedgerEntry.objects.filter(pk=entry.pk).update(occurred_at=now - datetime.timedelta(hours=n))
    client = logged_in(api)

    first, second = page(client, "/shop/history"), page(client, "/shop/history?page=2")

    points = re.findall(r"\+(\d+)</td>", first + second)
    assert points == [str(10 + n) for n in range(25)]  # the first one posted happened last


def test_an_adjustment_shows_its_reason_and_an_event_its_type(api, member, program):
    points_adjust(
        program=program, member=member, points=300, reference="ADJ-1", reason="Points carried over from your old card"
    )
    event(program, member, "SURVEY", "EV-1", timezone.now(), {"en": "Survey answered", "fr": "Questionnaire rempli"})
    client = logged_in(api)

    html = page(client, "/shop/history")

    assert "Points carried over from your old card" in html
    assert "Survey answered" in html
    assert "Correction" not in html and "Bonus" not in html
    switch_language(client, "fr")
    french = page(client, "/shop/history")
    assert "Questionnaire rempli" in french and "Survey answered" not in french


def test_an_adjustment_without_a_reason_still_says_what_it_is(api, member):
    fund(member, 50)  # written by the ledger directly, with no text

    assert "Correction" in page(logged_in(api), "/shop/history")


def test_a_purchase_names_its_promotions_in_the_members_language(api, member, program):
    PromotionFactory(program=program, code="BASE", rate="1", name={"en": "Base points", "fr": "Points de base"})
    PromotionFactory(
        program=program,
        code="BIO-MILK",
        kind="quantity",
        points=5,
        rate=None,
        products=["MILK-1"],
        name={"en": "Organic milk bonus", "fr": "Bonus lait bio"},
    )
    earn(api, lines=[line(unit_price="10.00"), line(line_id="2", sku="MILK-1", unit_price="1.00")])
    client = logged_in(api)
    switch_language(client, "fr")

    html = page(client, "/shop/history")

    assert "Achat" in html and "Points de base, Bonus lait bio" in html  # by code: BASE, BIO-MILK
    assert "BIO-MILK" not in html


def test_the_history_page_reads_the_same_number_of_queries_for_more_rows(api, member, program):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    PromotionFactory(program=program, code="BASE", name={"en": "Base points"})
    for n in range(2, 6):  # one promotion per later purchase, each on its own product
        PromotionFactory(program=program, code=f"P{n}", products=[f"SKU-{n}"], name={"en": f"Promo {n}"})
    for n in range(2):
        earn(api, reference=f"E-{n}")
        event(program, member, f"T{n}", f"EV-{n}", timezone.now(), {"en": f"Type {n}"})
        points_adjust(program=program, member=member, points=5, reference=f"A-{n}", reason=f"Reason {n}")
    client = logged_in(api)
    with CaptureQueriesContext(connection) as few:
        page(client, "/shop/history")
    for n in range(2, 6):
        earn(api, reference=f"E-{n}", lines=[line(sku=f"SKU-{n}")])
        event(program, member, f"T{n}", f"EV-{n}", timezone.now(), {"en": f"Type {n}"})
        points_adjust(program=program, member=member, points=5, reference=f"A-{n}", reason=f"Reason {n}")

    with CaptureQueriesContext(connection) as more:
        html = page(client, "/shop/history")

    assert "Type 5" in html and "Reason 5" in html and "Promo 5" in html
    assert len(more) == len(few)


def test_points_past_their_expiry_show_as_expired_before_the_hourly_job_runs(api, member, program):
    from rewards.models import LedgerEntry

    PromotionFactory(program=program, code="BASE", name={"en": "Base points"})
    program.expiry_months = 1
    program.save()
    long_ago = (timezone.now() - datetime.timedelta(days=70)).isoformat()
    earn(api, reference="OLD", lines=[line(unit_price="30.00")], occurred_at=long_ago)
    assert not LedgerEntry.objects.filter(kind="expiry").exists()
    client = logged_in(api)

    html = page(client, "/shop/history")

    assert rows(html) == ["expiry", "earn"]
    assert "-30" in re.findall(r'<tr data-kind="expiry".*?</tr>', html, flags=re.S)[0].replace("\u2212", "-")


@pytest.mark.parametrize(
    ("language", "credited", "debited"),
    [
        ("en", "Credited", "Debited"),
        ("fr", "Crédité", "Débité"),
        ("nl", "Bijgeschreven", "Afgeschreven"),
        ("it", "Accreditato", "Addebitato"),
    ],
)
def test_a_row_that_took_points_does_not_say_they_were_credited(api, member, program, language, credited, debited):
    PromotionFactory(program=program, code="BASE", name={"en": "Base points"})
    earn(api, reference="BUY", lines=[line(unit_price="40.00")])
    assert api.post("/api/v1/transactions/BUY/reversal", {"reference": "RETURN"}).status_code == 201
    fund(member, 10)
    points_adjust(program=program, member=member, points=-5, reference="ADJ-1", reason="Double scan")
    client = logged_in(api)
    switch_language(client, language)

    html = page(client, "/shop/history")

    found = [
        (points.replace("\u2212", "-"), word)
        for points, word in re.findall(
            r'class="num [a-z]+">([^<]+)</td>\s*<td[^>]*><span class="status [^"]+">([^<]+)<', html
        )
    ]
    # The purchase and its return, a credit and a correction that took 5 points back.
    assert sorted(found) == [("+10", credited), ("+40", credited), ("-40", debited), ("-5", debited)]
