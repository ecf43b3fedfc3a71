"""Idempotent writes by partner reference.

A write does its work, then records its answer under (program, operation, reference), all in one transaction.
A retry with the same body gets that answer back; with a different body, `409 idempotency_mismatch`.

The database decides, not a look-up before the work: every write inserts rows that are unique by its reference
(the earn, its ledger entry, the redemption, the lock, the record itself). A concurrent duplicate therefore waits
on the first one's row lock or unique index; once the first commits, the duplicate's insert fails and it answers
the recorded answer instead. A write refused by the state of things (409) records nothing, so its retry is
evaluated afresh; a retry of a write that succeeded answers as it did then, whatever the state is now.

A write that can put the record in one of its own statements (the earn on PostgreSQL: `rewards.statements`) asks
for the `Claim` (`run_idempotent(..., inline=True)`): it builds its answer before its last statement, inserts the
record with its rows, and marks the claim `recorded`; otherwise the record is inserted after `perform`, as before.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from django.db import IntegrityError, transaction

from loyalty.core.errors import DomainError
from programs.models import Program
from rewards.models import IdempotencyRecord


class IdempotencyMismatch(Exception):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


@dataclass
class Claim:
    """The record of one idempotent write, for a write that inserts it in a statement of its own."""

    program_id: int
    operation: str
    reference: str
    request_hash: str
    recorded: bool = False

    def record(self, answer: Answer) -> IdempotencyRecord:
        """The record of `answer`, unsaved: the write inserts it, then sets `recorded`."""
        return IdempotencyRecord(
            program_id=self.program_id,
            operation=self.operation,
            reference=self.reference,
            request_hash=self.request_hash,
            response_status=answer.status,
            response_body=answer_text(answer.body),
        )


def answer_text(body: dict) -> str:
    """The stored answer: read back with `json.loads` for a replay, so any exact JSON writing will do; orjson's is
    the fastest, and what it refuses (an integer beyond 64 bits) the standard library writes."""
    try:
        return orjson.dumps(body).decode()
    except orjson.JSONEncodeError:
        return json.dumps(body)


def request_hash(payload: Any, extra: str = "") -> str:
    canonical = json.dumps({"extra": extra, "body": payload}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> Answer:
    if record.request_hash != digest:
        raise IdempotencyMismatch(
            f"Reference {record.reference} was already used for a different {record.operation} request."
        )
    assert record.response_body is not None  # a record is read only once its answer is stored
    return Answer(status=200, body=json.loads(record.response_body), replayed=True)


def run_idempotent(
    *,
    program: Program | None = None,
    program_id: int | None = None,
    operation: str,
    reference: str,
    payload: Any,
    perform: Callable[..., Answer],
    extra: str = "",
    inline: bool = False,
) -> Answer:
    """Runs `perform` once per reference; `perform` must do all its writes in the caller's transaction.

    With `inline`, `perform` is called with the `Claim` and may insert the record itself (see the module)."""
    digest = request_hash(payload, extra)
    owner = program_id if program_id is not None else program.pk if program is not None else None
    assert owner is not None, "an idempotent write belongs to a program"
    lookup = {"program_id": owner, "operation": operation, "reference": reference}
    try:
        with transaction.atomic():
            claim = Claim(owner, operation, reference, digest)
            answer = perform(claim) if inline else perform()
            if not claim.recorded:
                claim.record(answer).save(force_insert=True)
            return answer
    except (IntegrityError, DomainError):
        # The reference is taken (earlier, or by a concurrent duplicate we waited for): replay its answer. A
        # domain refusal of a replay (the member since blocked...) gives way to the recorded answer too.
        stored = IdempotencyRecord.objects.filter(**lookup).first()
        if stored is None or stored.response_body is None:
            raise
        return _replay(stored, digest)
