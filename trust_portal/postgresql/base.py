"""Django's PostgreSQL backend, with a cheaper connection health check (``CONN_HEALTH_CHECKS``).

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

from django.db.backends.postgresql import base
from psycopg import pq


def _readable(fd: int) -> bool:
    """Whether the socket has something to read now (``poll``: no limit on the descriptor's number)."""
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class DatabaseWrapper(base.DatabaseWrapper):
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
