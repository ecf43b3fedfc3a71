"""Error reports: to a Sentry-compatible endpoint when SENTRY_DSN is set (tagged with the request id), nothing
otherwise. The reporting process is a separate Python process (sentry-sdk patches Django for good once it is
initialised), sending to a fake endpoint that this test serves."""

import gzip
import json
import os
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.conf import settings

from loyalty.ops.sentry import init_sentry, tag_request_id
from tests.celery_worker import ROOT

# A request under /api/ whose handling raises: authentication is made to fail with an unexpected error.
FAILING_REQUEST = """
import django, sentry_sdk
django.setup()
print("active", sentry_sdk.get_client().is_active())
from django.test import Client
from loyalty.api.authentication import ProgramTokenAuthentication

def fail(self, request):
    raise RuntimeError("unexpected failure for the error report")

ProgramTokenAuthentication.authenticate = fail
response = Client().get("/api/v1/program", HTTP_AUTHORIZATION="Bearer x", HTTP_X_REQUEST_ID="till-9:crash-1")
print("status", response.status_code, response.json()["error"]["request_id"])
sentry_sdk.flush(10)
"""


class FakeSentry(ThreadingHTTPServer):
    """Collects the envelopes POSTed to it (decompressed) and answers 200."""

    def __init__(self):
        self.envelopes: list[bytes] = []
        super().__init__(("127.0.0.1", 0), self.Handler)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            self.server.envelopes.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    @property
    def dsn(self) -> str:
        return f"http://public@127.0.0.1:{self.server_address[1]}/1"

    def events(self) -> list[dict]:
        """The event items of the envelopes (header lines and other items left out)."""
        found = []
        for envelope in self.envelopes:
            for raw in envelope.splitlines():
                try:
                    item = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(item, dict) and "exception" in item:
                    found.append(item)
        return found


@pytest.fixture
def fake_sentry():
    server = FakeSentry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "loyalty.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unhandled_error_under_the_api_is_reported_with_its_request_id(fake_sentry):
    result = run(FAILING_REQUEST, SENTRY_DSN=fake_sentry.dsn, SENTRY_ENVIRONMENT="test-env")
    assert result.returncode == 0, result.stderr
    assert "active True" in result.stdout
    # The caller still gets the envelope with the same id.
    assert "status 500 till-9:crash-1" in result.stdout
    [event] = fake_sentry.events()
    assert event["tags"]["request_id"] == "till-9:crash-1"
    assert event["environment"] == "test-env"
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "unexpected failure for the error report")
    # No personal data: no cookies, headers or user of the request.
    assert "user" not in event or not event["user"].get("ip_address")


def test_without_a_dsn_sentry_is_not_initialised(fake_sentry):
    result = run(FAILING_REQUEST)
    assert result.returncode == 0, result.stderr
    assert "active False" in result.stdout
    assert fake_sentry.envelopes == []


def test_this_test_process_has_no_sentry():
    if settings.SENTRY_DSN:
        pytest.skip("SENTRY_DSN is set in this environment")
    assert init_sentry(dsn="") is False
    assert not sentry_sdk.get_client().is_active()


def test_events_are_tagged_with_the_current_request_id():
    from loyalty.core.request_id import reset_request_id, set_request_id

    assert tag_request_id({"message": "x"}, {}) == {"message": "x"}
    token = set_request_id("rid-1")
    try:
        assert tag_request_id({"tags": {"a": "b"}}, {})["tags"] == {"a": "b", "request_id": "rid-1"}
        assert tag_request_id({}, {})["tags"] == {"request_id": "rid-1"}
    finally:
        reset_request_id(token)
