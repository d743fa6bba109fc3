"""trust_portal.db.PreparedQuery on PostgreSQL: prepared once per connection by psycopg (the backend's
``bound_cursor``), and prepared again when the server forgot it (``DISCARD ALL``, as a connection pooler may send)
or finds it stale (a column it returns changed type)."""

from __future__ import annotations

import pytest
from django.db import connection

from trust_portal.db import PreparedQuery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def table(postgres: None):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (id int PRIMARY KEY, label varchar(20))")
        cursor.execute("INSERT INTO prepared_probe VALUES (1, 'one'), (2, 'two')")
    yield "prepared_probe"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS prepared_probe")


def prepared_on_server() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql")
        return int(cursor.fetchone()[0])


def test_a_statement_is_prepared_once_and_bound_on_the_server(table) -> None:
    query = PreparedQuery("SELECT label FROM prepared_probe WHERE id = %s", ["int"])
    before = prepared_on_server()
    assert query.fetchall([1]) == [("one",)]
    assert query.fetchall([2]) == [("two",)]
    assert prepared_on_server() == before + 1  # one protocol-level statement, reused


def test_a_statement_the_server_forgot_is_prepared_again(table) -> None:
    query = PreparedQuery("SELECT label FROM prepared_probe WHERE id = %s", ["int"])
    assert query.fetchall([1]) == [("one",)]
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")  # through Django's own cursor: psycopg does not hear of it
    assert query.fetchall([2]) == [("two",)]


def test_a_stale_statement_is_prepared_again(table) -> None:
    query = PreparedQuery("SELECT * FROM prepared_probe WHERE id = %s", ["int"])
    assert query.fetchall([1]) == [(1, "one")]
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE prepared_probe ADD COLUMN note text DEFAULT 'x'")
    assert query.fetchall([1]) == [(1, "one", "x")]
