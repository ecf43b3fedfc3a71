"""Webhook delivery: 10,000 earns with one subscription, delivered by one worker process to a local receiver.

Needs PostgreSQL and Redis:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/webhooks.py
In a throwaway database it subscribes an HTTP receiver on 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE_URLS) to
`points.earned`, posts the earns in process through the services (each writes its event and delivery in its own
transaction, as the API does), with the delivery tasks queued on the broker, then starts one worker (prefork,
concurrency 1, the `webhooks` queue) and times it until every delivery is `delivered`. It prints the deliveries
made and the worker's throughput draining that backlog; then, the worker running, it posts PACED_EARNS (1,000)
earns at 30 a second and prints the outbox lag (from the event's creation to the receiver's 2xx) p50/p99.
Set EARNS=n for another count.
"""

import http.server
import os
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz")
os.environ["WEBHOOK_ALLOW_PRIVATE_URLS"] = "true"
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
os.environ["CELERY_BROKER_URL"] = BROKER
N = int(os.environ.get("EARNS", "10000"))
PACED = int(os.environ.get("PACED_EARNS", "1000"))
PACE = 30  # earns per second in the steady-state phase

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


class Handler(http.server.BaseHTTPRequestHandler):
    received: dict[str, float] = {}

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Handler.received[self.headers["webhook-id"]] = time.time()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("bench/webhooks.py needs DATABASE_URL pointing at PostgreSQL")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    worker = None
    try:
        import redis

        from programs.models import WebhookDelivery, WebhookEvent
        from programs.services import api_client_create
        from programs.webhook_services import webhook_subscribe
        from rewards.engine import Line
        from rewards.services.earning import Basket, earn_post
        from rewards.services.enrolment import member_enrol
        from tests.celery_worker import database_url
        from tests.factories import ProgramFactory, PromotionFactory

        redis.Redis.from_url(BROKER).flushdb()
        program = ProgramFactory(code="BENCH")
        PromotionFactory(program=program, code="BASE", rate="1")
        client, _secret = api_client_create(program=program, name="crm", scopes="webhooks:write")
        webhook_subscribe(
            api_client=client,
            url=f"http://127.0.0.1:{server.server_address[1]}/hooks",
            events=["points.earned"],
        )
        for n in range(100):
            member_enrol(program=program, member_id=f"M-{n}")
        lines = (Line("1", "X", None, 1, Decimal("10.00")),)
        started = time.perf_counter()
        from django.utils import timezone

        for n in range(N):
            basket = Basket(lines=lines, occurred_at=timezone.now())
            earn_post(program_id=program.pk, member_id=f"M-{n % 100}", basket=basket, reference=f"E-{n}")
        posted = time.perf_counter() - started
        env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_LOG_LEVEL": "WARNING"}
        env.pop("DJANGO_TEST_DATABASE", None)
        log = open(ROOT / "bench" / "webhooks.log", "wb")  # noqa: SIM115
        worker_started = time.perf_counter()
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "loyalty",
                "worker",
                "-Q",
                "webhooks",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        first = None
        while WebhookDelivery.objects.exclude(status="delivered").exists():
            if first is None and Handler.received:
                first = time.perf_counter()
            time.sleep(0.2)
        done = time.perf_counter()
        seconds = done - (first or worker_started)
        drained = len(Handler.received)
        print(f"{N:,} earns with one subscription, written in {posted:.1f} s ({N / posted:,.0f}/s, in process)")
        print(
            f"deliveries made: {drained:,} of {WebhookDelivery.objects.count():,}, all `delivered`; one worker "
            f"process drained the backlog at {drained / seconds:,.0f} deliveries/s"
        )
        # Steady state: the worker running, earns at a pace it keeps up with; lag = event written -> 2xx.
        Handler.received.clear()
        before = set(WebhookEvent.objects.values_list("id", flat=True))
        pace = PACE / 1.0
        for n in range(PACED):
            basket = Basket(lines=lines, occurred_at=timezone.now())
            earn_post(program_id=program.pk, member_id=f"M-{n % 100}", basket=basket, reference=f"P-{n}")
            time.sleep(1 / pace)
        while WebhookDelivery.objects.exclude(status="delivered").exists():
            time.sleep(0.1)
        created = dict(WebhookEvent.objects.exclude(id__in=before).values_list("id", "created_at"))
        lags = sorted(Handler.received[i] - created[i].timestamp() for i in created if i in Handler.received)
        print(
            f"outbox lag at {PACE} earns/s for {PACED:,} earns (event written -> receiver's 2xx): "
            f"p50 {lags[len(lags) // 2] * 1000:.0f} ms, p99 {lags[int(len(lags) * 0.99)] * 1000:.0f} ms"
        )
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(20)
        server.shutdown()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
