"""Points lifecycle with a controllable clock: pending, expiry by lots, locks, transfers, adjustments."""

import datetime

import pytest
import time_machine

from rewards.ledger_check import ledger_differences
from rewards.models import LedgerEntry, PointsBalance, PointsLot
from rewards.rules import clear_cache
from rewards.services import clock
from tests.factories import GiftFactory, MemberFactory, PromotionFactory
from tests.helpers import basket, line

pytestmark = pytest.mark.django_db
T0 = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _rules(program):
    clear_cache()
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    yield
    clear_cache()


def balance_of(api, member_id="M-1"):
    return api.get(f"/api/v1/members/{member_id}").json()["balance"]


def earn(api, amount, reference, member_id="M-1", when=None):
    payload = basket(member_id=member_id, reference=reference, lines=[line(unit_price=amount)])
    if when:
        payload["occurred_at"] = when.isoformat()
    r = api.post("/api/v1/transactions/earn", payload)
    assert r.status_code == 201, r.content
    return r.json()


def test_pending_points_become_available_on_read_and_by_the_job(api, program, member):
    program.pending_days = 14
    program.save()
    with time_machine.travel(T0, tick=False):
        body = earn(api, "100.00", "E1")
        assert body["status"] == "pending"
        assert body["available_at"] == "2026-01-24T09:00:00+00:00"
        assert balance_of(api) == {"available": 0, "pending": 100, "locked": 0, "total": 100}
        assert api.get("/api/v1/members/M-1/transactions").json()["results"][0]["status"] == "pending"
    with time_machine.travel(T0 + datetime.timedelta(days=14), tick=False):
        # The job has not run: the read is right all the same.
        assert balance_of(api) == {"available": 100, "pending": 0, "locked": 0, "total": 100}
        assert PointsBalance.objects.get(member=member).pending == 100  # reading the balance writes nothing
        assert clock.activate_due_points() == 1
        assert PointsBalance.objects.get(member=member).available == 100
        assert clock.activate_due_points() == 0
        assert api.get("/api/v1/members/M-1/transactions").json()["results"][0]["status"] == "posted"
    assert ledger_differences() == []


def test_expiring_lists_pending_points_once_due_even_before_the_job(api, program, member):
    """The points by expiry date agree with the balance: points past `available_at` are listed whether or not
    the activation job has run (the API and the shop read the same selector)."""
    program.pending_days = 14
    program.expiry_months = 12
    program.save()
    with time_machine.travel(T0, tick=False):
        earn(api, "100.00", "E1")
        assert api.get("/api/v1/members/M-1/expiring").json()["results"] == []
    with time_machine.travel(T0 + datetime.timedelta(days=14), tick=False):
        assert PointsBalance.objects.get(member=member).pending == 100
        assert api.get("/api/v1/members/M-1/expiring").json()["results"] == [
            {"expires_at": "2027-01-10T09:00:00+00:00", "points": 100}
        ]


def test_pending_points_can_be_spent_once_due_even_before_the_job(api, program, member):
    program.pending_days = 1
    program.save()
    GiftFactory(program=program, sku="MUG", points=50)
    with time_machine.travel(T0, tick=False):
        earn(api, "60.00", "E1")
        r = api.post("/api/v1/redemptions", {"reference": "R0", "member_id": "M-1", "gift": "MUG"})
        assert r.json()["error"]["code"] == "insufficient_points"
    with time_machine.travel(T0 + datetime.timedelta(days=2), tick=False):
        r = api.post("/api/v1/redemptions", {"reference": "R1", "member_id": "M-1", "gift": "MUG"})
        assert r.status_code == 201, r.content
    assert ledger_differences() == []


