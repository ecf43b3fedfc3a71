"""The only failures the live Schemathesis run may ignore: business rules that a schema cannot express.

Each entry excuses one failure class (Schemathesis' failure code, e.g. ST202 "schema-valid request
rejected") on the operations its regex matches, for one status, and only for the error `fields` it
names, each with its message: an answer that has any other field in its error, or another message,
still fails. Nothing else is excused anywhere: a 5xx, an undocumented status, a body or header that
does not match the schema all fail the test, and so does an operation that no link reaches (a warning
of Schemathesis). Keep one line of reason per entry.

`schemathesis_hooks.py` applies them (a `filter_failure` hook); the run counts them under `filtered`.
"""

import json
import re
from dataclasses import dataclass

ANY_OPERATION = r"[A-Z]+ /api/v1/.*"


@dataclass(frozen=True)
class Excused:
    code: str  # Schemathesis failure code (`st explain <code>`)
    operation: str  # regex on "METHOD /path" (full match)
    status: int  # the server's answer
    fields: dict[str, str]  # error field (regex, full match) -> its message (regex, search)
    reason: str


EXCUSED = [
    # All are schema-valid requests (ST202, check positive_data_acceptance) refused by a rule that depends
    # on the program's data, on the server's state or clock, or that JSON Schema has no keyword for.
    Excused(
        "ST202",
        r"POST /api/v1/events",
        400,
        {"event_type": r"Unknown event type"},
        "An event type must be one of the program's active event types (admin data, not schema).",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/(transactions/earn|baskets/evaluate)",
        400,
        {"currency": r"program's currency"},
        "The basket's currency must be the program's (one per program, known only at run time).",
    ),
    Excused(
        "ST202",
        r"(POST|PATCH) /api/v1/members(/[^/]+)?",
        400,
        {"language": r"program's languages"},
        "A member's language must be one of the program's languages (program data).",
    ),
    Excused(
        "ST302",
        r"POST /api/v1/members/[^/]+/merge",
        404,
        {"from_member_id": r"not found"},
        "A merge names two members: the created one is found; the other (`from_member_id`) is generated at random.",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/webhooks",
        400,
        {"url": r"https://|loopback, private|Cannot resolve"},
        "A webhook URL must name a public host (resolved at run time); JSON Schema checks only its shape.",
    ),
    Excused(
        "ST202",
        ANY_OPERATION,
        400,
        {r"cursor": r"Invalid cursor"},
        "A cursor is opaque: only a `next` value the server gave decodes (contract: anything else is 400).",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/(transactions/earn|baskets/evaluate)",
        400,
        {r"lines\.\d+\.line_id": r"unique"},
        "A line_id is unique within the basket: JSON Schema cannot make one property of array items unique.",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/points/transfers",
        400,
        {"to_member_id": r"Must differ"},
        "Sender and receiver must differ: JSON Schema cannot compare two fields.",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/(transactions/earn|baskets/evaluate|events)",
        400,
        {"occurred_at": r"more than 24 hours after the server's time|before 2000-01-01"},
        "occurred_at lies between 2000-01-01 and 24 h after the server's now (contract, Time): no schema bound.",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/transactions/[^/]+/reversal",
        400,
        {r"lines\.\d+\.line_id": r"is not in earn", r"lines\.\d+\.quantity": r"had only \d+ units"},
        "A returned line must be a line of that earn, with no more units than it had (the earn's own data).",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/points/locks/[^/]+/capture",
        400,
        {"points": r"Cannot capture \d+ points of a \d+-point lock"},
        "Capturing more than the lock holds is a 400 (contract): the bound is the lock's own points.",
    ),
    Excused(
        "ST202",
        r"POST /api/v1/segments/[^/]+/members",
        400,
        {r"add|remove": r"at most 10000 ids together"},
        "add and remove hold at most 10,000 ids together: JSON Schema cannot bound the sum of two arrays.",
    ),
    Excused(
        "ST202",
        ANY_OPERATION,
        400,
        {r".*": r"Must be a JSON integer"},
        "JSON Schema counts 197.0 as an integer; the contract wants a JSON integer (no fraction).",
    ),
    Excused(
        "ST202",
        ANY_OPERATION,
        400,
        {r".*": r"NUL|unpaired surrogate"},
        "NUL characters and unpaired surrogates are refused in any string (contract, Limits); no schema keyword.",
    ),
]


def error_fields(response) -> dict[str, list[str]] | None:
    """The `fields` of the error envelope, or None when the body is not one."""
    try:
        body = json.loads(response.content)
        fields = body["error"]["fields"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(fields, dict):
        return None
    return {
        str(key): [str(m) for m in (value if isinstance(value, list) else [value])] for key, value in fields.items()
    }


def excused(code: str, operation: str, status: int, fields: dict[str, list[str]] | None) -> Excused | None:
    """The entry excusing this failure: every field of the error must be excused by an entry for it."""
    if not fields:
        return None
    entries = [
        entry
        for entry in EXCUSED
        if entry.code == code and entry.status == status and re.fullmatch(entry.operation, operation)
    ]
    found = None
    for field, messages in fields.items():
        for message in messages:
            match = next(
                (
                    entry
                    for entry in entries
                    for pattern, text in entry.fields.items()
                    if re.fullmatch(pattern, field) and re.search(text, message)
                ),
                None,
            )
            if match is None:
                return None
            found = found or match
    return found
