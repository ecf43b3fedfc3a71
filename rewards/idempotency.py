"""Idempotent writes by partner reference.

A write does its work, then records its answer under (program, operation, reference), all in one transaction.
A retry with the same body gets that answer back; with a different body, `409 idempotency_mismatch`.

The database decides, not a look-up before the work: every write inserts rows that are unique by its reference
(the earn, its ledger entry, the redemption, the lock, the record itself). A concurrent duplicate therefore waits
on the first one's row lock or unique index; once the first commits, the duplicate's insert fails and it answers
the recorded answer instead. A write refused by the state of things (409) records nothing, so its retry is
evaluated afresh; a retry of a write that succeeded answers as it did then, whatever the state is now.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    perform: Callable[[], Answer],
    extra: str = "",
) -> Answer:
    """Runs `perform` once per reference; `perform` must do all its writes in the caller's transaction."""
    digest = request_hash(payload, extra)
    lookup = {
        "program_id": program_id if program_id is not None else program.pk if program is not None else None,
        "operation": operation,
        "reference": reference,
    }
    try:
        with transaction.atomic():
            answer = perform()
            IdempotencyRecord.objects.create(
                **lookup, request_hash=digest, response_status=answer.status, response_body=json.dumps(answer.body)
            )
            return answer
    except (IntegrityError, DomainError):
        # The reference is taken (earlier, or by a concurrent duplicate we waited for): replay its answer. A
        # domain refusal of a replay (the member since blocked...) gives way to the recorded answer too.
        stored = IdempotencyRecord.objects.filter(**lookup).first()
        if stored is None or stored.response_body is None:
            raise
        return _replay(stored, digest)
