"""A task makes a round trip through a real `celery worker` process and Redis."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from trust_portal.tasks import healthcheck

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_round_trip_through_a_real_worker(celery_worker: str) -> None:
    nonce = uuid.uuid4().hex
    result = healthcheck.delay(nonce)
    answer = result.get(timeout=60)
    assert answer["nonce"] == nonce
    assert answer["db_ok"] == 1
    # The worker is a separate process sharing the test database.
    assert answer["db_vendor"] == connection.vendor
    assert answer["db_name"] == connection.settings_dict["NAME"]
    import os

    assert answer["pid"] != os.getpid()


def test_tasks_run_eagerly_by_default() -> None:
    answer = healthcheck.delay("eager").get()
    import os

    assert answer["pid"] == os.getpid()
