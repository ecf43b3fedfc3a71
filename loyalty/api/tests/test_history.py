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
