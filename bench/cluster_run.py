"""The multi-node run: a load of earns (with retries and replays), voucher redemptions and events through the load
balancer of deploy/cluster.sh, while an app server and a worker are SIGKILLed and restarted and Redis is stopped
and started again; then the ledger, the events and the vouchers are counted, and the per-client rate limit is
probed across both servers.

    .venv/bin/python bench/cluster_run.py --seconds 60 --threads 8

It starts the cluster itself (deploy/cluster.sh start: a fresh database `loyalty_cluster`) and stops it at the end.
"""

import argparse
import collections
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = str(ROOT / "deploy" / "cluster.sh")
LB = "http://127.0.0.1:8100"
APPS = {"app1": "http://127.0.0.1:8101", "app2": "http://127.0.0.1:8102"}


def cluster(*args: str) -> str:
    return subprocess.run([CLUSTER, *args], check=True, capture_output=True, text=True, cwd=ROOT).stdout


def setup_django() -> None:
    for line in cluster("env").splitlines():
        key, _, value = line.partition("=")
        os.environ[key] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    os.environ["DJANGO_LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    retries: int = 0
    earns: dict = field(default_factory=dict)  # reference -> first 201 body
    events: set = field(default_factory=set)  # references answered 202
    redemptions: set = field(default_factory=set)  # redemption ids answered 201
    replays_ok: int = 0
    replays_bad: int = 0

    def count(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1


def token(client_id: str, secret: str) -> str:
    answer = httpx.post(f"{LB}/oauth/token/", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    answer.raise_for_status()
    return answer.json()["access_token"]


def send(http: httpx.Client, tally: Tally, method: str, path: str, body: dict | None = None) -> httpx.Response:
    """A partner's call: retried with the same body (and so the same reference) until the cluster answers."""
    for attempt in range(30):
        try:
            response = http.request(method, f"{LB}{path}", json=body, timeout=10)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code not in (502, 503, 504):
            tally.count(response.status_code)
            return response
        if response is not None:
            tally.count(response.status_code)
        with tally.lock:
            tally.retries += 1
        time.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"{method} {path} never answered")


def load(bearer: str, members: list[str], tally: Tally, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    http = httpx.Client(headers={"Authorization": f"Bearer {bearer}"})
    mine: list[tuple[str, dict]] = []
    while not stop.is_set():
        roll = rng.random()
        member = rng.choice(members)
        if roll < 0.6:
            reference = f"EARN-{uuid.uuid4().hex[:16]}"
            body = {
                "reference": reference,
                "member_id": member,
                "lines": [{"line_id": "1", "sku": "X", "quantity": rng.randint(1, 3), "unit_price": "4.20"}],
            }
            answer = send(http, tally, "POST", "/api/v1/transactions/earn", body)
            if answer.status_code in (200, 201):
                with tally.lock:
                    tally.earns.setdefault(reference, answer.json())
                mine.append((reference, body))
        elif roll < 0.7 and mine:
            reference, body = rng.choice(mine)
            answer = send(http, tally, "POST", "/api/v1/transactions/earn", body)
            with tally.lock:
                same = answer.status_code == 200 and answer.json() == tally.earns.get(reference)
                tally.replays_ok += same
                tally.replays_bad += not same
        elif roll < 0.85:
            reference = f"EV-{uuid.uuid4().hex[:16]}"
            body = {"reference": reference, "member_id": member, "event_type": "SURVEY"}
            answer = send(http, tally, "POST", "/api/v1/events", body)
            if answer.status_code in (200, 202):
                with tally.lock:
                    tally.events.add(reference)
        else:
            body = {"reference": f"RD-{uuid.uuid4().hex[:16]}", "member_id": member, "gift": "V1"}
            answer = send(http, tally, "POST", "/api/v1/redemptions", body)
            if answer.status_code in (200, 201):
                with tally.lock:
                    tally.redemptions.add(answer.json()["id"])


def probe_rate_limit(bearer: str, limit: int) -> collections.Counter:
    """Sends limit + 50 requests within one window, alternating between the two app servers directly."""
    while time.time() % 60 > 40:  # start early in a window, so the burst does not straddle two
        time.sleep(0.5)
    statuses: collections.Counter = collections.Counter()
    clients = [httpx.Client(headers={"Authorization": f"Bearer {bearer}"}, base_url=url) for url in APPS.values()]
    for i in range(limit + 50):
        statuses[clients[i % 2].get("/api/v1/program").status_code] += 1
    return statuses


def readyz(app: str) -> int:
    try:
        return httpx.get(f"{APPS[app]}/readyz", timeout=5).status_code
    except httpx.TransportError:
        return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--members", type=int, default=200)
    args = parser.parse_args()

    print(cluster("start").strip())
    setup_django()
    from catalog.models import Gift
    from programs.models import EventType
    from programs.services import api_client_create
    from rewards.services.enrolment import member_enrol
    from tests.factories import GiftFactory, ProgramFactory, PromotionFactory

    program = ProgramFactory(code="CLUSTER", name="Cluster run", expiry_months=12)
    PromotionFactory(program=program, code="BASE", kind="spend", rate="1")
    GiftFactory(program=program, sku="V1", type=Gift.VOUCHER, points=1, value="1.00", voucher_valid_days=30)
    EventType.objects.create(program=program, code="SURVEY", name={"en": "Survey"}, points=5)
    members = [f"C-{i:04d}" for i in range(args.members)]
    for member_id in members:
        member_enrol(program=program, member_id=member_id)
    scopes = "program:read points:read points:write redeem"
    tokens = [
        token(*_credentials(api_client_create(program=program, name=f"till {i}", scopes=scopes)))
        for i in range(args.threads + 1)
    ]
    limit = int(os.environ["API_RATE_LIMIT"].split("/")[0])

    tally, stop = Tally(), threading.Event()
    threads = [threading.Thread(target=load, args=(tokens[i], members, tally, stop, i)) for i in range(args.threads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    timeline: list[str] = []

    def at(fraction: float) -> None:
        while time.monotonic() - started < args.seconds * fraction:
            time.sleep(0.1)

    at(0.2)
    cluster("kill", "app1")
    timeline.append(f"{time.monotonic() - started:5.1f}s SIGKILL app1")
    time.sleep(3)
    cluster("restart", "app1")
    timeline.append(f"{time.monotonic() - started:5.1f}s app1 restarted")
    at(0.4)
    cluster("kill", "worker1")
    timeline.append(f"{time.monotonic() - started:5.1f}s SIGKILL worker1")
    time.sleep(3)
    cluster("restart", "worker1")
    timeline.append(f"{time.monotonic() - started:5.1f}s worker1 restarted")
    at(0.6)
    before = readyz("app2")
    cluster("redis-stop")
    time.sleep(2)
    during = readyz("app2")
    timeline.append(f"{time.monotonic() - started:5.1f}s redis stopped: /readyz {before} -> {during}")
    time.sleep(3)
    cluster("redis-start")
    time.sleep(2)
    timeline.append(f"{time.monotonic() - started:5.1f}s redis started: /readyz -> {readyz('app2')}")
    at(1.0)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    rate = probe_rate_limit(tokens[-1], limit)
    settled = wait_for_background_work(program)
    report(program, tally, timeline, elapsed, rate, limit, settled)
    print(cluster("stop").strip())
    return 0


def _credentials(created) -> tuple[str, str]:
    client, secret = created
    return client.application.client_id, secret


def wait_for_background_work(program, timeout: float = 240) -> float:
    """Until no event is still accepted and no voucher redemption is waiting (the sweepers pick up lost work)."""
    from rewards.models import Event, Redemption

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        waiting_events = Event.objects.filter(program=program, status="accepted").count()
        waiting_vouchers = Redemption.objects.filter(program=program, status="exchanged").count()
        if not waiting_events and not waiting_vouchers:
            return time.monotonic() - started
        time.sleep(2)
    return -1


def report(program, tally: Tally, timeline, elapsed, rate, limit, settled) -> None:
    from rewards.ledger_check import ledger_differences
    from rewards.models import Earn, Event, LedgerEntry, Redemption, Voucher

    sent = sum(tally.statuses.values())
    print(f"\nload: {sent} answers in {elapsed:.0f} s ({sent / elapsed:.0f}/s), {tally.retries} retries by partners")
    print("statuses:", dict(sorted(tally.statuses.items())))
    for line in timeline:
        print("  ", line)
    print(f"background work settled {settled:.0f} s after the load" if settled >= 0 else "background work NOT settled")
    earns = Earn.objects.filter(program=program)
    earn_entries = LedgerEntry.objects.filter(program=program, kind="earn")
    print(
        f"earns: {len(tally.earns)} references answered 201/200, {earns.count()} earns stored, "
        f"{earn_entries.count()} earn entries, "
        f"{earns.filter(reference__in=list(tally.earns)).count()} of the answered found"
    )
    print(f"replays: {tally.replays_ok} identical, {tally.replays_bad} different")
    events = Event.objects.filter(program=program)
    print(
        f"events: {len(tally.events)} accepted, {events.count()} stored, "
        f"{events.filter(status='rewarded').count()} rewarded, {events.filter(status='accepted').count()} waiting, "
        f"{LedgerEntry.objects.filter(program=program, kind='event').count()} event entries"
    )
    redemptions = Redemption.objects.filter(program=program)
    print(
        f"vouchers: {len(tally.redemptions)} redemptions answered, {redemptions.count()} stored, "
        f"{Voucher.objects.filter(redemption__program=program).count()} vouchers issued, "
        f"{redemptions.filter(status='delivered').count()} delivered"
    )
    print(f"rate limit {limit}/min probed with {limit + 50} requests alternating between app1 and app2: {dict(rate)}")
    differences = ledger_differences(program.pk)
    print(f"check_ledger: {'clean' if not differences else differences[:5]}")


if __name__ == "__main__":
    sys.exit(main())
