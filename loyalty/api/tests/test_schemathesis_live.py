"""Schemathesis, every check and every phase, against a real gunicorn process serving our schema.

`st run` loads `/api/schema` from the live server and runs its four phases on every operation:
examples (the schema's own), coverage (boundary and negative values), fuzzing, and stateful (chains
of calls along the schema's links, explicit or inferred). `--checks all`: no 5xx, documented status
codes, content types, headers and bodies that match the schema, invalid data rejected, valid data
accepted, missing auth refused, unsupported methods answered 405, resources usable once created, plus
our own `error_envelope` check (`schemathesis_hooks.py`). The only failures it may ignore are the
business rules listed, each with its reason, in `schemathesis_exceptions.py`.

Each operation gets the credential its `security` names (OpenAPI-aware auth): a token with every
scope, or for `GET /me` a member cookie (Identification user API). Half of the values generated for
ids (member, gift, event type, segment...) are the program's real ones (`PARAMETERS`), so that calls
reach the business logic and its 2xx answers; the other half stays random (404s, 400s). Half of the
valid writes get a fresh reference (`schemathesis_hooks.py`), so that they create rather than replay.

Bounded for CI: LIVE_FUZZ_MAX_EXAMPLES test cases per operation and phase (10), the stateful phase
LIVE_FUZZ_STATEFUL_EXAMPLES scenarios (60), a fixed seed (LIVE_FUZZ_SEED) so that a run can be
replayed. On failure, the message lists each failure with a curl line to reproduce it; the CLI's
whole output is kept in the test's tmp directory (LIVE_FUZZ_REPORTS=ndjson adds every request).
"""

import copy
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
import schemathesis

from catalog.models import Gift
from rewards.ledger_check import ledger_differences
from rewards.models import Promotion
from tests.factories import (
    CategoryFactory,
    EventTypeFactory,
    GiftFactory,
    MemberFactory,
    ProgramFactory,
    PromotionFactory,
    SegmentFactory,
)
from tests.helpers import fund
from tests.live_server import client_token, live_api_client

pytestmark = [pytest.mark.postgres]

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
MAX_EXAMPLES = int(os.environ.get("LIVE_FUZZ_MAX_EXAMPLES", "10"))
# Scenarios (call sequences along links) of the stateful phase: a few per link, not one per operation.
STATEFUL_EXAMPLES = int(os.environ.get("LIVE_FUZZ_STATEFUL_EXAMPLES", "60"))
SEED = os.environ.get("LIVE_FUZZ_SEED", "20261127")


def make_program():
    """A program with one of everything the contract's examples name, so that examples reach real rows."""
    program = ProgramFactory(code="FUZZ", name="Fuzz Rewards")
    member = MemberFactory(program=program, member_id="M-1")
    fund(member, 100_000)
    MemberFactory(program=program, member_id="M-2")
    # The member of the webshop cookie (`GET /me`): not among the ids Schemathesis is given, so that
    # no generated PATCH blocks it (a blocked member's session ends) before the run is over.
    MemberFactory(program=program, member_id="M-COOKIE")
    vip = SegmentFactory(program=program, code="VIP")
    category = CategoryFactory(program=program, code="HOME")
    GiftFactory(program=program, category=category, sku="MUG", points=500, stock=100)
    GiftFactory(
        program=program,
        category=category,
        sku="V10",
        type=Gift.VOUCHER,
        points=1000,
        value="10.00",
        voucher_valid_days=90,
    )
    PromotionFactory(program=program, code="BASE", kind=Promotion.SPEND, rate="1")
    PromotionFactory(program=program, code="VIPBONUS", kind=Promotion.SPEND, rate="2").segments.add(vip)
    EventTypeFactory(program=program, code="SURVEY", points=50)
    client_id, secret = live_api_client(program, "schemathesis")
    return program, client_id, secret


