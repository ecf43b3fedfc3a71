"""The id of the request (or of the background work it started) that the current code serves.

One context variable, set by the request middleware and by Celery around each task: error bodies, log
records and the tasks a request enqueues all read it, so one id follows a request through the logs.
"""

import contextvars
import re
import secrets

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # fullmatch(): `$` would let a trailing newline in

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(16)


def valid_request_id(value: str | None) -> str | None:
    """The caller's id when it has the contract's form (1-128 of A-Z a-z 0-9 . _ : -), else None."""
    return value if value is not None and REQUEST_ID_RE.fullmatch(value) else None


def current_request_id() -> str | None:
    return _current.get()


def set_request_id(value: str | None) -> contextvars.Token[str | None]:
    return _current.set(value)


def reset_request_id(token: contextvars.Token[str | None]) -> None:
    _current.reset(token)
