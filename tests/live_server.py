"""A real gunicorn process serving the project, against the test database, for tests over HTTP.

Like the Celery worker of `tests/celery_worker.py`, the server is a separate process started with
the same code, reading the PostgreSQL test database that pytest-django created: the tests that use
it are transactional (their data must be committed for the server to see it). Without a broker,
Celery tasks run eagerly inside the server process.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.conf import settings

from tests.celery_worker import ROOT, database_url


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """`gunicorn loyalty.wsgi` on 127.0.0.1 and a free port; `url` is its base URL (no trailing slash)."""

    def __init__(self, log_path: Path, workers: int = 2, extra_env: dict[str, str] | None = None, threads: int = 1):
        self.log_path = log_path
        self.workers = workers
        self.threads = threads  # above 1: gthread workers, as deployed
        self.extra_env = extra_env or {}
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            # Connections are closed after each request: nothing holds the test database open.
            "DJANGO_CONN_MAX_AGE": "0",
            "DJANGO_SETTINGS_MODULE": "loyalty.settings",
            # As in production: no debug pages, whatever the test environment says, and so a key of its own (the
            # settings refuse the development default with DEBUG off).
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "live-server-test-key-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # A fuzzer sends thousands of requests: the request budgets are not what is tested here.
            "API_RATE_LIMIT": "1000000/min",
            "API_ANON_RATE_LIMIT": "1000000/min",
            "OAUTH_CLIENT_AUTH_FAILURE_LIMIT": "1000000/min",
            "PYTHONUNBUFFERED": "1",
            # The client secrets that the test process hashed must verify in the server: the same HMAC key.
            "OAUTH_CLIENT_SECRET_KEY": settings.OAUTH_CLIENT_SECRET_KEY or settings.SECRET_KEY,
            **self.extra_env,
        }
        # The server uses the test database itself (not a test database of the test database), and
        # runs Celery tasks eagerly unless the caller gives it a broker in `extra_env`.
        env.pop("DJANGO_TEST_DATABASE", None)
        if "CELERY_BROKER_URL" not in self.extra_env:
            env.pop("CELERY_BROKER_URL", None)
        return env

    def start(self, timeout: float = 30) -> None:
        self.port = free_port()
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "loyalty.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--access-logfile",
                "-",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=self.environment(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            try:
                # Any HTTP answer means a worker is serving (the program is unauthenticated: 401).
                httpx.get(f"{self.url}/api/v1/program", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn not answering after {timeout}s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def logged_errors(self) -> list[str]:
        """The server's log lines at ERROR or CRITICAL, and tracebacks (an error a 2xx answer may hide)."""
        return [
            line
            for line in self.log_tail(chars=10**9).splitlines()
            if any(mark in line for mark in (" ERROR ", " CRITICAL ", "[ERROR]", "[CRITICAL]"))
            # JSON lines: the server's log format without debug (gunicorn's own lines included).
            or any(f'"level": "{level}"' in line for level in ("ERROR", "CRITICAL"))
            or line.startswith("Traceback")
        ]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if getattr(self, "log", None) and not self.log.closed:
            self.log.close()


def client_token(base_url: str, client_id: str, client_secret: str, scope: str | None = None) -> str:
    """A bearer token from the server's OAuth endpoint (client credentials, HTTP Basic)."""
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    response = httpx.post(f"{base_url}/oauth/token/", data=data, auth=(client_id, client_secret), timeout=10)
    response.raise_for_status()
    return response.json()["access_token"]


def live_api_client(program, name: str = "live client", scopes: str | None = None) -> tuple[str, str]:
    """An API client of `program` with every scope (by default) that the server process can check.

    The secret is hashed as in production (HMAC with the key the server is given). Returns (client_id,
    client_secret).
    """
    from programs.services import api_client_create

    scopes = scopes if scopes is not None else " ".join(settings.OAUTH2_PROVIDER["SCOPES"])
    client, secret = api_client_create(program=program, name=name, scopes=scopes)
    return client.application.client_id, secret
