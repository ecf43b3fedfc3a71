"""Transaction history: order, running balance, filters, stable cursor pages."""

import pytest

from rewards.rules import clear_cache
from tests.factories import PromotionFactory
from tests.helpers import earn, line

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(program):
    clear_cache()
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    yield
    clear_cache()


def history(api, query=""):
    r = api.get(f"/api/v1/members/M-1/transactions{query}")
    assert r.status_code == 200, r.content
    return r.json()


def test_rows_newest_first_with_running_balance(api, member):
    earn(api, reference="E1", lines=[line(unit_price="10.00")], occurred_at="2026-11-01T10:00:00+01:00")
    earn(api, reference="E2", lines=[line(unit_price="5.00", quantity=2)], occurred_at="2026-11-02T10:00:00+01:00")
    api.post("/api/v1/transactions/E1/reversal", {"reference": "R1"})
    rows = history(api)["results"]
    assert [(r["type"], r["reference"], r["points"], r["balance_after"]) for r in rows] == [
        ("reversal", "R1", -10, 10),
        ("earn", "E2", 10, 20),
        ("earn", "E1", 10, 10),
    ]
    assert rows[1]["status"] == "posted"
    assert rows[1]["redemption"] is None
    assert rows[2]["occurred_at"] == "2026-11-01T09:00:00+00:00"
    assert set(rows[0]) == {
        "id",
        "type",
        "points",
        "balance_after",
        "reference",
        "occurred_at",
        "created_at",
        "status",
        "description",
        "redemption",
    }


def test_filters(api, member):
    earn(api, reference="E1", occurred_at="2026-11-01T10:00:00+00:00")
    earn(api, reference="E2", occurred_at="2026-11-03T10:00:00+00:00")
    api.post("/api/v1/transactions/E1/reversal", {"reference": "R1"})
    assert [r["reference"] for r in history(api, "?type=earn")["results"]] == ["E2", "E1"]
    since = history(api, "?since=2026-11-03T10:00:00%2B00:00&type=earn")["results"]
    assert [r["reference"] for r in since] == ["E2"]
    until = history(api, "?until=2026-11-01T10:00:00Z&type=earn")["results"]
    assert [r["reference"] for r in until] == ["E1"]
    for bad in ("?type=bogus", "?since=2026-11-01T10:00:00", "?since=nope", "?limit=0", "?limit=201", "?cursor=%%%"):
        r = api.get(f"/api/v1/members/M-1/transactions{bad}")
        assert r.status_code == 400, bad
        assert r.json()["error"]["code"] == "invalid_request"


def test_since_and_until_read_an_unencoded_plus_offset(api, member):
    """`?since=2026-11-03T11:00:00+01:00` written into a URL without encoding the `+` reaches the server with a
    space in its place: it is read as the offset it can only be, not refused."""
    earn(api, reference="E1", occurred_at="2026-11-01T10:00:00+00:00")
    earn(api, reference="E2", occurred_at="2026-11-03T10:00:00+00:00")
    assert [r["reference"] for r in history(api, "?since=2026-11-03T11:00:00+01:00")["results"]] == ["E2"]
    assert [r["reference"] for r in history(api, "?until=2026-11-01T11:00:00+0100")["results"]] == ["E1"]
    assert [r["reference"] for r in history(api, "?until=2026-11-01T11:00:00.000+01")["results"]] == ["E1"]
    for bad in ("?since=2026-11-03T11:00:00 15:00", "?since=2026-11-03 11:00", "?since=2026-11-03T11:00:00 x"):
        r = api.get(f"/api/v1/members/M-1/transactions{bad}")
        assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["since"], bad


def test_pages_stay_stable_while_rows_are_written(api, member):
    for i in range(7):
        earn(api, reference=f"E{i}")
    seen = []
    page = history(api, "?limit=3")
    seen += [r["reference"] for r in page["results"]]
    earn(api, reference="NEW-1")  # written between two pages
    while page["next"]:
        page = history(api, f"?limit=3&cursor={page['next']}")
        seen += [r["reference"] for r in page["results"]]
        earn(api, reference=f"NEW-{len(seen)}")
    assert seen == [f"E{i}" for i in reversed(range(7))]


