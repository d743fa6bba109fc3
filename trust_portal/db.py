"""Database plumbing below the ORM, for the few hot paths whose benchmarks demand it."""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.expressions import Col

from trust_portal.postgresql.base import Unprepared

M = TypeVar("M", bound=models.Model)


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows fast: PostgreSQL ``COPY … FROM STDIN`` (several times faster than INSERT), else
    one prepared INSERT run many times. Values must already be in column form (JSON as text)."""
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", list(rows))  # noqa: S608 - names from models


class Columns:
    """A model's columns in a hand-written SELECT (``alias.column, …``), read back into an instance as the ORM
    would: the backend's and the field's converters applied (SQLite's text times and integer booleans, JSON
    text), so a hot path's raw SQL stays portable. Fields left out are deferred, as with ``only()``."""

    def __init__(self, model: type[models.Model], alias: str, fields: Sequence[str] | None = None) -> None:
        self.model = model
        concrete = list(model._meta.concrete_fields)
        # In the model's field order: ``from_db`` fills the deferred fields in by position.
        self.fields = [field for field in concrete if fields is None or field.name in fields or field.attname in fields]
        if fields is not None and len(self.fields) != len(fields):
            raise ValueError(f"{model.__name__} has no column for some of {list(fields)}.")
        self.attnames = {field.attname for field in self.fields}  # type: ignore[union-attr]
        self._attname_order = [field.attname for field in self.fields]  # type: ignore[union-attr]
        self._plain: bool | None = None  # no custom from_db, no pre_init or post_init receivers: see read()
        self.sql = ", ".join(f"{alias}.{field.column}" for field in self.fields)  # type: ignore[union-attr]
        self.width = len(self.fields)
        self._converters: weakref.WeakKeyDictionary[Any, list[tuple[int, list[Any], Col]]] = weakref.WeakKeyDictionary()

    def converters(self, wrapper: Any) -> list[tuple[int, list[Any], Col]]:
        found = self._converters.get(wrapper)
        if found is None:
            found = []
            for index, field in enumerate(self.fields):
                column = Col("_", field)
                functions = wrapper.ops.get_db_converters(column) + field.get_db_converters(wrapper)  # type: ignore[union-attr]
                if functions:
                    found.append((index, functions, column))
            self._converters[wrapper] = found
        return found

    def read(self, row: Sequence[Any], start: int = 0, wrapper: Any = None) -> Any:
        """The instance whose columns start at ``row[start]``; ``wrapper``: the default connection, if the caller
        holds it (reading several models off one row: ``connections[…]`` is a thread-local lookup each time)."""
        if wrapper is None:
            wrapper = connections[DEFAULT_DB_ALIAS]
        values = list(row[start : start + self.width])
        for index, functions, column in self.converters(wrapper):
            value = values[index]
            for function in functions:
                value = function(value, column, wrapper)
            values[index] = value
        model = self.model
        if self._plain is None:  # asked at the first read, once the apps have connected their signals
            self._plain = _plain(model)
        if not self._plain:
            return model.from_db(DEFAULT_DB_ALIAS, self.attnames, values)
        # What ``from_db`` ends with, without ``__init__``'s pass over every field (a tenth of a decision's Python):
        # the values in the instance's dict, the fields left out deferred, the state of a loaded row.
        instance = model.__new__(model)
        instance.__dict__.update(zip(self._attname_order, values, strict=True))
        state = ModelState()
        state.adding, state.db = False, DEFAULT_DB_ALIAS
        instance._state = state
        return instance


def _plain(model: type[models.Model]) -> bool:
    """Whether the model's instances can be made without ``__init__`` or ``from_db``: no custom ``from_db``, no
    ``pre_init`` or ``post_init`` receivers (asked at the first use, once the apps have connected their signals)."""
    return not (
        model.from_db.__func__ is not models.Model.from_db.__func__  # type: ignore[attr-defined]
        or signals.pre_init.has_listeners(model)
        or signals.post_init.has_listeners(model)
    )


_UNSAVED_FIELDS: dict[type[models.Model], list[tuple[str, str, bool, Any]]] = {}


def unsaved(model: type[M], **values: Any) -> M:
    """``model(**values)``, a new unsaved instance, without ``__init__``'s generic pass (a hot path's log row):
    ``values`` by field name (a related object for a relation, cached on the instance as ``__init__`` caches it)
    or by attname; every other field takes its default. Where the model has init signals, ``__init__`` it is."""
    fields = _UNSAVED_FIELDS.get(model)
    if fields is None:
        if not _plain(model):
            return model(**values)
        fields = _UNSAVED_FIELDS[model] = [
            (field.name, field.attname, field.many_to_one, field)  # type: ignore[misc]
            for field in model._meta.concrete_fields
        ]
    instance = model.__new__(model)
    instance._state = ModelState()
    state: dict[str, Any] = instance.__dict__
    given = 0
    for name, attname, related, field in fields:
        if related and name in values:
            target = values[name]
            state[attname] = None if target is None else target.pk
            field.set_cached_value(instance, target)
            given += 1
        elif attname in values:
            state[attname] = values[attname]
            given += 1
        else:
            state[attname] = field.get_default()
    if given != len(values):
        unexpected = sorted(set(values) - {name for name, *_ in fields} - {attname for _, attname, *_ in fields})
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {', '.join(unexpected)}")
    return instance


class PreparedQuery:
    """A hot path's statement, prepared once per PostgreSQL connection: the server parses and plans it once, not on
    every request (planning a join of five tables cost several times its execution: bench/decision.py), and its
    parameters travel apart from the text. ``sql`` takes ``%s`` parameters of the PostgreSQL ``types`` (each cast
    so, since a parameter bound on the server has no type of its own in a ``SELECT`` list).

    On the project's PostgreSQL backend it runs through ``run_prepared`` (libpq's prepared execution, called
    directly: a statement the server forgot or finds stale is prepared again there), or where that path cannot
    serve (a transaction psycopg has yet to begin, ``execute_wrappers``) through a plain cursor, planned as any
    query; elsewhere (SQLite) as it is."""

    def __init__(self, sql: str, types: Sequence[str]) -> None:
        if sql.count("%s") != len(types):
            raise ValueError(f"{sql[:60]}…: {sql.count('%s')} parameters, {len(types)} types")
        self.sql = sql
        typed = iter(types)
        self.typed_sql = re.sub("%s", lambda _: f"%s::{next(typed)}", sql)
        numbered = iter(range(1, len(types) + 1))
        numbered_sql = re.sub(r"%s::|%%", lambda m: "%" if m[0] == "%%" else f"${next(numbered)}::", self.typed_sql)
        self._server_sql = numbered_sql.encode()  # libpq's form: $1, $2, … and a literal % as itself
        self.name = b"tp_" + hashlib.sha256(self._server_sql).hexdigest()[:24].encode()

    def fetchall(self, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        run = getattr(connection, "run_prepared", None)
        if run is not None and connection.vendor == "postgresql":
            try:
                return run(self.name, self._server_sql, self.typed_sql, params)  # type: ignore[no-any-return]
            except Unprepared:
                pass
        with connection.cursor() as cursor:
            cursor.execute(self.typed_sql if connection.vendor == "postgresql" else self.sql, params)
            return cursor.fetchall()
