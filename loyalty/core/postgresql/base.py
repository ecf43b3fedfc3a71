"""Django's PostgreSQL backend, with a health check that costs no round trip while the connection is quiet.

With persistent connections and CONN_HEALTH_CHECKS, Django checks a reused connection at the first query of every
request with `is_usable()`: a `SELECT 1` to the server and back, one more round trip than the request's own
statements (a warm `GET /api/v1/program` has one). An idle PostgreSQL connection, though, receives nothing unless
the server ended it (an ErrorResponse FATAL on pg_terminate_backend, a shutdown or restart, then end of file) or
sent an asynchronous message (a notice, a notification, a changed parameter). So while the connection is open,
outside a transaction, no database error has occurred on it since the last commit or rollback, and its socket has
nothing to read, it is taken as usable without asking the server; otherwise the `SELECT 1` decides, as in Django.
The engine's name is `loyalty.core.postgresql` (settings.py); its vendor stays `postgresql`. With the pool
(DJANGO_DB_POOL) Django checks nothing per request anyway: the pool hands out healthy connections.

What the quiet check cannot see, `SELECT 1` misses too: the server ending the connection between the check and the
request's first statement (that request fails either way), and a peer gone silently, without FIN or RST (`SELECT 1`
would wait out TCP's timeouts just as the request's first statement does).
"""

import select
import sys

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from psycopg import Error as PsycopgError
from psycopg.pq import TransactionStatus


def _readable(fd: int) -> bool:
    """Whether the socket has something to read, has been shut down or is in error, without waiting."""
    if sys.platform == "win32":
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable)
    poller = select.poll()  # unlike select(), any descriptor number (select() stops at FD_SETSIZE, 1024)
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))  # POLLHUP and POLLERR are reported whatever was registered


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    def is_usable(self) -> bool:
        if self.quiet():
            return True
        return super().is_usable()  # SELECT 1

    def quiet(self) -> bool:
        """True when the connection is known healthy without a round trip: open, idle outside a transaction, no
        database error since the last commit or rollback, and nothing from the server waiting on its socket."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken or self.errors_occurred:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            fd = connection.fileno()
        except PsycopgError:
            return False
        return not _readable(fd)
