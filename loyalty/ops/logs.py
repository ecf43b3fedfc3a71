"""JSON log lines: one object per line, for log shippers (`DJANGO_LOG_FORMAT=json`, the default without debug).

Every line has `timestamp` (UTC, ISO 8601), `level`, `logger`, `message` and `request_id` (null outside a request
or a task), then what the request knows of its caller (`program`, `client_id`, `member_id`, see
`loyalty.core.logging.bind_log_context`), then the record's own extra fields (the request line's `method`,
`route`, `status`, `duration_ms`...) and `exc_info` for an exception.
"""

import logging
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from loyalty.core.request_id import current_request_id

FIRST = ("timestamp", "level", "logger", "message", "request_id")
# Attributes of some records that are objects, not data: Django's request (its path may hold a login token),
# uvicorn-style colour strings, the context mapping itself (merged field by field instead).
SKIPPED = ("request", "server_time", "color_message", "log_context", "taskName")


class JsonFormatter(BaseJsonFormatter):
    """The JSON line of a record. Configuring it also routes Python's warnings through logging (`py.warnings`),
    so that they too are JSON lines rather than raw text on stderr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        logging.captureWarnings(True)
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
            reserved_attrs=[*RESERVED_ATTRS, *SKIPPED],
            json_ensure_ascii=False,
        )

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        # A record made before the factory was installed (or in gunicorn's master) has none of its own.
        request_id = getattr(record, "request_id", None) or current_request_id()
        log_data["request_id"] = None if request_id == "-" else request_id
        # What is known of the caller, unless the record names it itself.
        for key, value in getattr(record, "log_context", {}).items():
            log_data.setdefault(key, value)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        ordered = {key: log_data.pop(key) for key in FIRST if key in log_data}
        ordered.update(log_data)
        return ordered
