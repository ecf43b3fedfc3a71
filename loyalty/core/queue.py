"""Enqueueing after commit, never failing the request: the database row is the outbox.

If the broker is unreachable the message is lost, not the work: periodic sweepers find the rows
still waiting and enqueue them again.
"""

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger("loyalty.core.queue")


def enqueue(task: Task, *args: Any) -> bool:
    try:
        task.delay(*args)
    except Exception:  # broker down or misconfigured: the sweeper retries later
        logger.warning("Could not enqueue %s%r; the sweeper will retry.", task.name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any) -> None:
    transaction.on_commit(lambda: enqueue(task, *args))
