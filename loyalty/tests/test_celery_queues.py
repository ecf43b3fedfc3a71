"""Celery in production: named queues and routes, and a beat that runs once however many are started."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.conf import settings

from loyalty.beat import SingleBeatScheduler
from loyalty.celery import app

ROUTES = {
    "rewards.tasks.issue_voucher": "vouchers",
    "rewards.tasks.sweep_pending_vouchers": "vouchers",
    "rewards.tasks.reward_event": "events",
    "rewards.tasks.sweep_events": "events",
    "rewards.tasks.activate_due_points": "maintenance",
    "rewards.tasks.release_expired_locks": "maintenance",
    "rewards.tasks.expire_points": "maintenance",
    "rewards.tasks.assess_tiers": "maintenance",
    "rewards.tasks.send_notification": "notifications",
    "rewards.tasks.sweep_notifications": "notifications",
    "rewards.tasks.send_expiry_digests": "notifications",
    "rewards.tasks.expiry_digest": "notifications",
    "programs.tasks.clear_expired_tokens": "maintenance",
    "programs.tasks.deliver_webhook": "webhooks",
    "programs.tasks.sweep_webhooks": "webhooks",
}


def queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_the_queues_are_declared_each_with_its_own_exchange_and_key():
    assert sorted(app.amqp.queues) == ["events", "maintenance", "notifications", "vouchers", "webhooks"]
    # Not Celery's default (every queue bound to the default queue's exchange and key, where one message sent to
    # that exchange and key would land in every queue).
    for name, queue in app.amqp.queues.items():
        assert (queue.exchange.name, queue.exchange.type, queue.routing_key) == (name, "direct", name)


@pytest.mark.parametrize(("task", "queue"), sorted(ROUTES.items()))
def test_each_task_goes_to_its_queue(task, queue):
    assert queue_of(task) == queue


def test_every_task_of_the_project_is_routed():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert ours == set(ROUTES), "route the new task in CELERY_TASK_ROUTES (and add it here)"
    assert set(settings.CELERY_TASK_ROUTES) == set(ROUTES)


def test_every_periodic_job_goes_to_a_queue_and_expires_after_its_period():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in ROUTES, name
        if isinstance(entry["schedule"], int | float):
            assert entry["options"]["expires"] == entry["schedule"], name
        else:  # a daily crontab: expires within the day, before the next run
            assert 0 < entry["options"]["expires"] < 24 * 3600, name


def test_a_published_task_lands_in_its_queue(redis_url):
    """What a publish really does on Redis: the message goes to the list named after the task's queue."""
    import redis

    from rewards.tasks import issue_voucher, reward_event, sweep_events

    with configured(broker_url=redis_url, task_always_eager=False):
        # Every queue declared and bound, as the workers do when they start.
        with app.connection_for_write() as connection:
            for queue in app.amqp.queues.values():
                queue(connection.default_channel).declare()
        issue_voucher.delay(1)
        reward_event.delay(2)
        sweep_events.delay()
        app.send_task("rewards.tasks.expire_points")  # by name, as beat sends
    client = redis.Redis.from_url(redis_url)
    assert {name: client.llen(name) for name in ("vouchers", "events", "webhooks", "maintenance")} == {
        "vouchers": 1,
        "events": 2,
        "webhooks": 0,
        "maintenance": 1,
    }


# ---- beat ------------------------------------------------------------------------------------------------------


@pytest.fixture
def redis_url():
    from tests.celery_worker import broker_url, flush_broker

    url = broker_url()
    if not url:
        pytest.skip("set CELERY_TEST_BROKER_URL (e.g. redis://127.0.0.1:6379/15) to run with a real Redis")
    flush_broker(url)
    yield url
    flush_broker(url)


@contextmanager
def configured(**conf):
    """The Celery app with `conf` for the block (and a producer pool for the broker it names)."""
    from conftest import _reset_pool

    previous = {key: app.conf[key] for key in conf}
    app.conf.update(**conf)
    _reset_pool(app)
    try:
        yield
    finally:
        app.conf.update(**previous)
        _reset_pool(app)


# One job every half second, so that a few seconds show how often it is sent (Celery runs a job one period
# after a beat starts, not at once).
FAST = {"sweep": {"task": "rewards.tasks.sweep_events", "schedule": 0.5}}


@pytest.fixture
def beat_on_redis(redis_url):
    with configured(broker_url=redis_url, beat_schedule=FAST):
        yield


