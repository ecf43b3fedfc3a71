"""Event Rewarding with a real Redis broker and worker processes, including faults."""

import threading
import time

import pytest
from django.db import connections, transaction

from conftest import ApiClient, issue_token
from rewards.ledger_check import ledger_differences
from rewards.models import Event, LedgerEntry, PointsBalance
from rewards.services.events import event_reward
from rewards.tasks import sweep_events
from tests.celery_worker import Worker, wait_for
from tests.factories import EventTypeFactory, MemberFactory, ProgramFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup(transactional_db):
    program = ProgramFactory(code="EVW")
    member = MemberFactory(program=program, member_id="M-1")
    EventTypeFactory(program=program, code="REVIEW", points=25, per_day_limit=2, lifetime_limit=None)
    return program, member, ApiClient(issue_token(program))


def post(api, reference, when="2026-11-20T10:00:00+01:00"):
    r = api.post(
        "/api/v1/events", {"reference": reference, "member_id": "M-1", "event_type": "REVIEW", "occurred_at": when}
    )
    assert r.status_code == 202, r.content
    return r


def status_of(reference):
    return Event.objects.get(reference=reference).status


@pytest.mark.celery_worker
def test_worker_rewards_events_with_limits(setup, celery_worker):
    _, member, api = setup
    for ref in ("E1", "E2", "E3"):
        post(api, ref)
    wait_for(lambda: not Event.objects.filter(status="accepted").exists())
    assert sorted(Event.objects.values_list("reference", "status")) == [
        ("E1", "rewarded"),
        ("E2", "rewarded"),
        ("E3", "rejected"),
    ]
    assert api.get("/api/v1/events/E3").json()["reason"] == "limit_reached"
    assert PointsBalance.objects.get(member=member).available == 50
    assert [r["reference"] for r in api.get("/api/v1/members/M-1/transactions").json()["results"]] == ["E2", "E1"]
    assert ledger_differences() == []


def test_two_events_racing_for_the_last_slot(setup):
    _, member, _api = setup
    for ref in ("S1", "S2", "S3"):
        Event.objects.create(
            program=member.program,
            member=member,
            event_type=member.program.event_types.get(code="REVIEW"),
            reference=ref,
            occurred_at="2026-11-20T09:00:00Z",
            local_date="2026-11-20",
        )
    event_reward(event_id=Event.objects.get(reference="S1").pk)
    barrier = threading.Barrier(2)

    def run(ref):
        try:
            barrier.wait()
            event_reward(event_id=Event.objects.get(reference=ref).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(ref,)) for ref in ("S2", "S3")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted([status_of("S2"), status_of("S3")]) == ["rejected", "rewarded"]
    assert PointsBalance.objects.get(member=member).available == 50
    assert ledger_differences() == []


@pytest.mark.celery_worker
def test_broker_down_then_back(setup, celery_broker, tmp_path):
    from conftest import _reset_pool
    from loyalty.celery import app

    _, member, api = setup
    # The broker is unreachable: the partner still gets its 202 and the event is stored.
    app.conf.update(broker_url="redis://127.0.0.1:1/0")
    _reset_pool(app)
    started = time.monotonic()
    post(api, "DOWN-1")
    assert time.monotonic() - started < 10
    assert status_of("DOWN-1") == "accepted"
    # The broker is back: the sweeper re-queues the waiting event and a worker rewards it.
    app.conf.update(broker_url=celery_broker)
    _reset_pool(app)
    worker = Worker(celery_broker, tmp_path / "worker.log")
    worker.start()
    try:
        assert sweep_events.apply(kwargs={"older_than_seconds": 0}).get() == 1
        wait_for(lambda: status_of("DOWN-1") == "rewarded")
    finally:
        worker.stop()
    assert PointsBalance.objects.get(member=member).available == 25
    assert ledger_differences() == []


@pytest.mark.celery_worker
def test_worker_killed_mid_task_rewards_once_after_restart(setup, celery_broker, tmp_path):
    _, member, api = setup
    locked = threading.Event()
    release = threading.Event()

    def hold_balance_row():
        # Another transaction holds the member's balance row: the worker's task will wait on it.
        try:
            with transaction.atomic():
                PointsBalance.objects.select_for_update().get(member=member)
                locked.set()
                release.wait(60)
        finally:
            connections.close_all()

    worker = Worker(celery_broker, tmp_path / "worker1.log", {"CELERY_VISIBILITY_TIMEOUT": "3"})
    worker.start()
    holder = threading.Thread(target=hold_balance_row)
    holder.start()
    try:
        assert locked.wait(10)
        post(api, "KILL-1")
        wait_for(worker_waits_on_lock, timeout=30)  # the task is mid-transaction
        worker.kill()
    finally:
        release.set()
        holder.join()
        worker.stop()
    assert status_of("KILL-1") == "accepted"
    assert LedgerEntry.objects.filter(kind="event").count() == 0
    restarted = Worker(celery_broker, tmp_path / "worker2.log", {"CELERY_VISIBILITY_TIMEOUT": "3"})
    restarted.start()
    try:
        sweep_events.apply(kwargs={"older_than_seconds": 0})
        wait_for(lambda: status_of("KILL-1") == "rewarded", timeout=60)
        time.sleep(5)  # the unacknowledged message comes back after the visibility timeout: it must change nothing
    finally:
        restarted.stop()
    assert LedgerEntry.objects.filter(kind="event", reference="KILL-1").count() == 1
    assert PointsBalance.objects.get(member=member).available == 25
    assert ledger_differences() == []


def worker_waits_on_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def test_batches_racing_over_shared_members_keep_every_limit(setup):
    """Four workers settle batches over the same members at once (each task also takes the oldest events
    waiting): per-day limits hold for every member and day, nothing is rewarded twice, no deadlock."""
    program, _member, _api = setup
    members = [MemberFactory(program=program, member_id=f"B-{n}") for n in range(6)]
    review = program.event_types.get(code="REVIEW")  # 25 points, 2 a day
    events = []
    for n in range(90):
        member = members[n % 6]
        day = f"2026-11-2{n // 6 % 3}"
        events.append(
            Event.objects.create(
                program=program,
                member=member,
                event_type=review,
                reference=f"R-{n}",
                occurred_at=f"{day}T09:00:00Z",
                local_date=day,
            )
        )
    barrier = threading.Barrier(4)

    def run(offset):
        try:
            barrier.wait()
            for event in events[offset::4]:
                event_reward(event_id=event.pk, batch=9)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not Event.objects.filter(status="accepted").exists()
    # 6 members x 3 days x 2 a day.
    assert Event.objects.filter(status="rewarded").count() == 36
    for member in members:
        for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
            assert Event.objects.filter(member=member, local_date=day, status="rewarded").count() == 2
        assert PointsBalance.objects.get(member=member).available == 150
    assert LedgerEntry.objects.filter(kind="event").count() == 36
    assert ledger_differences() == []
