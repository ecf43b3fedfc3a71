"""The periodic jobs without a broker (`manage.py run_periodic`): due on Celery's schedules, run here, eagerly."""

import datetime
import logging

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command

from loyalty.celery import app
from loyalty.ops.periodic import PeriodicRunner
from rewards.models import LockStatus, PointsBalance, PointsLock
from rewards.services.points import points_lock
from tests.helpers import fund

T0 = datetime.datetime(2026, 1, 10, 6, 59, 0, tzinfo=datetime.UTC)


@pytest.fixture
def logged(caplog):
    """The runner's log lines (the project's loggers do not propagate to the root, where caplog listens)."""
    logger = logging.getLogger("loyalty.periodic")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="loyalty.periodic")
    yield lambda: [r.getMessage() for r in caplog.records if r.name == "loyalty.periodic"]
    logger.removeHandler(caplog.handler)


def test_each_job_runs_once_per_period_counted_from_the_start(monkeypatch):
    schedule = {
        "half-minute": {"task": "rewards.tasks.sweep_events", "schedule": 30.0},
        "minute": {"task": "rewards.tasks.release_expired_locks", "schedule": 60.0},
        "at-seven": {"task": "rewards.tasks.send_expiry_digests", "schedule": crontab(minute=0, hour=7)},
    }
    with time_machine.travel(T0, tick=False) as clock:
        runner = PeriodicRunner(app, schedule)
        ran: list[str] = []
        monkeypatch.setattr(runner, "run", ran.append)
        assert 1 <= runner.tick() <= 30 and ran == []
        clock.shift(31)
        runner.tick()
        assert ran == ["half-minute"]
        clock.shift(30)  # 07:00:01: a minute since the start, and seven o'clock
        runner.tick()
        assert ran == ["half-minute", "half-minute", "minute", "at-seven"]
        clock.shift(1)
        runner.tick()
        assert ran == ["half-minute", "half-minute", "minute", "at-seven"]  # nothing due again yet


@pytest.mark.django_db
def test_the_runner_releases_a_lock_once_it_expires(program, member):
    fund(member, 100)
    with time_machine.travel(T0, tick=False) as clock:
        held = points_lock(program=program, member=member, points=30, reference="K-1", expires_in=90).lock
        runner = PeriodicRunner(app, settings.CELERY_BEAT_SCHEDULE)
        clock.shift(61)
        runner.tick()  # the first pass of release-expired-locks: the lock has 29 s left
        assert PointsLock.objects.get(pk=held.pk).status == LockStatus.LOCKED
        clock.shift(60)
        runner.tick()
    assert PointsLock.objects.get(pk=held.pk).status == LockStatus.RELEASED
    balance = PointsBalance.objects.get(member=member)
    assert (balance.available, balance.locked) == (100, 0)


@pytest.mark.django_db
def test_every_scheduled_job_runs_without_a_broker(program, member, logged):
    call_command("run_periodic", once=True)
    done = logged()
    assert len(done) == len(settings.CELERY_BEAT_SCHEDULE)
    assert all(" done: " in message for message in done), done


def test_a_failing_job_is_logged_and_the_others_still_run(monkeypatch, logged):
    schedule = {
        "broken": {"task": "programs.tasks.clear_expired_tokens", "schedule": 1.0},
        "fine": {"task": "rewards.tasks.sweep_events", "schedule": 1.0},
    }
    runner = PeriodicRunner(app, schedule)
    monkeypatch.setattr(app.tasks["programs.tasks.clear_expired_tokens"], "run", lambda: 1 / 0)
    monkeypatch.setattr(app.tasks["rewards.tasks.sweep_events"], "run", lambda: 7)
    runner.run("broken")
    runner.run("fine")
    assert logged() == ["Periodic job broken failed", "Periodic job fine done: 7"]
