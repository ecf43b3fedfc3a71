"""Event Rewarding throughput: 5,000 events posted over HTTP, rewarded by one Celery worker.

Needs PostgreSQL and Redis (the project's machines have both):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/events.py
It creates its own throwaway database, serves the app with gunicorn on 127.0.0.1:8765, posts the events from 8
client threads (they wait as `accepted`), then starts one worker (prefork, concurrency 1), times it until none is
left `accepted`, and prints the figures. Set EVENTS=n for another count.
"""

import http.client
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
# DEBUG off (here or in its server) needs a key other than the development default.
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

N = int(os.environ.get("EVENTS", "5000"))
PORT = 8765
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
BATCH = settings.EVENT_REWARD_BATCH  # EVENT_REWARD_BATCH=1 in the environment: one event per task, as before


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/events.py needs DATABASE_URL pointing at PostgreSQL")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    processes: list[subprocess.Popen] = []
    try:
        import redis

        from conftest import issue_token
        from members.models import Member
        from rewards.models import Event, PointsBalance
        from rewards.services.events import event_reward
        from tests.celery_worker import database_url
        from tests.factories import EventTypeFactory, ProgramFactory

        redis.Redis.from_url(BROKER).flushdb()
        program = ProgramFactory(code="BENCH")
        EventTypeFactory(program=program, code="SHARE", points=5)
        members = Member.objects.bulk_create(Member(program=program, member_id=f"M-{i}") for i in range(500))
        PointsBalance.objects.bulk_create(PointsBalance(member=m, program=program) for m in members)
        token = issue_token(program)
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": BROKER,
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "API_RATE_LIMIT": "1000000/min",
            "DJANGO_LOG_LEVEL": "ERROR",
        }
        logs = open(ROOT / "bench" / "events.log", "wb")  # noqa: SIM115
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "loyalty.wsgi",
                    "--bind",
                    f"127.0.0.1:{PORT}",
                    "--workers",
                    "2",
                    "--threads",
                    "4",
                ],
                cwd=ROOT,
                env=env,
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
        )
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", PORT, timeout=1).request("GET", "/api/schema")
                break
            except OSError:
                time.sleep(0.1)

        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def post(i: int) -> int:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
            body = {"reference": f"EV-{i}", "member_id": f"M-{i % 500}", "event_type": "SHARE"}
            conn.request("POST", "/api/v1/events", json.dumps(body), headers)
            status = conn.getresponse().status
            conn.close()
            return status

        # First the requests (no worker yet: the events wait as `accepted`), then one worker rewards them all.
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(post, range(N)))
        posted = time.perf_counter() - started
        assert statuses.count(202) == N, {s: statuses.count(s) for s in set(statuses)}
        worker_started = time.perf_counter()
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "loyalty",
                    "worker",
                    "--concurrency=1",
                    "--loglevel=WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=logs,
                stderr=subprocess.STDOUT,
            )
        )
        first = None
        while Event.objects.filter(status="accepted").exists():
            if first is None and Event.objects.exclude(status="accepted").exists():
                first = time.perf_counter()  # the worker is up: its start-up is not rewarding
            time.sleep(0.05)
        done = time.perf_counter()
        rewarded = Event.objects.filter(status="rewarded").count()
        # The tasks left in the queue find their events done; the figure is the time until none waits.
        rewarding = done - (first or worker_started)

        # Queries per event, measured in-process: one more POST (task not queued) and its reward.
        from unittest import mock

        from conftest import ApiClient

        client = ApiClient(token)
        with mock.patch("rewards.services.events.enqueue_on_commit"), CaptureQueriesContext(connection) as accept_q:
            client.post("/api/v1/events", {"reference": "EV-Q", "member_id": "M-1", "event_type": "SHARE"})
        with CaptureQueriesContext(connection) as reward_q:
            event_reward(event_id=Event.objects.get(reference="EV-Q").pk)
        for i in range(BATCH):
            Event.objects.create(
                program=program,
                member=members[i % len(members)],
                event_type=program.event_types.get(code="SHARE"),
                reference=f"EV-B{i}",
                occurred_at="2026-11-20T10:00:00Z",
                local_date="2026-11-20",
            )
        with CaptureQueriesContext(connection) as batch_q:
            event_reward(event_id=Event.objects.get(reference="EV-B0").pk, batch=BATCH)

        print(f"events posted over HTTP: {N} in {posted:.1f} s ({N / posted:.0f} requests/s, 8 client threads)")
        print(
            f"then rewarded by one worker process (concurrency 1, batches of up to {BATCH}): {rewarded} rewarded "
            f"in {rewarding:.1f} s -> {N / rewarding:.0f} events/s"
        )
        print(
            f"statements: {len(accept_q.captured_queries)} in the POST request (token and member included), "
            f"{len(reward_q.captured_queries)} to reward one event alone, {len(batch_q.captured_queries)} for a "
            f"batch of {BATCH}"
        )
    finally:
        for p in processes:
            p.terminate()
            p.wait(20)
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
