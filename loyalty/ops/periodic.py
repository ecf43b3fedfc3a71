"""The periodic jobs (CELERY_BEAT_SCHEDULE) run in one process without a broker: what beat and a worker do, for a
setup that has neither (the SQLite demo without Redis, where tasks run eagerly). Webhook retries, voucher and event
sweeps, pending points, expired locks and expiry then happen on time there too.

Each job's schedule is Celery's own (an interval in seconds, or a crontab), read the way beat reads it; a job runs
first one period after the start, as under beat. The jobs are idempotent (loyalty/beat.py), so a runner started
beside a real beat does no harm, only work twice.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery.schedules import BaseSchedule, maybe_schedule

logger = logging.getLogger("loyalty.periodic")


@dataclass
class _Job:
    task: str
    schedule: BaseSchedule
    args: tuple
    kwargs: dict[str, Any]
    last_run: datetime


class PeriodicRunner:
    def __init__(self, app: Any, schedule: Mapping[str, Mapping[str, Any]]) -> None:
        self.app = app
        app.loader.import_default_modules()  # the apps' tasks modules, as a worker imports them at start
        self.jobs: dict[str, _Job] = {}
        for name, entry in schedule.items():
            every = maybe_schedule(entry["schedule"], app=app)
            assert isinstance(every, BaseSchedule)  # a number of seconds became an interval schedule
            self.jobs[name] = _Job(
                task=entry["task"],
                schedule=every,
                args=tuple(entry.get("args", ())),
                kwargs=dict(entry.get("kwargs", {})),
                last_run=every.now(),
            )

    def tick(self) -> float:
        """Runs the jobs that are due, in the schedule's order; returns the seconds until one may be due again."""
        waits = []
        for name, job in self.jobs.items():
            due, wait = job.schedule.is_due(job.last_run)
            if due:
                job.last_run = job.schedule.now()
                self.run(name)
                wait = job.schedule.is_due(job.last_run)[1]
            waits.append(wait)
        return max(1.0, min(waits, default=60.0))

    def run(self, name: str) -> None:
        """Runs one job here and now; a failure is logged, and the other jobs go on."""
        job = self.jobs[name]
        try:
            result = self.app.tasks[job.task].apply(args=job.args, kwargs=job.kwargs, throw=True)
        except Exception:
            logger.exception("Periodic job %s failed", name)
        else:
            logger.info("Periodic job %s done: %s", name, result.result)
