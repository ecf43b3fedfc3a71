"""Metrics of a real gunicorn with several workers: every scrape adds up every worker, dead ones included."""

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from loyalty.ops.tests.helpers import sample
from tests.celery_worker import wait_for
from tests.live_server import LiveServer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TOKEN = "gunicorn-metrics-token"
WORKERS = 3


@pytest.fixture
def server(transactional_db, tmp_path):
    server = LiveServer(
        tmp_path / "gunicorn.log",
        workers=WORKERS,
        extra_env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"), "METRICS_TOKEN": TOKEN},
    )
    server.start()
    yield server
    server.stop()


def pids(directory, prefix: str) -> set[int]:
    return {int(path.stem.rsplit("_", 1)[1]) for path in directory.glob(f"{prefix}_*.db")}


def healthz_counts(directory) -> dict[int, float]:
    """Each worker's own count of healthz answers, read from its file."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(path)], accumulate=False):
            for s in metric.samples:
                if s.name == "loyalty_http_requests_total" and s.labels["route"] == "healthz":
                    counts[int(path.stem.rsplit("_", 1)[1])] = s.value
    return counts


def hit(url: str, count: int) -> None:
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: httpx.get(f"{url}/healthz", timeout=10).status_code, range(count)))
    assert statuses == [200] * count


def scrape(url: str) -> str:
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def test_counts_add_up_across_workers_and_survive_a_dead_worker(server, tmp_path):
    metrics = tmp_path / "metrics"
    assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
    hit(server.url, 60)
    counted_by = {pid: n for pid, n in healthz_counts(metrics).items() if n}
    assert len(counted_by) >= 2, f"the requests were all answered by one worker: {counted_by}"
    assert sum(counted_by.values()) == 60

    text = scrape(server.url)
    assert sample(text, "loyalty_http_requests_total", route="healthz", method="GET", status="200") == 60
    assert sample(text, "loyalty_http_request_duration_seconds_count", route="healthz", method="GET") == 60
    assert sample(text, "loyalty_http_requests_total", route="metrics", status="401") == 1

    # A worker dies (killed, as by the OOM killer): gunicorn marks it dead (its live gauge goes) and starts
    # another; what it counted stays in the totals.
    victim = sorted(counted_by)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not (metrics / f"gauge_livesum_{victim}.db").exists(), timeout=20)
    wait_for(lambda: len(pids(metrics, "gauge_livesum")) == WORKERS, timeout=20)
    assert (metrics / f"counter_{victim}.db").exists()

    hit(server.url, 40)
    text = scrape(server.url)
    assert sample(text, "loyalty_http_requests_total", route="healthz", method="GET", status="200") == 100
    assert sample(text, "loyalty_http_requests_total", route="metrics", method="GET", status="200") == 1
    # The only request in progress in any worker is this scrape.
    assert sample(text, "loyalty_http_requests_in_progress") == 1
    # The business figures are there too, read from the test database.
    assert sample(text, "loyalty_business_metrics_up") == 1
