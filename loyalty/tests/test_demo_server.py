"""The demo's web server when no Redis answers (`.ci/demo`): one process, whose memory holds the request budgets
and the token cache, so the contract's budget (one count per client across requests) and revocation (refused at
once) hold as they do with Redis. Several processes would each keep their own budget and cached tokens."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.celery_worker import ROOT
from tests.factories import ProgramFactory
from tests.live_server import LiveServer, client_token, live_api_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def demo_server_without_redis() -> tuple[int, int]:
    """(workers, threads) of the gunicorn that `.ci/demo` starts when no Redis answers."""
    found = re.search(r"server=\(--workers (\d+) --threads (\d+)\)", (ROOT / ".ci" / "demo").read_text())
    assert found, "`.ci/demo` names the server's workers and threads for the case without Redis"
    return int(found.group(1)), int(found.group(2))


def test_without_redis_the_demo_server_keeps_one_budget_and_refuses_a_revoked_token_at_once(tmp_path):
    workers, threads = demo_server_without_redis()
    server = LiveServer(
        tmp_path / "gunicorn.log",
        workers=workers,
        threads=threads,
        extra_env={"REDIS_URL": "", "CELERY_BROKER_URL": "", "API_RATE_LIMIT": "100/min"},
    )
    server.start()
    try:
        program = ProgramFactory(code="DEMO", name="Demo")
        client_id, secret = live_api_client(program)
        token = client_token(server.url, client_id, secret)
        headers = {"Authorization": f"Bearer {token}"}
        if 60 - time.time() % 60 < 10:  # the counts must fall in one window of the budget
            time.sleep(60 - time.time() % 60 + 0.2)

        def program_read(_: int) -> httpx.Response:
            return httpx.get(f"{server.url}/api/v1/program", headers=headers, timeout=10)

        with ThreadPoolExecutor(8) as pool:
            before = list(pool.map(program_read, range(16)))
            assert [a.status_code for a in before] == [200] * 16
            # Each request counted once, in one budget: 16 different figures, whichever thread served them.
            assert sorted(int(a.headers["RateLimit-Remaining"]) for a in before) == list(range(84, 100))

            revoked = httpx.post(
                f"{server.url}/oauth/revoke_token/",
                data={"token": token, "client_id": client_id, "client_secret": secret},
                timeout=10,
            )
            assert revoked.status_code == 200
            after = list(pool.map(program_read, range(16)))
        assert [a.status_code for a in after] == [401] * 16
    finally:
        server.stop()
    assert server.logged_errors() == []
