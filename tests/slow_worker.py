"""The project's Celery app for shutdown tests: the same app, with chosen tasks made slow and their runs noted.

`celery -A tests.slow_worker worker` runs loyalty.celery.app (same settings, queues, routes and tasks). With
SLOW_TASKS (comma-separated task names), SLOW_SECONDS and SLOW_LOG set, each run of such a task writes
`start <name> <task id>` to SLOW_LOG, sleeps SLOW_SECONDS before the task's own code runs, and writes
`end <name> <task id> <state>` after it. A test signals the worker during the sleep and then reads what ran.
"""

import os
import time
from typing import Any

from celery.signals import task_postrun, task_prerun

from loyalty.celery import app

__all__ = ["app"]


def _watched(task: Any) -> bool:
    return task is not None and task.name in os.environ.get("SLOW_TASKS", "").split(",")


def _note(line: str) -> None:
    with open(os.environ["SLOW_LOG"], "a", encoding="utf-8") as log:
        log.write(line + "\n")


@task_prerun.connect
def _slow_start(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if _watched(task):
        _note(f"start {task.name} {task_id}")
        time.sleep(float(os.environ.get("SLOW_SECONDS", "5")))


@task_postrun.connect
def _note_end(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    if _watched(task):
        _note(f"end {task.name} {task_id} {state}")
