"""Operational tasks that belong to no domain app."""

from __future__ import annotations

import os
import socket

from celery import shared_task
from django.db import connection


@shared_task(name="trust_portal.healthcheck")
def healthcheck(nonce: str) -> dict[str, str | int]:
    """Answer with the worker's identity and the database it talks to.

    Operators (and the integration tests) use it to prove a worker is alive,
    consumes the queue and shares the web process's database.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {
        "nonce": nonce,
        "db_vendor": connection.vendor,
        "db_name": str(connection.settings_dict["NAME"]),
        "db_ok": one,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