class RecordingScheduler(SingleBeatScheduler):
    """Sends nothing: records what it would send."""

    lock_ttl = 3.0

    def __init__(self, *args, **kwargs):
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.task)


def scheduler(tmp_path, name: str) -> RecordingScheduler:
    return RecordingScheduler(app=app, schedule_filename=str(tmp_path / f"{name}-schedule"))


def run_for(schedulers, seconds: float) -> None:
    """Ticks the schedulers in turn, as their processes would, for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for s in schedulers:
            s.tick()
        time.sleep(0.05)


def test_two_beats_send_each_job_once(beat_on_redis, tmp_path):
    first, second = scheduler(tmp_path, "first"), scheduler(tmp_path, "second")
    try:
        run_for([first, second], 2.2)
        assert first.is_leader and not second.is_leader
        assert 3 <= len(first.sent) <= 5  # every half second, from the leader only
        assert second.sent == []
    finally:
        first.close()
        second.close()


def test_the_standby_takes_over_when_the_leader_stops(beat_on_redis, tmp_path):
    first, second = scheduler(tmp_path, "first"), scheduler(tmp_path, "second")
    run_for([first, second], 0.3)
    assert first.is_leader and not second.is_leader
    first.close()  # a clean stop releases the lock: the standby leads on its next pass
    try:
        run_for([second], 1.2)
        assert second.is_leader
        assert len(second.sent) >= 1
    finally:
        second.close()


def test_a_dead_leaders_lock_expires(beat_on_redis, tmp_path):
    first, second = scheduler(tmp_path, "first"), scheduler(tmp_path, "second")
    try:
        run_for([first, second], 0.3)
        assert first.is_leader
        # The leader stops ticking (killed, frozen) without releasing: the lock lapses after lock_ttl.
        run_for([second], 1.0)
        assert not second.is_leader and second.sent == []
        run_for([second], RecordingScheduler.lock_ttl + 0.5)
        assert second.is_leader and second.sent
        # The old leader, back, finds the lock taken and stands by.
        first.tick()
        assert not first.is_leader
    finally:
        first.close()
        second.close()


def test_ticks_are_short_enough_to_renew_the_lock(beat_on_redis, tmp_path):
    leader, standby = scheduler(tmp_path, "leader"), scheduler(tmp_path, "standby")
    try:
        leader.tick()
        assert leader.tick() <= leader.lock_ttl / 3
        assert standby.tick() == standby.lock_ttl / 3
    finally:
        leader.close()
        standby.close()


def test_without_a_redis_broker_it_schedules_like_celery(tmp_path):
    with configured(broker_url="memory://", beat_schedule=FAST):
        alone = scheduler(tmp_path, "alone")
        try:
            run_for([alone], 1.2)
            assert alone.hold_lock()
            assert len(alone.sent) >= 2
        finally:
            alone.close()


def test_beat_uses_the_single_beat_scheduler():
    assert settings.CELERY_BEAT_SCHEDULER == "loyalty.beat.SingleBeatScheduler"
    assert app.conf.beat_scheduler == "loyalty.beat.SingleBeatScheduler"


class BeatProcess:
    """`celery -A loyalty beat` in a process of its own, on the test Redis."""

    def __init__(self, broker: str, tmp_path, name: str):
        self.log_path = tmp_path / f"{name}.log"
        env = {**os.environ, "CELERY_BROKER_URL": broker}
        env.pop("DJANGO_TEST_DATABASE", None)
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "loyalty", "beat", "--loglevel=INFO"]
            + [f"--schedule={tmp_path / (name + '-schedule')}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def says(self, text: str) -> bool:
        return text in self.log_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()
        return self.process.returncode


@pytest.mark.celery_worker
def test_a_second_beat_process_stands_by_and_takes_over(redis_url, tmp_path):
    from tests.celery_worker import wait_for

    leads, stands_by = "sends the periodic tasks", "stands by"
    first = BeatProcess(redis_url, tmp_path, "first")
    second = None
    try:
        wait_for(lambda: first.says(leads), timeout=30)
        second = BeatProcess(redis_url, tmp_path, "second")
        wait_for(lambda: second.says(stands_by), timeout=30)
        assert first.stop() == 0  # SIGTERM: a clean stop, which releases the lock
        # The standby asks again every lock_ttl / 3 seconds (20 s) and leads.
        wait_for(lambda: second.says(leads), timeout=SingleBeatScheduler.lock_ttl / 3 + 15)
    finally:
        first.stop()
        if second is not None:
            second.stop()