def test_unknown_and_foreign_member(api, other_api, member):
    assert api.get("/api/v1/members/NOPE/transactions").status_code == 404
    assert other_api.get("/api/v1/members/M-1/transactions").status_code == 404


def test_member_shows_real_balance(api, member):
    earn(api, lines=[line(unit_price="42.00")])
    assert api.get("/api/v1/members/M-1").json()["balance"] == {"available": 42, "pending": 0, "locked": 0, "total": 42}


def _mixed_history(api, program, member, start: int, n: int) -> None:
    """`n` of each: an earn (two promotions), a redemption, an event, an adjustment with its reason."""
    from django.test import TestCase
    from django.utils import timezone

    from rewards.services.events import event_accept
    from tests.factories import EventTypeFactory, GiftFactory
    from tests.helpers import fund

    fund(member, 1000 * n)
    for i in range(start, start + n):
        earn(api, reference=f"E-{i}", lines=[line(unit_price="10.00")])
        gift = GiftFactory(program=program, sku=f"G-{i}", points=10, name={"en": f"Gift {i}", "fr": f"Cadeau {i}"})
        body = {"reference": f"RD-{i}", "member_id": "M-1", "gift": gift.sku, "delivery": DELIVERY}
        assert api.post("/api/v1/redemptions", body).status_code == 201
        event_type = EventTypeFactory(program=program, code=f"T-{i}", name={"en": f"Type {i}", "fr": f"Type {i} fr"})
        with TestCase.captureOnCommitCallbacks(execute=True):
            event_accept(
                program=program,
                member=member,
                event_type=event_type,
                reference=f"EV-{i}",
                occurred_at=timezone.now(),
                attributes={},
            )
        body = {"reference": f"ADJ-{i}", "points": 5, "reason": f"Goodwill {i}"}
        assert api.post("/api/v1/members/M-1/adjustments", body).status_code in (200, 201)


DELIVERY = {"name": "Ann Peeters", "street": "Rue Neuve 1", "postal_code": "1000", "city": "Brussels", "country": "BE"}


def test_descriptions_name_gifts_promotions_and_event_types_in_the_requests_language(api, program, member):
    from rewards.models import Promotion
    from tests.factories import EventTypeFactory, GiftFactory

    Promotion.objects.filter(program=program, code="BASE").update(name={"en": "Base points", "fr": "Points de base"})
    PromotionFactory(program=program, code="BIO-MILK", products=["MILK"], name={"en": "Organic milk", "fr": "Lait bio"})
    clear_cache()
    earn(api, reference="E1", lines=[line(unit_price="10.00"), line(line_id="2", sku="MILK", unit_price="2.00")])
    GiftFactory(program=program, sku="V05", points=5, name={"en": "5 EUR voucher", "fr": "Bon de 5 EUR"})
    body = {"reference": "RD-1", "member_id": "M-1", "gift": "V05", "quantity": 2, "delivery": DELIVERY}
    assert api.post("/api/v1/redemptions", body).status_code == 201
    EventTypeFactory(program=program, code="SURVEY", name={"en": "Survey answered", "fr": "Questionnaire rempli"})
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        event = {"reference": "EV-1", "member_id": "M-1", "event_type": "SURVEY", "occurred_at": "2026-11-20T10:00:00Z"}
        assert api.post("/api/v1/events", event).status_code == 202
    api.post("/api/v1/members/M-1/adjustments", {"reference": "ADJ-1", "points": 5, "reason": "Welcome back"})

    def descriptions(query="", **headers):
        rows = api.get(f"/api/v1/members/M-1/transactions{query}", **headers).json()["results"]
        return {row["type"]: row["description"] for row in rows}

    assert descriptions() == {
        "adjustment": "Welcome back",
        "event": "Survey answered",
        "redemption": "2 × 5 EUR voucher",
        "earn": "Base points, Organic milk",  # the codes BASE, BIO-MILK in the order the earn wrote them
    }
    assert descriptions("?lang=fr") == {
        "adjustment": "Welcome back",
        "event": "Questionnaire rempli",
        "redemption": "2 × Bon de 5 EUR",
        "earn": "Points de base, Lait bio",
    }
    assert descriptions(HTTP_ACCEPT_LANGUAGE="fr-BE,fr;q=0.9")["redemption"] == "2 × Bon de 5 EUR"
    assert descriptions("?lang=nl")["earn"] == "Base points, Organic milk"  # no Dutch names: the default language's


