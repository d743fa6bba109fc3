"""Django's PostgreSQL backend, with a cheaper connection health check (``CONN_HEALTH_CHECKS``) and prepared
statements for the hot paths' cursors (``bound_cursor``).

Django checks a persistent connection at the start of each request that uses it by sending ``SELECT 1`` and
waiting for the answer: a round trip to the server before every request's first query, which was a quarter of
an access decision's statements (bench/decision.py). Here the check first asks the operating system whether the
server has sent anything since the last answer was read — a ``poll()`` with no timeout on the socket, no
message to the server:

* nothing arrived, and the driver and libpq both hold the connection open and idle: it is usable as far as
  the server has told, and no ``SELECT 1`` would say more — a server that restarts, crashes, is terminated
  (``pg_terminate_backend``), or times the session out (``idle_session_timeout``) closes the socket, and the
  client's kernel sees the end of the stream (and libpq the FATAL message before it) as something to read;
* anything else (data waiting: a FATAL message, an end of stream, a notice or notification; a connection
  libpq or psycopg already marks broken, closed or inside a transaction): Django's own check decides, with its
  ``SELECT 1``.

What neither check can tell before it is too late is a server that vanished without closing its end (a
partitioned network, a powered-off host): Django's ``SELECT 1`` would then wait for TCP to give up, and the
request's first query waits instead (tests/trust_portal/test_postgresql_health_check.py).
"""

from __future__ import annotations

import select
from typing import Any

from django.db.backends.postgresql import base, operations
from django.utils.asyncio import async_unsafe
from psycopg import errors, pq

# psycopg prepares a statement after this many executions on a server-binding cursor, if enabled at all; Django
# turns preparation off (None) for connection poolers that could not follow it. Here it is on but never reached:
# only ``bound_cursor``'s cursors prepare, each statement on its first execution, and Django's own cursors bind
# on the client and never prepare whatever the threshold. PgBouncer follows protocol-level prepared statements
# since 1.21 (``max_prepared_statements``). ``OPTIONS["prepare_threshold"]`` in the settings still decides.
NEVER_BY_COUNT = 2**31


def _readable(fd: int) -> bool:
    """Whether the socket has something to read now (``poll``: no limit on the descriptor's number)."""
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class PreparingCursor(base.ServerBindingCursor):  # type: ignore[misc,name-defined]
    """A server-binding cursor (parameters travel apart from the SQL) whose statements psycopg prepares on first
    use per connection: the server parses and plans each once, and no parameter is quoted into the text."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Any:
        return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)  # type: ignore[misc]


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:  # type: ignore[override]
        """What a ``PreparingCursor`` ran, as Django tells it for server-side binding (DEBUG's query log, the tests'
        ``CaptureQueriesContext``): the SQL with its parameters quoted in."""
        if isinstance(cursor, PreparingCursor):
            try:
                return str(self.compose_sql(sql, params))
            except errors.DataError:
                return None
        return super().last_executed_query(cursor, sql, params)  # type: ignore[no-any-return]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        driver = super().get_new_connection(conn_params)
        if driver.prepare_threshold is None and "prepare_threshold" not in self.settings_dict["OPTIONS"]:
            driver.prepare_threshold = NEVER_BY_COUNT
        return driver

    @async_unsafe
    def bound_cursor(self) -> Any:
        """``cursor()`` with a ``PreparingCursor`` inside Django's wrapper (the health check first, database errors
        translated, queries logged under DEBUG and seen by ``execute_wrappers``), for a statement run again and
        again: ``trust_portal.db.PreparedQuery``."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(PreparingCursor(self.connection))  # type: ignore[attr-defined,call-arg]

    def is_usable(self) -> bool:
        driver = self.connection
        if driver is not None and not driver.closed and not driver.broken:
            libpq = driver.pgconn
            if (
                libpq.status == pq.ConnStatus.OK
                and libpq.transaction_status == pq.TransactionStatus.IDLE
                and not _readable(libpq.socket)
            ):
                return True
        return bool(super().is_usable())
