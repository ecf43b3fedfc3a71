"""Real concurrency for tests on PostgreSQL: calls started at the same moment from threads with their own connections."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connections

from conftest import ApiClient


def race(token: str, calls: list) -> list:
    """Runs each (method, path, body) in its own thread at the same moment; returns the responses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        method, path, body = call
        client = ApiClient(token)
        try:
            barrier.wait()
            return getattr(client, method)(path, body)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))