def test_expiry_fifo_and_refunds(api, program, member):
    program.expiry_months = 1
    program.save()
    GiftFactory(program=program, sku="MUG", points=70)
    with time_machine.travel(T0, tick=False):
        earn(api, "50.00", "OLD", when=T0)  # expires 2026-02-10
    with time_machine.travel(T0 + datetime.timedelta(days=5), tick=False):
        earn(api, "50.00", "NEW", when=T0 + datetime.timedelta(days=5))  # expires 2026-02-15
        expiring = api.get("/api/v1/members/M-1/expiring").json()["results"]
        assert expiring == [
            {"expires_at": "2026-02-10T09:00:00+00:00", "points": 50},
            {"expires_at": "2026-02-15T09:00:00+00:00", "points": 50},
        ]
        rid = api.post("/api/v1/redemptions", {"reference": "R1", "member_id": "M-1", "gift": "MUG"}).json()["id"]
        # 70 points: the 50 that expire first, then 20 of the next lot.
        assert api.get("/api/v1/members/M-1/expiring").json()["results"] == [
            {"expires_at": "2026-02-15T09:00:00+00:00", "points": 30}
        ]
        api.post(f"/api/v1/redemptions/{rid}/cancel")
        # The refund goes back to the lots it came from.
        assert [r["points"] for r in api.get("/api/v1/members/M-1/expiring").json()["results"]] == [50, 50]
    with time_machine.travel(datetime.datetime(2026, 2, 12, tzinfo=datetime.UTC), tick=False):
        assert balance_of(api)["available"] == 50  # correct on read before the job
        assert clock.expire_points() == 50
        assert clock.expire_points() == 0
        rows = api.get("/api/v1/members/M-1/transactions?type=expiry").json()["results"]
        assert [(r["points"], r["balance_after"]) for r in rows] == [(-50, 50)]
    with time_machine.travel(datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC), tick=False):
        assert clock.expire_points() == 50
        assert PointsBalance.objects.get(member=member).available == 0
    assert ledger_differences() == []


def test_locked_points_wait_for_their_lock_to_expire(api, program, member):
    program.expiry_months = 1
    program.save()
    with time_machine.travel(T0, tick=False):
        earn(api, "100.00", "E1", when=T0)  # expires 2026-02-10
    with time_machine.travel(T0 + datetime.timedelta(days=28), tick=False):
        r = api.post(
            "/api/v1/points/locks", {"reference": "L1", "member_id": "M-1", "points": 80, "expires_in": 604800}
        )
        assert r.status_code == 201
    with time_machine.travel(T0 + datetime.timedelta(days=32), tick=False):
        clock.expire_points()
        assert PointsBalance.objects.get(member=member).available == 0
        assert PointsBalance.objects.get(member=member).locked == 80
        capture = api.post("/api/v1/points/locks/L1/capture", {"points": 30})
        assert capture.status_code == 200, capture.content
        # The 50 returned points were past their expiry: the next settle expires them.
        assert balance_of(api) == {"available": 0, "pending": 0, "locked": 0, "total": 0}
        clock.expire_points()
        assert PointsBalance.objects.get(member=member).available == 0
    assert ledger_differences() == []


def test_lock_capture_release_and_expiry(api, program, member):
    with time_machine.travel(T0, tick=False):
        earn(api, "100.00", "E1")
        r = api.post("/api/v1/points/locks", {"reference": "L1", "member_id": "M-1", "points": 60})
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["status"] == "locked"
        assert body["expires_at"] == "2026-01-10T09:15:00+00:00"
        assert body["balance"] == {"available": 40, "pending": 0, "locked": 60, "total": 100}
        assert (
            api.post("/api/v1/points/locks", {"reference": "L2", "member_id": "M-1", "points": 41}).json()["error"][
                "code"
            ]
            == "insufficient_points"
        )
        too_much = api.post("/api/v1/points/locks/L1/capture", {"points": 61})
        assert too_much.status_code == 400
        cap = api.post("/api/v1/points/locks/L1/capture", {"points": 25})
        assert cap.status_code == 200
        assert cap.json() == {
            "reference": "L1",
            "member_id": "M-1",
            "status": "captured",
            "points": 60,
            "captured_points": 25,
            "expires_at": "2026-01-10T09:15:00+00:00",
            "balance": {"available": 75, "pending": 0, "locked": 0, "total": 75},
        }
        assert api.post("/api/v1/points/locks/L1/capture").json()["error"]["code"] == "invalid_transition"
        assert api.post("/api/v1/points/locks/L1/release").json()["error"]["code"] == "invalid_transition"
        rows = api.get("/api/v1/members/M-1/transactions").json()["results"]
        assert [(r["type"], r["points"], r["balance_after"]) for r in rows] == [
            ("capture", -25, 75),
            ("earn", 100, 100),
        ]
        api.post("/api/v1/points/locks", {"reference": "L3", "member_id": "M-1", "points": 70, "expires_in": 60})
        rel = api.post("/api/v1/points/locks/L3/release")
        assert rel.json()["status"] == "released" and rel.json()["balance"]["available"] == 75
        api.post("/api/v1/points/locks", {"reference": "L4", "member_id": "M-1", "points": 70, "expires_in": 60})
        full = api.post("/api/v1/points/locks/L5", {})
        assert full.status_code in (404, 405)
    with time_machine.travel(T0 + datetime.timedelta(seconds=61), tick=False):
        # Expired: available again on read, and capture or release is refused.
        assert balance_of(api) == {"available": 75, "pending": 0, "locked": 0, "total": 75}
        assert api.post("/api/v1/points/locks/L4/capture").json()["error"]["code"] == "invalid_transition"
        assert api.post("/api/v1/points/locks/L4/release").json()["error"]["code"] == "invalid_transition"
    assert ledger_differences() == []


