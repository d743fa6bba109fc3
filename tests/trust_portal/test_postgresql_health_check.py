"""trust_portal.postgresql: the connection health check asks the socket first and sends ``SELECT 1`` only when
the server has said something since (its end closed, a FATAL message, a notification)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_postgresql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def other(postgres: None) -> Iterator[object]:
    """A connection of its own (not the test's), open and idle, as a web process holds one between requests."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    wrapper.set_autocommit(True)
    yield wrapper
    wrapper.close()


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each time Django's own check (its ``SELECT 1``) is consulted."""
    calls: list[str] = []
    original = django_postgresql.DatabaseWrapper.is_usable

    def counted(self: django_postgresql.DatabaseWrapper) -> bool:
        calls.append("SELECT 1")
        return bool(original(self))

    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", counted)
    return calls


def backend_pid(wrapper: object) -> int:
    return int(wrapper.connection.info.backend_pid)  # type: ignore[attr-defined]


def arrived() -> None:
    """Give the server's message (or the end of the stream) time to reach the client's socket."""
    time.sleep(0.2)


def test_the_production_engine_is_this_backend(other: object) -> None:
    assert connection.settings_dict["ENGINE"] == "trust_portal.postgresql"  # what DATABASE_URL=postgres:// gives
    assert type(other).__module__ == "trust_portal.postgresql.base"


def test_an_idle_healthy_connection_is_usable_without_a_round_trip(other: object, round_trips: list[str]) -> None:
    assert other.is_usable()  # type: ignore[attr-defined]
    assert round_trips == []


def test_a_terminated_connection_is_unusable_and_the_next_query_reconnects(
    other: object, round_trips: list[str]
) -> None:
    old_pid = backend_pid(other)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    arrived()
    assert not other.is_usable()  # type: ignore[attr-defined]
    assert round_trips == ["SELECT 1"]  # something was waiting: Django's check decided
    other.health_check_enabled, other.health_check_done = True, False  # type: ignore[attr-defined]
    with other.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT 2")  # the check closes the dead connection; this opens a new one
        assert cursor.fetchone() == (2,)
    assert backend_pid(other) != old_pid


def test_a_notification_waiting_sends_the_check_to_the_server_which_finds_it_usable(
    other: object, round_trips: list[str]
) -> None:
    with other.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("LISTEN trust_portal_health_check")
    with connection.cursor() as cursor:
        cursor.execute("NOTIFY trust_portal_health_check")
    arrived()
    assert other.is_usable()  # type: ignore[attr-defined]
    assert round_trips == ["SELECT 1"]


def test_a_connection_inside_a_transaction_is_left_to_django(other: object, round_trips: list[str]) -> None:
    other.set_autocommit(False)  # type: ignore[attr-defined]
    with other.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT 1")
    assert other.is_usable()  # type: ignore[attr-defined]
    assert round_trips == ["SELECT 1"]
    other.rollback()  # type: ignore[attr-defined]