def test_a_deleted_promotion_shows_as_its_code(api, program, member):
    from rewards.models import Promotion

    earn(api, reference="E1")
    Promotion.objects.filter(program=program, code="BASE").delete()

    assert history(api)["results"][0]["description"] == "BASE"


def test_history_reads_the_same_number_of_queries_for_a_longer_page(api, program, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _mixed_history(api, program, member, 0, 2)
    with CaptureQueriesContext(connection) as few:
        assert len(history(api, "?limit=200")["results"]) == 9
    _mixed_history(api, program, member, 2, 6)

    with CaptureQueriesContext(connection) as more:
        rows = history(api, "?limit=200")["results"]

    assert len(rows) == 34
    assert {"Gift 7", "Type 7", "Goodwill 7"} <= {r["description"].removeprefix("1 × ") for r in rows}
    assert len(more) == len(few)


def test_expired_points_have_their_expiry_row_before_the_hourly_job_runs(api, program, member):
    """The balance counts lots past their expiry as gone at once; history (and the export) post their `expiry`
    row when they are read, so the rows' running sum ends at the balance shown, not an hour later."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rewards.models import LedgerEntry

    program.expiry_months = 1
    program.save()
    long_ago = (timezone.now() - timezone.timedelta(days=70)).isoformat()
    earn(api, reference="OLD", lines=[line(unit_price="30.00")], occurred_at=long_ago)
    assert not LedgerEntry.objects.filter(kind="expiry").exists()  # no job has run, nothing was written since
    balance = api.get("/api/v1/members/M-1").json()["balance"]
    assert balance == {"available": 0, "pending": 0, "locked": 0, "total": 0}

    rows = history(api)["results"]
    assert [(r["type"], r["points"], r["balance_after"]) for r in rows] == [("expiry", -30, 0), ("earn", 30, 30)]
    assert sum(r["points"] for r in rows) == balance["total"]
    assert api.get("/api/v1/members/M-1").json()["balance"] == balance

    # Posted once: read again, history is the same and costs no statement of settling.
    with CaptureQueriesContext(connection) as again:
        assert history(api)["results"] == rows
    assert not [q for q in again.captured_queries if "FOR UPDATE" in q["sql"]]
    assert LedgerEntry.objects.filter(kind="expiry").count() == 1


def test_the_export_lists_the_expiry_of_lots_past_their_date(api, program, member):
    from django.utils import timezone

    program.expiry_months = 1
    program.save()
    earn(
        api,
        reference="OLD",
        lines=[line(unit_price="30.00")],
        occurred_at=(timezone.now() - timezone.timedelta(days=70)).isoformat(),
    )
    document = api.get("/api/v1/members/M-1/export").json()
    assert [(r["type"], r["points"], r["balance_after"]) for r in document["transactions"]] == [
        ("expiry", -30, 0),
        ("earn", 30, 30),
    ]
    assert document["balance"]["total"] == 0


def _cursor(values) -> str:
    import base64
    import json

    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "values"),
    [
        # Cursors that decode (base64 of a JSON list of the right length) but hold the wrong type for a column.
        ("/api/v1/members/M-1/transactions", [{"dt": "2026-01-01T00:00:00+01:00"}]),
        ("/api/v1/members/M-1/transactions", ["abc"]),
        ("/api/v1/members/M-1/transactions", [2**70]),
        ("/api/v1/members/M-1/expiring", [5]),
        ("/api/v1/members/M-1/expiring", [{"dt": "2026-01-01T00:00:00"}]),
        ("/api/v1/members/M-1/expiring", [{"dt": "2026-01-01T00:00:00+23:00"}]),
        ("/api/v1/gifts", ["x", "y", 1]),
        ("/api/v1/gifts", [1, "\ud800", 1]),
        ("/api/v1/webhooks", [1, 1]),
        ("/api/v1/segments", [{"dec": "1"}, 1]),
    ],
)
def test_a_cursor_of_the_wrong_types_is_a_400(api, member, path, values):
    r = api.get(f"{path}?cursor={_cursor(values)}")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid_request"
    assert r.json()["error"]["fields"] == {"cursor": ["Invalid cursor."]}
