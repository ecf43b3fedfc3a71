"""The hot paths over HTTP, side by side in one run: GET /program, POST /baskets/evaluate (100 lines) and
POST /transactions/earn (10 lines) on a program with 1,000 live promotions, through gunicorn on PostgreSQL,
driven by wrk (Debian package `wrk`); then earn again at half its saturation rate for its p95; and the number
of SQL statements one earn costs (and authentication, warm).

    .venv/bin/python bench/hot_paths.py [--seconds 15] [--connections 8] [--workers 2] [--async-commit]

It creates a fresh database `loyalty_http` on the local PostgreSQL and a gunicorn on 127.0.0.1:8123.
"""

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATABASE = "loyalty_http"
PORT = 8123
MEMBERS = 1_000
ENV = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-http-secret-key-not-for-production-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "REDIS_URL": "redis://127.0.0.1:6379/3",
    "API_RATE_LIMIT": "100000000/min",
    "API_ANON_RATE_LIMIT": "100000000/min",
    "DJANGO_CONN_MAX_AGE": "600",
}

# Every request a new earn: the reference joins this run's tag, the wrk thread's number (setup() gives each thread
# its own, as math.random would give every thread the same sequence) and a counter.
EARN_LUA = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local counter = 0
local members = %(members)d
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local lines = '%(lines)s'
function request()
  counter = counter + 1
  local member = string.format("B-%%04d", (counter * 7 + id * 500) %% members)
  local reference = "W-%(run)s-" .. id .. "-" .. counter
  local body = '{"reference":"' .. reference .. '","member_id":"' .. member .. '","lines":' .. lines .. '}'
  return wrk.format(nil, "/api/v1/transactions/earn", nil, body)
