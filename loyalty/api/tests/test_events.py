"""Event Rewarding with eager tasks: acceptance, limits, idempotency, bad input."""

import pytest

from rewards.ledger_check import ledger_differences
from rewards.models import Event, LedgerEntry, PointsBalance
from rewards.services.events import event_reward
from tests.factories import EventTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(program):
    return EventTypeFactory(
        program=program, code="SURVEY", points=50, per_day_limit=1, lifetime_limit=3, name={"en": "Survey"}
    )


def post_event(api, reference, occurred_at="2026-11-20T10:00:00+01:00", event_type="SURVEY", **extra):
    body = {"reference": reference, "member_id": "M-1", "event_type": event_type, "occurred_at": occurred_at, **extra}
    return api.post("/api/v1/events", body)


def state(api, reference):
    return api.get(f"/api/v1/events/{reference}").json()


def test_event_is_accepted_then_rewarded(api, member, survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = post_event(api, "EV-1", attributes={"survey": "nps-2026"})
    assert r.status_code == 202, r.content
    assert r.json() == {"reference": "EV-1", "status": "accepted"}
    assert state(api, "EV-1") == {"reference": "EV-1", "status": "rewarded", "points": 50, "reason": None}
    assert PointsBalance.objects.get(member=member).available == 50
    row = api.get("/api/v1/members/M-1/transactions").json()["results"][0]
    assert (row["type"], row["points"], row["reference"], row["description"]) == ("event", 50, "EV-1", "Survey")
    again = post_event(api, "EV-1", attributes={"survey": "nps-2026"})
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == {"reference": "EV-1", "status": "accepted"}
    assert post_event(api, "EV-1").json()["error"]["code"] == "idempotency_mismatch"
    assert Event.objects.count() == 1


def test_per_day_and_lifetime_limits(api, member, survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # 23:30 and 00:30 in Brussels are two days, though the same UTC day.
        post_event(api, "D1", occurred_at="2026-11-20T22:30:00Z")
        post_event(api, "D1-bis", occurred_at="2026-11-20T22:45:00Z")
        post_event(api, "D2", occurred_at="2026-11-20T23:30:00Z")
        post_event(api, "D3", occurred_at="2026-11-22T10:00:00Z")
        post_event(api, "D4", occurred_at="2026-11-23T10:00:00Z")
    assert state(api, "D1")["status"] == "rewarded"
    assert state(api, "D1-bis") == {"reference": "D1-bis", "status": "rejected", "points": 0, "reason": "limit_reached"}
    assert state(api, "D2")["status"] == "rewarded"
    assert state(api, "D3")["status"] == "rewarded"
    assert state(api, "D4")["reason"] == "limit_reached"
    assert PointsBalance.objects.get(member=member).available == 150
    assert ledger_differences() == []


def test_reward_twice_rewards_once(api, member, survey):
    post_event(api, "EV-2")  # on_commit not run: the event waits as accepted
    event = Event.objects.get(reference="EV-2")
    assert event.status == "accepted"
    event_reward(event_id=event.pk)
    event_reward(event_id=event.pk)
    assert LedgerEntry.objects.filter(kind="event").count() == 1


def test_refusals(api, other_api, program, member, survey):
    r = post_event(api, "X1", event_type="NOPE")
    assert r.status_code == 400 and "event_type" in r.json()["error"]["fields"]
    r = api.post("/api/v1/events", {"reference": "X2", "member_id": "NOPE", "event_type": "SURVEY"})
    assert r.status_code == 404 and "member_id" in r.json()["error"]["fields"]
    for body, field in [
        (
            {"reference": "X3", "member_id": "M-1", "event_type": "SURVEY", "occurred_at": "2026-11-20T10:00:00"},
            "occurred_at",
        ),
        ({"reference": "X4", "member_id": "M-1", "event_type": "SURVEY", "attributes": [1]}, "attributes"),
        ({"member_id": "M-1", "event_type": "SURVEY"}, "reference"),
    ]:
        r = api.post("/api/v1/events", body)
        assert r.status_code == 400 and field in r.json()["error"]["fields"], r.content
    member.status = "blocked"
    member.save()
    r = post_event(api, "X5")
    assert r.status_code == 409 and r.json()["error"]["code"] == "member_blocked"
    assert Event.objects.count() == 0
    assert api.get("/api/v1/events/NOPE").status_code == 404
    assert other_api.get("/api/v1/events/X1").status_code == 404


def test_event_without_occurred_at_defaults_to_now(api, member, survey):
    r = api.post("/api/v1/events", {"reference": "N1", "member_id": "M-1", "event_type": "SURVEY"})
    assert r.status_code == 202
