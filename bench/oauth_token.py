"""What a token request costs the server, with a wrong secret and with the right one.

    .venv/bin/python bench/oauth_token.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loyalty_bench .venv/bin/python bench/oauth_token.py

First the secret check alone (the OAuth validator's `_check_secret`), CPU time per check, for the keyed hash
the project stores (HMAC-SHA256) and, for comparison, for a secret still stored with Django's PBKDF2 (what
django-oauth-toolkit does by default). Then whole requests to /oauth/token/ in this process (Django's test
client; its own throwaway test database), CPU time of this process per request: a wrong secret (401) and the
right one (200, a token written). The failed-authentication limit is lifted for the measure. Set TRIES=n for
another count of requests.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import logging
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")

import django

django.setup()
logging.disable(logging.CRITICAL)  # a line per request would drown the figures

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from oauth2_provider.generators import generate_client_secret  # noqa: E402

from loyalty.api.oauth import ProgramOAuth2Validator  # noqa: E402
from programs.client_secrets import check_client_secret, hash_client_secret  # noqa: E402

TRIES = int(os.environ.get("TRIES", "300"))


def cpu_per_call(call: Callable[[], object], tries: int) -> tuple[float, float]:
    """(median CPU seconds, median wall seconds) of one call, over `tries` calls."""
    cpu, wall = [], []
    for _ in range(tries):
        c0, w0 = time.process_time(), time.perf_counter()
        call()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def total_cpu(call: Callable[[], object], tries: int) -> float:
    """CPU seconds per call, over `tries` calls measured together (process_time is coarse for tiny calls)."""
    start = time.process_time()
    for _ in range(tries):
        call()
    return (time.process_time() - start) / tries


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:9.1f} µs" if seconds < 0.001 else f"{seconds * 1e3:9.2f} ms"


def secret_checks() -> None:
    validator = ProgramOAuth2Validator()
    secret = generate_client_secret()
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    print("Secret check alone (ProgramOAuth2Validator._check_secret), CPU per check:")
    stored = hash_client_secret(secret)
    right_cost = total_cpu(lambda: validator._check_secret(secret, stored), 20_000)
    wrong_cost = total_cpu(lambda: validator._check_secret(wrong, stored), 20_000)
    print(f"  HMAC-SHA256 (stored now)   right {fmt(right_cost)}   wrong {fmt(wrong_cost)}")
    legacy = make_password(secret, hasher="pbkdf2_sha256")
    # Verified without re-hashing, to measure the old hash itself (the validator would re-hash on success).
    right_cost = total_cpu(lambda: check_client_secret(secret, legacy), 5)
    wrong_cost = total_cpu(lambda: check_client_secret(wrong, legacy), 5)
    print(f"  PBKDF2 (before, default)   right {fmt(right_cost)}   wrong {fmt(wrong_cost)}")


def token_requests() -> None:
    from programs.services import api_client_create
    from tests.factories import ProgramFactory

    program = ProgramFactory(code="BENCH", name="Bench")
    client, secret = api_client_create(program=program, name="bench", scopes="program:read")
    client_id = client.application.client_id
    http = Client()

    def request(secret_sent: str, status: int) -> Callable[[], None]:
        def call() -> None:
            response = http.post(
                "/oauth/token/",
                {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret_sent},
            )
            assert response.status_code == status, response.content

        return call

    print(f"Whole POST /oauth/token/ in this process ({connection.vendor}), median of {TRIES}:")
    with override_settings(OAUTH_CLIENT_AUTH_FAILURE_LIMIT="100000000/min"):
        request(secret, 200)()  # warm up
        for label, call in (
            ("wrong secret (401)", request("wrong", 401)),
            ("right secret (200)", request(secret, 200)),
        ):
            cpu, wall = cpu_per_call(call, TRIES)
            print(f"  {label:<20} CPU {fmt(cpu)}   wall {fmt(wall)}")


def main() -> None:
    secret_checks()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        token_requests()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
