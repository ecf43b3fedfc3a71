"""The PostgreSQL backend's health check: no `SELECT 1` on a quiet connection, and still dead connections replaced.

Outside the test's transaction (`transaction=True`), on the persistent connection the requests share, as a server's
thread does: between two requests Django's `request_finished` calls `close_if_unusable_or_obsolete()`, which asks for
a health check at the next request's first statement (the test client leaves that signal out: the tests call it).
What psycopg sends is recorded at its cursors, below Django's query log, where Django's own `SELECT 1` goes.
"""

import contextlib
import time
from unittest import mock

import psycopg
import pytest
from django.db import connections
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper

from loyalty.core.postgresql.base import DatabaseWrapper
from tests.helpers import basket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def wrapper():
    wrapper = connections["default"]
    assert isinstance(wrapper, DatabaseWrapper) and wrapper.vendor == "postgresql"
    assert wrapper.settings_dict["ENGINE"] == "loyalty.core.postgresql"
    assert wrapper.settings_dict["CONN_HEALTH_CHECKS"] and wrapper.settings_dict["CONN_MAX_AGE"]
    yield wrapper
    wrapper.close()  # a LISTEN or a terminated backend stays with this test


@contextlib.contextmanager
def sent():
    """The statements psycopg's cursors send (Django's queries and its `SELECT 1`), and the answers of Django's
    round-trip check (PostgreSQL's `is_usable`, which the backend falls back on)."""
    statements: list[str] = []
    checks: list[bool] = []
    execute, executemany, is_usable = (
        psycopg.Cursor.execute,
        psycopg.Cursor.executemany,
        PostgreSQLDatabaseWrapper.is_usable,
    )

    def recording_execute(self, query, *args, **kwargs):
        statements.append(str(query))
        return execute(self, query, *args, **kwargs)

    def recording_executemany(self, query, *args, **kwargs):
        statements.append(str(query))
        return executemany(self, query, *args, **kwargs)

    def recording_is_usable(self):
        checks.append(is_usable(self))
        return checks[-1]

    with (
        mock.patch.object(psycopg.Cursor, "execute", recording_execute),
        mock.patch.object(psycopg.Cursor, "executemany", recording_executemany),
        mock.patch.object(PostgreSQLDatabaseWrapper, "is_usable", recording_is_usable),
    ):
        yield statements, checks


def between_requests(wrapper) -> None:
    """What `request_finished` does to the connection after a request."""
    wrapper.close_if_unusable_or_obsolete()
    assert wrapper.connection is not None and not wrapper.health_check_done


def wait_until_loud(wrapper) -> None:
    """Until something from the server waits on the connection's socket (the server answers asynchronously)."""
    deadline = time.monotonic() + 10
    while wrapper.quiet():
        assert time.monotonic() < deadline, "nothing arrived on the connection's socket"
        time.sleep(0.01)


def from_another_connection(wrapper, sql: str, params=()) -> None:
    params_ = {**wrapper.get_connection_params(), "autocommit": True}
    with psycopg.connect(**params_) as other:
        other.execute(sql, params)


@pytest.mark.parametrize("hot_path", ["get program", "earn"])
def test_a_warm_request_sends_no_select_1(api, member, wrapper, hot_path):
    def send(reference):
        if hot_path == "get program":
            return api.get("/api/v1/program")
        return api.post("/api/v1/transactions/earn", basket(reference=reference))

    assert send("WARM").status_code in (200, 201)
    raw = wrapper.connection
    between_requests(wrapper)
    with sent() as (statements, checks):
        response = send("E-1")
    assert response.status_code in (200, 201), response.content
    assert wrapper.connection is raw and wrapper.health_check_done  # the same connection, checked
    assert checks == []
    assert statements and not any(sql.strip().upper() == "SELECT 1" for sql in statements), statements
    if hot_path == "get program":
        assert len(statements) == 1 and 'FROM "programs_program"' in statements[0], statements


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(api, wrapper):
    assert api.get("/api/v1/program").status_code == 200
    pid = wrapper.connection.info.backend_pid
    between_requests(wrapper)
    from_another_connection(wrapper, "SELECT pg_terminate_backend(%s)", [pid])
    wait_until_loud(wrapper)  # the server's FATAL, then end of file, on the idle connection's socket

    with sent() as (statements, checks):
        response = api.get("/api/v1/program")
    assert response.status_code == 200, response.content  # not a 500 on the dead connection
    assert checks == [False]  # the socket was readable: SELECT 1 tried, failed, the connection closed
    assert statements[0] == "SELECT 1"
    assert wrapper.connection.info.backend_pid != pid


def test_without_the_check_that_request_would_fail(api, wrapper):
    """The contrast: the same terminated connection, no health check, and the request's statement meets it."""
    assert api.get("/api/v1/program").status_code == 200
    from_another_connection(wrapper, "SELECT pg_terminate_backend(%s)", [wrapper.connection.info.backend_pid])
    wait_until_loud(wrapper)
    with mock.patch.object(DatabaseWrapper, "is_usable", lambda self: True):
        between_requests(wrapper)
        api.http.raise_request_exception = False
        assert api.get("/api/v1/program").status_code == 500


def test_a_readable_socket_on_a_healthy_connection_costs_the_select_1_and_keeps_it(api, wrapper):
    assert api.get("/api/v1/program").status_code == 200
    raw = wrapper.connection
    raw.execute("LISTEN loyalty_health_check_test")
    between_requests(wrapper)
    from_another_connection(wrapper, "NOTIFY loyalty_health_check_test")
    wait_until_loud(wrapper)  # a notification: the server spoke, though nothing is wrong

    with sent() as (statements, checks):
        response = api.get("/api/v1/program")
    assert response.status_code == 200, response.content
    assert checks == [True] and statements[0] == "SELECT 1" and len(statements) == 2
    assert wrapper.connection is raw and wrapper.quiet()  # kept, and the socket read empty by the round trip

    between_requests(wrapper)
    with sent() as (statements, checks):
        assert api.get("/api/v1/program").status_code == 200
    assert checks == [] and len(statements) == 1  # quiet again: no round trip


def test_a_connection_in_a_transaction_or_after_an_error_is_not_taken_as_quiet(wrapper):
    wrapper.ensure_connection()
    assert wrapper.quiet()
    with wrapper.cursor() as cursor:
        wrapper.set_autocommit(False)
        cursor.execute("SELECT 1")
        assert not wrapper.quiet()  # inside a transaction: only the server knows
        wrapper.rollback()
        wrapper.set_autocommit(True)
    assert wrapper.quiet()
    wrapper.errors_occurred = True  # Django's mark after a database error other than a data or integrity one
    assert not wrapper.quiet()
    with sent() as (_, checks):
        assert wrapper.is_usable()
    assert checks == [True]
    wrapper.errors_occurred = False
    wrapper.close()
    assert not wrapper.quiet() and not wrapper.is_usable()
