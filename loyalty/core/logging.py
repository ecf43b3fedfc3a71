"""Log records carry the request id of the work they come from (`-` outside any request or task), and what
the request has learnt about its caller so far (program code, API client id, member id).

Set on every record by the record factory (not a handler's filter), so that every handler sees it: the
console's, a test's, an error reporter's.
"""

import contextvars
import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from loyalty.core.request_id import current_request_id

_installed = False

# Copied on write: a mapping once set is never changed, so records may keep a reference to it.
_NOTHING: Mapping[str, str] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("log_context", default=_NOTHING)


def bind_log_context(**fields: str | None) -> None:
    """Adds what the current request knows about its caller (`program`, `client_id`, `member_id`) to the
    records logged after this call, until the request ends (`clear_log_context`)."""
    known = {key: value for key, value in fields.items() if value}
    if known:
        _context.set({**_context.get(), **known})


def log_context() -> Mapping[str, str]:
    return _context.get()


def clear_log_context() -> None:
    _context.set(_NOTHING)


def install_request_id_on_records() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        record.log_context = _context.get()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class PlainFormatter(logging.Formatter):
    """Text lines with the request id, also for a record made before the factory was installed."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return super().format(record)
