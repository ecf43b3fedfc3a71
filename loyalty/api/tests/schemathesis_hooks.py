"""Schemathesis hooks for the live run (`SCHEMATHESIS_HOOKS=<this file>`, loaded by path by `st run`).

- `filter_failure` drops only the failures that `schemathesis_exceptions.py` excuses, and appends each
  one it drops to `$LIVE_FUZZ_EXCUSED_LOG` (JSON lines) so that the test can say what was excused.
- `error_envelope`, a check of our own: every error answers the contract's one envelope, with the
  request id of its `X-Request-Id` header (what `test_openapi_fuzz.py` asserts in-process).
- `flatmap_case` gives half of the valid writes that Hypothesis generates a fresh `reference` (and
  `POST /members` a fresh `member_id`): generated strings are short ("0", "00"), so without it most
  writes replay or collide with an earlier one (409) and the stateful phase has little to chain from.
  The other half keep what was generated, so replays and conflicts are still exercised.
"""

import importlib.util
import json
import os
import re
from pathlib import Path

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation

_spec = importlib.util.spec_from_file_location(
    "schemathesis_exceptions", Path(__file__).resolve().with_name("schemathesis_exceptions.py")
)
assert _spec is not None and _spec.loader is not None
exceptions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(exceptions)


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if response is None:
        return True
    label = case.operation.label
    entry = exceptions.excused(failure.code, label, response.status_code, exceptions.error_fields(response))
    if entry is None:
        return True
    log = os.environ.get("LIVE_FUZZ_EXCUSED_LOG")
    if log:
        with open(log, "a") as out:
            out.write(json.dumps({"code": failure.code, "operation": label, "reason": entry.reason}) + "\n")
    return False


@schemathesis.check
def error_envelope(ctx, response, case):
    """Every 4xx/5xx answer is `{"error": {"code", "message", "fields", "request_id"}}`, its id in X-Request-Id."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise AssertionError(f"error body is not JSON: {response.content[:200]!r}") from exc
    assert isinstance(body, dict) and set(body) == {"error"}, f"not the error envelope: {body!r}"
    error = body["error"]
    assert isinstance(error, dict), f"not the error envelope: {body!r}"
    missing = {"code", "message", "fields", "request_id"} - set(error)
    assert not missing, f"error envelope without {sorted(missing)}: {body!r}"
    assert isinstance(error["fields"], dict), f"`fields` is not an object: {body!r}"
    header = response.headers.get("x-request-id") or []
    assert header == [error["request_id"]], (
        f"X-Request-Id {header} differs from error.request_id {error['request_id']!r}"
    )
    return True


FRESH = [
    (re.compile(r"POST /api/v1/members"), ("member_id",)),
    (
        re.compile(
            r"POST /api/v1/(transactions/earn|transactions/[^/]+/reversal|events|redemptions|points/locks"
            r"|points/transfers|members/[^/]+/adjustments)"
        ),
        ("reference",),
    ),
]


@schemathesis.hook
def flatmap_case(context, case):
    keys = next((keys for pattern, keys in FRESH if pattern.fullmatch(case.operation.label)), ())
    meta = case.meta
    if not keys or meta is None or meta.is_negative_at(ParameterLocation.BODY) or not isinstance(case.body, dict):
        return st.just(case)
    present = [key for key in keys if isinstance(case.body.get(key), str)]
    if not present:
        return st.just(case)

    def fresh(token):
        derived = case.derive(keep_auth=True)
        derived.body = {**case.body, **{key: f"FZ-{token.hex[:24]}" for key in present}}
        return derived

    return st.one_of(st.just(case), st.uuids().map(fresh))
