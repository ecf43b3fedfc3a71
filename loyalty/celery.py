"""Celery application. Without CELERY_BROKER_URL tasks run eagerly in-process."""

import os
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun

from loyalty.core.request_id import current_request_id, reset_request_id, set_request_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")

app = Celery("loyalty")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _django_logging(**_: Any) -> None:
    """Workers log like the web processes (settings.LOGGING: request ids in every record), not Celery's way."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


# The request id travels with the work a request enqueues: in the message's headers, then around the task.
@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id and "request_id" not in headers:
        headers["request_id"] = request_id


_tokens: dict[str, Any] = {}


@task_prerun.connect
def _receive_request_id(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    if task is None:
        return
    # Custom message headers: attributes of the task's request (protocol 2), or under `headers`.
    request_id = getattr(task.request, "request_id", None) or (task.request.headers or {}).get("request_id")
    if task_id and request_id:
        _tokens[task_id] = set_request_id(request_id)


@task_postrun.connect
def _forget_request_id(task_id: str | None = None, **_: Any) -> None:
    token = _tokens.pop(task_id, None) if task_id else None
    if token is not None:
        reset_request_id(token)