@pytest.mark.parametrize("body", [{}, None])
def test_capture_without_points_captures_the_whole_lock(api, member, body):
    earn(api, "100.00", "E1")
    api.post("/api/v1/points/locks", {"reference": "L1", "member_id": "M-1", "points": 60})
    captured = api.post("/api/v1/points/locks/L1/capture", body)
    assert captured.status_code == 200, captured.content
    assert captured.json()["captured_points"] == 60
    assert captured.json()["balance"] == {"available": 40, "pending": 0, "locked": 0, "total": 40}
    assert ledger_differences() == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"points": 0}, "points"),
        ({"points": "5"}, "points"),
        ({"points": 5, "expires_in": 9}, "expires_in"),
        ({"points": 5, "expires_in": 604801}, "expires_in"),
        ({"points": 5, "reference": "bad ref"}, "reference"),
    ],
)
def test_lock_bad_input(api, member, body, field):
    payload = {"reference": "L1", "member_id": "M-1", **body}
    r = api.post("/api/v1/points/locks", payload)
    assert r.status_code == 400 and field in r.json()["error"]["fields"]


def test_lock_refusals(api, member):
    assert api.post("/api/v1/points/locks/NOPE/release").status_code == 404
    r = api.post("/api/v1/points/locks", {"reference": "L1", "member_id": "NOPE", "points": 5})
    assert r.status_code == 404 and "member_id" in r.json()["error"]["fields"]
    member.status = "blocked"
    member.save()
    r = api.post("/api/v1/points/locks", {"reference": "L1", "member_id": "M-1", "points": 5})
    assert r.json()["error"]["code"] == "member_blocked"


