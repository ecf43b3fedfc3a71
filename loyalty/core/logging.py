"""Log records carry the request id of the work they come from (`-` outside any request or task).

Set on every record by the record factory (not a handler's filter), so that every handler sees it: the
console's, a test's, an error reporter's.
"""

import logging
from typing import Any

from loyalty.core.request_id import current_request_id

_installed = False


def install_request_id_on_records() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id() or "-"
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class PlainFormatter(logging.Formatter):
    """Text lines with the request id, also for a record made before the factory was installed."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return super().format(record)