end
%(pace)s
function done(summary, latency, requests)
  io.write(string.format("P50 %%.3f P95 %%.3f P99 %%.3f\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""

POST_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
wrk.body = '%(body)s'
function done(summary, latency, requests)
  io.write(string.format("P50 %%.3f P95 %%.3f P99 %%.3f\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""

GET_LUA = """
wrk.headers["Authorization"] = "Bearer %(token)s"
function done(summary, latency, requests)
  io.write(string.format("P50 %%.3f P95 %%.3f P99 %%.3f\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qtA", "-c", sql], check=True)


def lines_json(rng: random.Random, size: int) -> list[dict]:
    from evaluate import CATEGORY_OF, SKUS

    lines = []
    for n, sku in enumerate(rng.sample(SKUS, size)):
        lines.append(
            {
                "line_id": str(n + 1),
                "sku": sku,
                "product_category": CATEGORY_OF[sku],
                "quantity": rng.randint(1, 4),
                "unit_price": f"{Decimal(rng.randint(50, 5_000)) / 100:.2f}",
            }
        )
    return lines


def setup() -> tuple[str, object]:
    """The program (1,000 live promotions, the bench/evaluate.py mix), members, an API client; returns a token."""
    import django

    django.setup()
    from django.test import Client
    from evaluate import build_rules

    from programs.services import api_client_create
    from rewards.models import Promotion
    from rewards.services.enrolment import member_enrol
    from tests.factories import ProgramFactory

    program = ProgramFactory(code="HTTP", name="HTTP bench", expiry_months=24)
    rules = build_rules(random.Random(7))
    Promotion.objects.bulk_create(
        [
            Promotion(
                program=program,
                code=r.code,
                name=dict(r.name),
                kind=r.kind,
                status="live",
                rate=r.rate,
                points=r.points,
                threshold=r.threshold,
                factor=r.factor,
                products=sorted(r.products),
                product_categories=sorted(r.product_categories),
                channels=sorted(r.channels),
                starts_at=r.starts_at,
                # The engine takes any window; the database wants start before end.
                ends_at=r.ends_at if not (r.starts_at and r.ends_at and r.starts_at >= r.ends_at) else None,
                min_amount=r.min_amount,
                max_points=r.max_points,
            )
            for r in rules
        ]
    )
    for n in range(MEMBERS):
        member_enrol(program=program, member_id=f"B-{n:04d}")
    client, secret = api_client_create(
        program=program, name="bench", scopes="program:read points:read points:write members:read"
    )
    answer = Client().post(
        "/oauth/token/",
        {"grant_type": "client_credentials", "client_id": client.application.client_id, "client_secret": secret},
    )
    return answer.json()["access_token"], program


def count_statements(token: str) -> tuple[int, int]:
    """SQL statements of one earn (10 lines) and of one authenticated GET, both warm, in process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    http = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(3)
    for n in range(3):  # warm: rule cache, token cache
        http.post(
            "/api/v1/transactions/earn",
            {"reference": f"WARM-{n}", "member_id": "B-0001", "lines": lines_json(rng, 10)},
            content_type="application/json",
        )
        http.get("/api/v1/program")
    with CaptureQueriesContext(connection) as earn:
        answer = http.post(
            "/api/v1/transactions/earn",
            {"reference": "COUNT-1", "member_id": "B-0002", "lines": lines_json(rng, 10)},
            content_type="application/json",
        )
        assert answer.status_code == 201, answer.content
    with CaptureQueriesContext(connection) as read:
        http.get("/api/v1/program")
    return len(earn.captured_queries), len(read.captured_queries)


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by the gunicorn workers, PostgreSQL's processes, Redis and wrk (finished children)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as file:
                command = file.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if "gunicorn" in command:
            used["gunicorn"] += seconds
        elif command.startswith("postgres"):
            used["postgres"] += seconds
        elif "redis-server" in command:
            used["redis"] += seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used["wrk"] = children.ru_utime + children.ru_stime
    return used


def wrk(script: str, path: str, seconds: int, connections: int, threads: int = 2) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    before = cpu_seconds()
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", file.name, f"http://127.0.0.1:{PORT}{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    after = cpu_seconds()
    os.unlink(file.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p50, p95, p99 = (float(x) for x in re.search(r"P50 ([\d.]+) P95 ([\d.]+) P99 ([\d.]+)", out).groups())
    return {
        "rate": rate,
        "requests": requests,
        "non2xx": int(bad.group(1)) if bad else 0,
        "errors": errors.group(1) if errors else "",
        "p50": p50,
        "p95": p95,
        "p99": p99,
        # CPU milliseconds per request, by process: where the two cores' time went.
        "cpu": {name: 1000 * (after[name] - before[name]) / max(requests, 1) for name in after},
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="per worker: 1 (sync workers) as deployed")
    parser.add_argument(
        "--async-commit",
        action="store_true",
        help="synchronous_commit=off on the bench database only: the most that batching commits (group commit) "
        "could buy; a measurement, never a deployment setting (a crash could lose acknowledged earns)",
    )
    args = parser.parse_args()

    os.environ.update(ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    if args.async_commit:
        psql(f"ALTER DATABASE {DATABASE} SET synchronous_commit = off")
    subprocess.run(["redis-cli", "-n", "3", "flushdb"], check=True, capture_output=True)
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, check=True, capture_output=True)
    token, _program = setup()
    # As autovacuum would soon after: without statistics the planner reads a member by scanning the program's.
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-qc", "ANALYZE"], check=True)
    earn_statements, read_statements = count_statements(token)

    log = open(tempfile.gettempdir() + "/bench-http-gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "loyalty.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_LOG_LEVEL": "WARNING"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        import httpx

        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{PORT}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        rng = random.Random(11)
        basket100 = json.dumps({"member_id": "B-0003", "lines": lines_json(rng, 100)})
        lines10 = json.dumps(lines_json(rng, 10))
        wrk(GET_LUA % {"token": token}, "/api/v1/program", 3, args.connections)  # warm every worker
        wrk(POST_LUA % {"token": token, "body": basket100}, "/api/v1/baskets/evaluate", 3, args.connections)
        program = wrk(GET_LUA % {"token": token}, "/api/v1/program", args.seconds, args.connections)
        evaluate = wrk(
            POST_LUA % {"token": token, "body": basket100}, "/api/v1/baskets/evaluate", args.seconds, args.connections
        )
        earn = wrk(
            EARN_LUA % {"token": token, "lines": lines10, "members": MEMBERS, "pace": "", "run": "saturated"},
            "/api/v1/transactions/earn",
            args.seconds,
            args.connections,
        )
        half = earn["rate"] / 2
        # Each connection waits between requests so that all of them together send half the saturation rate.
        pace = f"function delay() return {int(1000 * args.connections / half)} end"
        paced = wrk(
            EARN_LUA % {"token": token, "lines": lines10, "members": MEMBERS, "pace": pace, "run": "paced"},
            "/api/v1/transactions/earn",
            args.seconds,
            args.connections,
        )
    finally:
        os.killpg(server.pid, 15)
        server.wait(10)
        log.close()

    print(
        f"\n{args.workers} gunicorn workers x {args.threads} threads, {args.connections} connections, "
        f"{args.seconds} s each, 1,000 promotions"
        + (", synchronous_commit off (an upper bound, not durable)" if args.async_commit else "")
    )
    print("| request | throughput | vs GET /program | p50 | p95 | non-2xx |")
    print("|---|---|---|---|---|---|")
    for name, row in (
        ("GET /api/v1/program", program),
        ("POST /baskets/evaluate, 100 lines", evaluate),
        ("POST /transactions/earn, 10 lines", earn),
    ):
        print(
            f"| {name} | {row['rate']:.0f} req/s | {row['rate'] / program['rate']:.2f} | {row['p50']:.1f} ms "
            f"| {row['p95']:.1f} ms | {row['non2xx']} |"
        )
    print(
        "CPU ms per request: "
        + "; ".join(
            f"{name} " + ", ".join(f"{part} {ms:.2f}" for part, ms in row["cpu"].items())
            for name, row in (("GET", program), ("evaluate", evaluate), ("earn", earn))
        )
    )
    print(
        f"earn at half its saturation ({paced['rate']:.0f} req/s): p50 {paced['p50']:.1f} ms, "
        f"p95 {paced['p95']:.1f} ms, p99 {paced['p99']:.1f} ms, non-2xx {paced['non2xx']}"
    )
    print(f"SQL statements: earn {earn_statements} (10 lines, warm), authenticated GET /program {read_statements}")
    written = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", DATABASE, "-qtAc"]
        + ["SELECT count(*) FROM rewards_earn WHERE reference LIKE 'W-saturated-%' OR reference LIKE 'W-paced-%'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # wrk counts the requests it sent, answered or not by the end of the run: the earns written may be a few more.
    print(f"earns written: {written} for {earn['requests'] + paced['requests']} earn requests answered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
