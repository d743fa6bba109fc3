"""Django's PostgreSQL backend, with a cheaper connection health check (``CONN_HEALTH_CHECKS``) and prepared
statements for the hot paths (``run_prepared``).

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

import datetime
import logging
import select
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from django.utils.asyncio import async_unsafe
from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer
from psycopg.postgres import types as pg_types

logger = logging.getLogger("django.db.backends")


def _readable(fd: int) -> bool:
    """Whether the socket has something to read now (``poll``: no limit on the descriptor's number)."""
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


_TIMESTAMPTZ = pg_types["timestamptz"].oid
_DRIVER_TZ_LOADER: Any = psycopg.adapters.get_loader(_TIMESTAMPTZ, pq.Format.TEXT)  # psycopg's C one, if built


class _Adapting:
    """What psycopg's ``Transformer`` reads of a connection (an ``AdaptContext``), with other adapters."""

    __slots__ = ("adapters", "connection")

    def __init__(self, driver: Any) -> None:
        self.connection = driver
        self.adapters = psycopg.adapt.AdaptersMap(driver.adapters)
        # Times in UTC as psycopg's own loader reads them (compiled, with psycopg's binary package), not as Django's
        # (``psycopg_any.BaseTzLoader`` parses each in Python, then sets the time zone Django wants): a few
        # microseconds a value. With the session in UTC, as Django sets it when ``USE_TZ`` and no database
        # ``TIME_ZONE``, psycopg's gives the same value with the same ``timezone.utc`` (``get_new_connection``
        # installs it only then; ``run_prepared`` checks the session is still in UTC).
        self.adapters.register_loader(_TIMESTAMPTZ, _DRIVER_TZ_LOADER)


class Unprepared(Exception):
    """The statement cannot run on the direct path now (see ``DatabaseWrapper.run_prepared``)."""


_FORGOTTEN = "26000"  # invalid_sql_statement_name: the server no longer knows it (DISCARD ALL, a pooler)
_STALE = "0A000"  # feature_not_supported: "cached plan must not change result type" (a migration)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        driver = super().get_new_connection(conn_params)
        self.prepared_names: set[bytes] = set()  # prepared by ``run_prepared`` on this connection
        utc = settings.USE_TZ and self.timezone is datetime.UTC and self.timezone_name == "UTC"
        self.adapting: Any = _Adapting(driver) if utc else driver  # for ``run_prepared``'s Transformer
        return driver

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

    @async_unsafe
    def run_prepared(self, name: bytes, sql: bytes, sql_for_log: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run the statement ``sql`` (``$1``-style parameters, each typed by a cast) as the prepared statement
        ``name``, preparing it on the first use on this connection, and return its rows: libpq's
        ``PQexecPrepared`` called directly, the parameters and rows adapted by psycopg's own ``Transformer`` with
        the connection's adapters (times in UTC by psycopg's compiled loader, ``_Adapting``; in another session
        time zone by Django's), so the values are the ones a cursor gives. For the few hot statements whose benchmark asked for it (bench/decision.py): psycopg's cursor spent
        more of a decision's time getting to libpq and back than the server spent running the statement.

        What Django's cursor does around a query is done here too: the health check, the thread-sharing and
        broken-transaction checks, database errors translated, the query logged when queries are logged (DEBUG,
        ``CaptureQueriesContext``). Raises ``Unprepared``, having done nothing, where only a cursor can do it
        right: with ``execute_wrappers`` installed, in a pipeline, or when psycopg still owes the server the
        ``BEGIN`` of a transaction Django opened (psycopg sends it with a cursor's first statement).

        psycopg itself prepares nothing here (Django leaves its ``prepare_threshold`` at None): a psycopg holding
        prepared statements of its own deallocates them all (``DEALLOCATE ALL``) after a rollback or a DROP, and
        these with them.

        A statement the server forgot, or whose plan went stale, is prepared again when no transaction is open;
        inside one the error stands (the transaction is aborted anyway). Nothing in the portal forgets them: a
        ``DISCARD ALL`` comes from a connection pooler between clients (a new Django connection), or PgBouncer
        re-prepares protocol-level statements itself (``max_prepared_statements``); after one sent on this
        connection, the first statement run outside a transaction finds out for all of them."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        self.validate_thread_sharing()
        self.validate_no_broken_transaction()
        driver = self.connection
        if (
            self.execute_wrappers
            or getattr(driver, "_pipeline", None) is not None
            or (not driver.autocommit and driver.pgconn.transaction_status == pq.TransactionStatus.IDLE)
        ):
            raise Unprepared
        started = time.monotonic() if self.queries_logged else 0.0
        with self.wrap_database_errors, driver.lock:
            libpq = driver.pgconn
            if libpq.parameter_status(b"TimeZone") != b"UTC":  # someone SET TIME ZONE: Django's loader knows
                adapting = Transformer(driver)
            else:
                adapting = Transformer(self.adapting)
            values = adapting.dump_sequence(params, [PyFormat.TEXT] * len(params))
            result = None
            for attempt in (1, 2):
                if name not in self.prepared_names:
                    _raise_unless(libpq.prepare(name, sql), pq.ExecStatus.COMMAND_OK, adapting)
                    self.prepared_names.add(name)
                result = libpq.exec_prepared(name, values)
                if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
                    break
                state = (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode()
                in_transaction = libpq.transaction_status != pq.TransactionStatus.IDLE
                if attempt == 2 or state not in (_FORGOTTEN, _STALE) or in_transaction or self.in_atomic_block:
                    _raise_unless(result, pq.ExecStatus.TUPLES_OK, adapting)
                if state == _FORGOTTEN:  # a DISCARD ALL or DEALLOCATE ALL: none of them is left
                    self.prepared_names.clear()
                self.prepared_names.discard(name)
                if state == _STALE:
                    _raise_unless(libpq.exec_(b"DEALLOCATE " + name), pq.ExecStatus.COMMAND_OK, adapting)
            assert result is not None
            adapting.set_pgresult(result)
            rows = adapting.load_rows(0, result.ntuples, tuple)
        if self.queries_logged:
            duration = time.monotonic() - started
            text = self.ops.compose_sql(sql_for_log, params)
            self.queries_log.append({"sql": text, "time": f"{duration:.3f}"})
            logger.debug(
                "(%.3f) %s; args=%s; alias=%s",
                duration,
                text,
                params,
                self.alias,
                extra={"duration": duration, "sql": text, "params": params, "alias": self.alias},
            )
        return rows


def _raise_unless(result: Any, status: pq.ExecStatus, adapting: Any) -> None:
    if result.status != status:
        raise errors.error_from_result(result, encoding=adapting.encoding)