def member_cookie(base_url: str, token: str, member_id: str) -> str:
    """A member credential (Identification user API): the value of the webshop cookie."""
    answer = httpx.post(
        f"{base_url}/api/v1/members/{member_id}/identification",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["cookie"]["value"]


# Realistic values (the rows of make_program) that Schemathesis uses in half of the cases it generates
# for these parameters, so that requests reach the business logic and its 2xx answers, not only 404s.
DICTIONARIES = {
    "members": ["M-1", "M-2"],
    "gifts": ["MUG", "V10"],
    "event_types": ["SURVEY"],
    "segments": ["VIP"],
    "promotions": ["BASE"],
    "categories": ["HOME"],
    "currencies": ["EUR"],
}
PARAMETERS = {
    "path.member_id": "members",
    "body.member_id": "members",
    "body.from_member_id": "members",
    "body.to_member_id": "members",
    "query.affordable_for": "members",
    "body.gift": "gifts",
    "path.sku": "gifts",
    "body.event_type": "event_types",
    "body.currency": "currencies",
    "path.segment_code": "segments",
    "query.category": "categories",
}
# `{code}` names a segment, a promotion or a voucher depending on the path.
OPERATION_PARAMETERS = {
    "^/api/v1/segments/": {"path.code": "segments"},
    "^/api/v1/promotions/": {"path.code": "promotions"},
}


def budget() -> str:
    # The stateful phase sends valid data only, so that producers succeed and their links are followed;
    # invalid data is what the coverage and fuzzing phases send.
    return (
        f"[generation]\nmax-examples = {MAX_EXAMPLES}\n"
        f'[phases.stateful.generation]\nmax-examples = {STATEFUL_EXAMPLES}\nmode = "positive"\n'
    )


def binding(name: str) -> str:
    return f'{{ dictionary = "{name}", probability = 0.5 }}'


def realistic_values() -> str:
    lines = []
    for name, values in DICTIONARIES.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    lines.append("[parameters]")
    lines += [f'"{key}" = {binding(name)}' for key, name in PARAMETERS.items()]
    for regex, parameters in OPERATION_PARAMETERS.items():
        bound = ", ".join(f'"{key}" = {binding(name)}' for key, name in parameters.items())
        lines += ["[[operations]]", f"include-path-regex = {json.dumps(regex)}", f"parameters = {{ {bound} }}"]
    return "\n".join(lines) + "\n"


def auth_config(schema: dict, token: str, cookie: str) -> str:
    """Schemathesis' OpenAPI-aware auth: each operation gets the credential its `security` names.

    The bearer token goes to the OAuth 2.0 scheme, the member cookie to the cookie API key scheme
    (`GET /me` refuses a bearer token), whatever the schema calls them.
    """
    lines = []
    for name, scheme in schema.get("components", {}).get("securitySchemes", {}).items():
        if scheme.get("type") == "oauth2" or scheme.get("scheme", "").lower() == "bearer":
            lines += [f"[auth.openapi.{json.dumps(name)}]", f"bearer = {json.dumps(token)}"]
        elif scheme.get("type") == "apiKey" and scheme.get("in") == "cookie":
            lines += [f"[auth.openapi.{json.dumps(name)}]", f"api_key = {json.dumps(cookie)}"]
    assert lines, f"no security scheme to authenticate with: {schema.get('components', {}).get('securitySchemes')}"
    return "\n".join(lines) + "\n"


def stateful_statistics(output: str) -> dict[str, int]:
    scenarios = re.search(r"Scenarios:\s+(\d+)", output)
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected / (\d+) total(?: \((.*?)\))?", output)
    return {
        "scenarios": int(scenarios.group(1)) if scenarios else 0,
        "links_covered": int(links.group(1)) if links else 0,
        "links_total": int(links.group(3)) if links else 0,
        "links_origin": links.group(4) if links and links.group(4) else "",
    }


def section(output: str, title: str) -> str:
    """One `=== TITLE ===` section of the CLI's output."""
    match = re.search(rf"=+ {title} =+\n(.*?)(?=\n=+ [A-Z]+ =+\n|\Z)", output, re.S)
    return match.group(1) if match else ""


def failure_digest(output: str) -> list[str]:
    """One line per failure of the CLI's FAILURES section: operation, code, status, message, and its curl."""
    lines = []
    parts = re.split(r"\n_{3,} (.+?) _{3,}\n", "\n" + section(output, "FAILURES"))
    for operation, body in zip(parts[1::2], parts[2::2], strict=True):
        for case in re.split(r"\n\d+\. Test Case ID: ", body)[1:]:
            codes = re.findall(r"^- (ST\d+ .+)$", case, re.M)
            status = re.search(r"^\[(\d+)\] ", case, re.M)
            detail = re.search(r'"message":"(.{0,240})', case) or re.search(r"^    (\S.{0,240})$", case, re.M)
            curl = re.search(r"^    (curl .*)$", case, re.M)
            lines.append(
                f"- {operation}: {'; '.join(codes)} -> {status.group(1) if status else '?'}: "
                f"{detail.group(1) if detail else ''}\n    {curl.group(1)[:600] if curl else ''}"
            )
    return lines


def missing_links(output: str) -> list[str]:
    """The CLI's warnings about operations that no link feeds (so they mostly see 404s)."""
    warnings = section(output, "WARNINGS")
    found = re.findall(r"\n(No links point to [^\n]*?):?\n((?:  - [^\n]+\n?)+)", warnings)
    operation = re.compile(r"- ([A-Z]+ \S+)")
    return [f"{hint.strip()}: {', '.join(operation.findall(operations))}" for hint, operations in found]


def unlinked_operations(raw_schema: dict) -> list[str]:
    """Operations with a path parameter that no link, explicit or inferred by Schemathesis, leads to."""
    schema = schemathesis.openapi.from_dict(copy.deepcopy(raw_schema))
    schema.as_state_machine()  # adds the links that Schemathesis infers to the schema
    linked = schema.operations_with_incoming_links()
    return sorted(
        f"{method.upper()} {path}"
        for path, item in raw_schema["paths"].items()
        for method, operation in item.items()
        if "{" in path and isinstance(operation, dict) and "responses" in operation
        if f"{method.upper()} {path}" not in linked
    )


def summary(report: dict, stateful: dict, excused: Counter, output: str) -> str:
    lines = [
        f"operations: {report['operations']['tested']}/{report['operations']['total']} tested; "
        f"test cases: {report['test_cases']['generated']} generated, "
        f"{report['test_cases']['with_failures']} with failures ({report['test_cases']['unique_failures']} unique), "
        f"{report['filtered']} failures excused",
        f"stateful: {stateful['scenarios']} scenarios, links {stateful['links_covered']} covered "
        f"/ {stateful['links_total']} total ({stateful['links_origin']})",
        "failures by class:",
    ]
    lines += [f"  {f['code']} {f['title']}: {f['count']} ({', '.join(f['operations'])})" for f in report["failures"]]
    lines += [f"  error: {json.dumps(e)[:500]}" for e in report["errors"]]
    lines += ["excused (schemathesis_exceptions.py):"]
    lines += [f"  {n} x {reason} [{code} {operation}]" for (code, operation, reason), n in sorted(excused.items())]
    lines += ["operations no link reaches:"] + [f"  {line}" for line in missing_links(output)]
    return "\n".join(lines)


def test_schemathesis_live(live_server_gunicorn, tmp_path):
    program, client_id, secret = make_program()
    url = live_server_gunicorn.url
    token = client_token(url, client_id, secret)
    cookie = member_cookie(url, token, "M-COOKIE")
    schema = httpx.get(f"{url}/api/schema", params={"format": "json"}, timeout=30).json()
    config_path = tmp_path / "schemathesis.toml"
    config_path.write_text(budget() + auth_config(schema, token, cookie) + realistic_values())
    report_path = tmp_path / "schemathesis.json"
    excused_log = tmp_path / "excused.jsonl"
    command = [
        str(BIN / "st"),
        "--config-file",
        str(config_path),
        "--no-color",
        "run",
        f"{url}/api/schema?format=json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        SEED,
        # One worker: Hypothesis parses lambdas with `ast` while it generates, and CPython 3.11's `ast` is
        # not thread-safe ("AST constructor recursion depth mismatch", python/cpython#106905).
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--report",
        # LIVE_FUZZ_REPORTS adds formats for a closer look (e.g. `ndjson,har`), kept in the tmp directory.
        ",".join(["json", *filter(None, os.environ.get("LIVE_FUZZ_REPORTS", "").split(","))]),
        "--report-dir",
        str(tmp_path),
        "--report-json-path",
        str(report_path),
    ]
    result = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py"),
            "LIVE_FUZZ_EXCUSED_LOG": str(excused_log),
        },
    )
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.txt").write_text(output)
    assert report_path.exists(), f"schemathesis did not run:\n{output[-6000:]}"
    report = json.loads(report_path.read_text())
    excused = Counter()
    if excused_log.exists():
        for line in excused_log.read_text().splitlines():
            entry = json.loads(line)
            excused[entry["code"], entry["operation"], entry["reason"]] += 1
    stateful = stateful_statistics(output)
    text = summary(report, stateful, excused, output)
    details = "\n".join(failure_digest(output)) + f"\nfull output: {tmp_path / 'schemathesis.txt'}"
    print(text)

    assert report["operations"]["tested"] == report["operations"]["total"], f"{text}\n{details}"
    assert report["stop_reason"] == "completed" and report["complete"], f"{text}\n{details}"
    assert not report["errors"], f"{text}\n{details}\n{section(output, 'ERRORS')[-6000:]}"
    assert not report["failures"], f"{text}\nfailures:\n{details}"
    # The stateful phase ran and followed links (explicit ones of the schema, and those Schemathesis
    # infers), and every operation with an id in its path is the target of one. (The CLI's warnings
    # about operations no link feeds, in the summary, depend on how often a run meets a 404.)
    assert stateful["scenarios"] > 0 and stateful["links_covered"] > 0, f"{text}\n{details}"
    assert unlinked_operations(schema) == [], text
    assert result.returncode == 0, f"{text}\n{details}\n{output[-6000:]}"
    # Whatever the thousands of requests did, every balance still equals its ledger, and the server
    # logged no error (an exception after commit, in a task run eagerly, answers no 5xx).
    assert ledger_differences(program.pk) == []
    assert live_server_gunicorn.logged_errors() == []
