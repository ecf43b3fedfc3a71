"""A real Celery worker process for tests, on a Redis broker, against the test database.

The worker is a separate process started with the same code, reading the test database that
pytest-django created; tests that use it must commit their data (transactional tests).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection

from tests import parallel

ROOT = Path(__file__).resolve().parent.parent


def broker_url() -> str | None:
    """The Redis database of this test process's brokers (CELERY_TEST_BROKER_URL's, one per xdist worker)."""
    return parallel.broker_url()


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("a worker process needs a shared database: run on PostgreSQL")
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def flush_broker(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def queue_names() -> list[str]:
    """Every queue the project declares (settings.CELERY_TASK_QUEUES)."""
    from django.conf import settings

    return [queue.name for queue in settings.CELERY_TASK_QUEUES]


class Worker:
    """`celery worker` consuming every queue (`-Q` all of them), solo pool unless told otherwise; `app` may be a
    module that adds test tasks or hooks to the project's app (`tests/slow_worker.py`)."""

    def __init__(
        self,
        broker: str,
        log_path: Path,
        extra_env: dict | None = None,
        *,
        app: str = "loyalty",
        pool: str = "solo",
    ):
        self.broker = broker
        self.log_path = log_path
        self.extra_env = extra_env or {}
        self.app = app
        self.pool = pool
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker,
            "DJANGO_CONN_MAX_AGE": "0",
            **self.extra_env,
        }
        env.pop("DJANGO_TEST_DATABASE", None)
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                self.app,
                "worker",
                f"--pool={self.pool}",
                "--concurrency=1",
                "-Q",
                ",".join(queue_names()),
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early: {self.log_path.read_text()[-2000:]}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout}s: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL, like a crashed machine: unacknowledged tasks go back to the queue."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def terminate(self) -> None:
        """SIGTERM to the worker's main process only, as `docker stop` or systemd send it: a warm shutdown."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()


def wait_for(predicate, timeout: float = 30, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