def test_transfers(api, program, member):
    program.expiry_months = 12
    program.save()
    MemberFactory(program=program, member_id="M-2")
    earn(api, "100.00", "E1")
    r = api.post(
        "/api/v1/points/transfers",
        {"reference": "T1", "from_member_id": "M-1", "to_member_id": "M-2", "points": 30, "reason": "Family"},
    )
    assert r.status_code == 201, r.content
    assert r.json() == {
        "reference": "T1",
        "from_member_id": "M-1",
        "to_member_id": "M-2",
        "points": 30,
        "from_balance": {"available": 70, "pending": 0, "locked": 0, "total": 70},
        "to_balance": {"available": 30, "pending": 0, "locked": 0, "total": 30},
    }
    # The transferred points keep their expiry date.
    sender_expiry = PointsLot.objects.get(member=member).expires_at
    assert PointsLot.objects.get(member__member_id="M-2").expires_at == sender_expiry
    replay = api.post(
        "/api/v1/points/transfers",
        {"reference": "T1", "from_member_id": "M-1", "to_member_id": "M-2", "points": 30, "reason": "Family"},
    )
    assert replay.status_code == 200
    assert (
        api.post(
            "/api/v1/points/transfers",
            {"reference": "T2", "from_member_id": "M-1", "to_member_id": "M-2", "points": 71},
        ).json()["error"]["code"]
        == "insufficient_points"
    )
    same = api.post(
        "/api/v1/points/transfers", {"reference": "T3", "from_member_id": "M-1", "to_member_id": "M-1", "points": 1}
    )
    assert same.status_code == 400
    unknown = api.post(
        "/api/v1/points/transfers", {"reference": "T4", "from_member_id": "M-1", "to_member_id": "NOPE", "points": 1}
    )
    assert unknown.status_code == 404 and "to_member_id" in unknown.json()["error"]["fields"]
    for bad in (0, -5, "5", 1.5):
        r = api.post(
            "/api/v1/points/transfers",
            {"reference": "T5", "from_member_id": "M-1", "to_member_id": "M-2", "points": bad},
        )
        assert r.status_code == 400
    MemberFactory(program=program, member_id="M-3", status="blocked")
    blocked = api.post(
        "/api/v1/points/transfers", {"reference": "T6", "from_member_id": "M-1", "to_member_id": "M-3", "points": 1}
    )
    assert blocked.json()["error"]["code"] == "member_blocked"
    rows = api.get("/api/v1/members/M-2/transactions").json()["results"]
    assert [(r["type"], r["points"], r["description"]) for r in rows] == [("transfer_in", 30, "Family")]
    assert api.get("/api/v1/members/M-1/transactions").json()["results"][0]["type"] == "transfer_out"
    assert ledger_differences() == []


def test_adjustments(api, program, member):
    r = api.post("/api/v1/members/M-1/adjustments", {"reference": "A1", "points": 40, "reason": "Goodwill"})
    assert r.status_code == 201, r.content
    assert r.json()["balance"]["available"] == 40
    neg = api.post("/api/v1/members/M-1/adjustments", {"reference": "A2", "points": -15, "reason": "Correction"})
    assert neg.json()["balance"]["available"] == 25
    over = api.post("/api/v1/members/M-1/adjustments", {"reference": "A3", "points": -26, "reason": "Too much"})
    assert over.json()["error"]["code"] == "insufficient_points"
    for body, field in [
        ({"reference": "A4", "points": 0, "reason": "x"}, "points"),
        ({"reference": "A4", "points": 5}, "reason"),
        ({"reference": "A4", "points": 5, "reason": ""}, "reason"),
    ]:
        bad = api.post("/api/v1/members/M-1/adjustments", body)
        assert bad.status_code == 400 and field in bad.json()["error"]["fields"]
    member.status = "blocked"
    member.save()
    assert (
        api.post("/api/v1/members/M-1/adjustments", {"reference": "A5", "points": 5, "reason": "ok"}).status_code == 201
    )
    rows = api.get("/api/v1/members/M-1/transactions?type=adjustment").json()["results"]
    assert [(r["points"], r["balance_after"], r["description"]) for r in rows] == [
        (5, 30, "ok"),
        (-15, 25, "Correction"),
        (40, 40, "Goodwill"),
    ]
    assert (
        api.post("/api/v1/members/NOPE/adjustments", {"reference": "A6", "points": 5, "reason": "x"}).status_code == 404
    )
    assert LedgerEntry.objects.filter(kind="adjustment").count() == 3
    assert ledger_differences() == []


def test_reading_the_history_posts_the_activation_the_job_has_not_run_yet(api, program, member):
    """History settles what the clock made due before listing (as it posts expiry rows): the job then finds
    nothing left, and the member's row says the points are available."""
    program.pending_days = 14
    program.save()
    with time_machine.travel(T0, tick=False):
        earn(api, "100.00", "E1")
    with time_machine.travel(T0 + datetime.timedelta(days=14), tick=False):
        assert api.get("/api/v1/members/M-1/transactions").json()["results"][0]["status"] == "posted"
        assert PointsBalance.objects.get(member=member).available == 100
        assert clock.activate_due_points() == 0
    assert ledger_differences() == []
