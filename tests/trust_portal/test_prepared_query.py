"""trust_portal.db.PreparedQuery on PostgreSQL: prepared once per connection (the backend's ``run_prepared``,
libpq's prepared execution; a plain cursor where that cannot serve), and prepared again when the
server forgot it (``DISCARD ALL``, as a connection pooler may send) or finds it stale (a column it returns changed
type)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from trust_portal.db import PreparedQuery
from trust_portal.postgresql.base import DatabaseWrapper

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


def _direct_runs(monkeypatch) -> list[bytes]:
    """The statements ``run_prepared`` ran to the end (not handed back to a cursor)."""
    ran: list[bytes] = []
    original = DatabaseWrapper.run_prepared

    def counting(self, name, *args):  # type: ignore[no-untyped-def]
        rows = original(self, name, *args)
        ran.append(name)
        return rows

    monkeypatch.setattr(DatabaseWrapper, "run_prepared", counting)
    return ran


def test_values_come_back_as_a_cursor_gives_them(table, monkeypatch) -> None:
    ran = _direct_runs(monkeypatch)
    sql = "SELECT %s, %s, %s, %s, %s, %s, label FROM prepared_probe WHERE id = %s"
    query = PreparedQuery(sql, ["timestamptz", "numeric", "jsonb", "boolean", "text", "bigint", "int"])
    at = datetime(2026, 12, 1, 20, 0, 5, 123456, tzinfo=UTC)
    params = [at, Decimal("10.500"), '{"a": [1, 2]}', True, None, 2**40, 1]
    rows = query.fetchall(params)
    assert ran, "the direct path ran"
    with connection.cursor() as cursor:
        cursor.execute(query.typed_sql, params)
        assert rows == cursor.fetchall()
    assert rows[0][0] == at and rows[0][0].tzinfo is UTC  # as Django's own loader gives it
    assert rows[0][1:] == (Decimal("10.500"), '{"a": [1, 2]}', True, None, 2**40, "one")


def test_a_literal_percent_sign_survives_the_numbering(table) -> None:
    query = PreparedQuery("SELECT label FROM prepared_probe WHERE label LIKE 'o%%' AND id = %s", ["int"])
    assert query.fetchall([1]) == [("one",)]


def test_it_runs_inside_the_transaction_django_opened(table, monkeypatch) -> None:
    """psycopg sends a transaction's BEGIN with its first statement: before that, the direct path steps aside (the
    cursor's path begins it); once it is open, the direct path runs inside it, and a rollback undoes its writes."""
    ran = _direct_runs(monkeypatch)
    insert = PreparedQuery("INSERT INTO prepared_probe VALUES (%s, %s) RETURNING id", ["int", "varchar"])
    with pytest.raises(RuntimeError), transaction.atomic():
        assert insert.fetchall([3, "three"]) == [(3,)]  # the first statement: through the cursor, after BEGIN
        assert insert.fetchall([4, "four"]) == [(4,)]  # the transaction is open: directly
        raise RuntimeError("roll back")
    assert len(ran) == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM prepared_probe")
        assert cursor.fetchone()[0] == 2  # both inserts were undone


def test_errors_arrive_as_django_errors_and_the_connection_goes_on(table) -> None:
    insert = PreparedQuery("INSERT INTO prepared_probe VALUES (%s, %s)", ["int", "varchar"])
    with pytest.raises(IntegrityError):
        insert.fetchall([1, "again"])
    assert PreparedQuery("SELECT label FROM prepared_probe WHERE id = %s", ["int"]).fetchall([2]) == [("two",)]


def test_its_queries_are_logged_as_a_cursors_are(table) -> None:
    query = PreparedQuery("SELECT label FROM prepared_probe WHERE id = %s", ["int"])
    with CaptureQueriesContext(connection) as captured:
        query.fetchall([2])
    assert [q["sql"] for q in captured] == ["SELECT label FROM prepared_probe WHERE id = 2::int"]


def test_times_keep_the_session_time_zone_when_it_is_not_utc(table) -> None:
    """The compiled loader serves sessions in UTC; a session moved to another zone gets Django's loader, whatever
    it makes of that (it labels the server's local time with Django's zone), as a cursor would."""
    query = PreparedQuery("SELECT %s", ["timestamptz"])
    at = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Paris'")
    try:
        (value,) = query.fetchall([at])[0]
        with connection.cursor() as cursor:
            cursor.execute(query.typed_sql, [at])
            assert (value, value.tzinfo) == (cursor.fetchone()[0], UTC)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")


def test_after_discard_all_every_statement_is_prepared_again(table) -> None:
    """A DISCARD ALL forgets every prepared statement: after the first one finds out, the others are prepared again
    before they run, so one later run inside a transaction (where a failed statement could not be retried) works."""
    one = PreparedQuery("SELECT label FROM prepared_probe WHERE id = %s", ["int"])
    two = PreparedQuery("SELECT id FROM prepared_probe WHERE label = %s", ["varchar"])
    assert (one.fetchall([1]), two.fetchall(["two"])) == ([("one",)], [(2,)])
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")
    assert one.fetchall([2]) == [("two",)]  # finds out, in autocommit: prepared again
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # the transaction open
        assert two.fetchall(["one"]) == [(1,)]


def test_a_rollback_leaves_the_prepared_statements_in_place(table) -> None:
    """psycopg deallocates every prepared statement after a rollback when it holds some of its own: it holds none
    (Django's cursors prepare nothing), so a statement prepared before still runs inside a later transaction."""
    query = PreparedQuery("SELECT label FROM prepared_probe WHERE id = %s", ["int"])
    assert query.fetchall([1]) == [("one",)]
    with pytest.raises(RuntimeError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        raise RuntimeError("roll back")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # the transaction open: the next statement runs directly
        assert query.fetchall([2]) == [("two",)]
