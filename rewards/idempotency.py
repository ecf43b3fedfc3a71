"""Idempotent writes by partner reference.

The first request claims (program, operation, reference) with a unique row and stores its answer
in the same transaction as its effects. A retry with the same body gets that answer back; with a
different body, `409 idempotency_mismatch`. Concurrent duplicates wait on the unique index and
then replay: the database decides, not a look-up before insert.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

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
    *, program: Program, operation: str, reference: str, payload: Any, perform: Callable[[], Answer], extra: str = ""
) -> Answer:
    """Runs `perform` once per reference; `perform` must do all its writes in the caller's transaction."""
    digest = request_hash(payload, extra)
    lookup = {"program": program, "operation": operation, "reference": reference}
    try:
        with transaction.atomic():
            # The claim comes first: a concurrent duplicate blocks here until this transaction ends.
            record = IdempotencyRecord.objects.create(**lookup, request_hash=digest)
            answer = perform()
            record.response_status = answer.status
            record.response_body = json.dumps(answer.body)
            record.save(update_fields=["response_status", "response_body"])
            return answer
    except IntegrityError:
        # The reference is taken (earlier, or by a concurrent duplicate we waited for): replay its answer.
        stored = IdempotencyRecord.objects.filter(**lookup).first()
        if stored is None or stored.response_body is None:
            raise
        return _replay(stored, digest)
