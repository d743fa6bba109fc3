"""Hostile input, per role, over every write (API and pages) and every list filter: never a 500, never a partial
write (issue 10, finding 8).

Hypothesis takes each operation's valid request from the authorization matrix (``tests/test_authorization_matrix``:
the same world of real objects, the same bodies and row probes) and spoils one place of it — a JSON value or key,
a form field, a query parameter, a path segment, an uploaded file's name or contents — with NUL and other control
characters, nesting beyond the limit, numbers beyond any bound (raw literals included) or dates whose offset
overflows the calendar. The answer must be below 500, and when it refuses (4xx) the rows the operation would have
written must be as they were. Each example runs in its own rolled-back transaction. Bounded: a few examples per
(role, operation), about 550 requests in all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.test_authorization_matrix import (
    API,
    HTML,
    OBJECTS,
    Op,
    World,
    fill,
    load_rows,
    wire_record,
    world,  # noqa: F401 - the module-scoped world fixture
)

ROLES = ["anonymous", "vendor_a_owner", "vendor_a_member", "buyer_a_owner", "arbiter", "staff"]
EXAMPLES_PER_OPERATION = 3

# --- what is hostile -----------------------------------------------------------------------------------------------

CONTROL = st.sampled_from(["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f"])
CONTROL_TEXT = st.tuples(st.text(max_size=4), CONTROL, st.text(max_size=4)).map("".join)
OVERFLOWING_DATES = st.sampled_from(
    [
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00.000001+00:01",
        "9999-12-31T23:59:59.999999-00:01",
        "2026-02-30T25:61:61+24:00",
    ]
)
HUGE_LITERALS = st.sampled_from(
    ["9" * 400, "-" + "9" * 400, "1e400", "-1e400", str(2**64), str(2**53 + 1), "1." + "0" * 60 + "1", "1e-400"]
)
DEEP_TEXT = st.sampled_from(["[" * 5000, "{" * 2000, '{"a":' * 100 + "1" + "}" * 100, "a:\n" + "  - " * 500 + "x"])


def nested(depth: int, as_list: bool) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value] if as_list else {"k": value}
    return value


@dataclass(frozen=True)
class Raw:
    """A JSON number literal no Python value dumps to (400 digits, 1e400): spliced into the body's text."""

    literal: str


JSON_VALUES = st.one_of(
    CONTROL_TEXT,
    OVERFLOWING_DATES,
    HUGE_LITERALS.map(Raw),
    st.tuples(st.integers(33, 120), st.booleans()).map(lambda spec: nested(*spec)),
    st.sampled_from([2**64, -(2**63) - 1, 2**53 + 1, 1.7e308, -1e300, 10**30]),
    st.dictionaries(CONTROL_TEXT, st.integers(), min_size=1, max_size=2),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
)
TEXT_VALUES = st.one_of(
    CONTROL_TEXT, OVERFLOWING_DATES, HUGE_LITERALS, DEEP_TEXT, st.just("x" * 20_000), st.text(max_size=8)
)


def dumps(value: Any) -> bytes:
    raws: list[str] = []

    def default(item: Any) -> str:
        raws.append(item.literal)
        return f"@@raw{len(raws) - 1}@@"

    text = json.dumps(value, default=default)
    return re.sub(r'"@@raw(\d+)@@"', lambda m: raws[int(m.group(1))], text).encode()


def places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (the root included), to put a hostile value at."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(places(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(places(item, (*path, index)))
    return out


def spoil_json(draw: Callable[..., Any], body: Any) -> Any:
    place = draw(st.sampled_from(places(body)))
    hostile = draw(JSON_VALUES)
    if not place:
        return hostile
    parent = body
    for part in place[:-1]:
        parent = parent[part]
    if isinstance(parent, dict) and draw(st.booleans()):
        parent[draw(CONTROL_TEXT)] = hostile  # a hostile key beside the valid ones
    else:
        parent[place[-1]] = hostile
    return body


# --- the operations ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    surface: str
    method: str
    path: str
    object: str
    op: Op
    filters: tuple[str, ...] = ()  # the list's query parameters (GET)

    def __str__(self) -> str:
        return f"{self.surface} {self.method} {self.path}" + (f" [{self.object}]" if self.object else "")


def list_filters() -> dict[str, tuple[str, ...]]:
    """Each GET operation of the OpenAPI schema with query parameters -> their names."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return {
        path: names
        for path, operations in paths.items()
        if "get" in operations
        and (names := tuple(p["name"] for p in operations["get"].get("parameters", []) if p["in"] == "query"))
    }


def targets() -> list[Target]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    filters = list_filters()
    for row in load_rows():
        key = (row["surface"], row["method"], row["path"])
        if key in seen:
            continue  # one object per operation (the first row's) is enough here
        if row["method"] == "GET" and not (row["surface"] == "api" and row["path"] in filters):
            continue
        ops = API if row["surface"] == "api" else HTML
        seen.add(key)
        out.append(Target(*key, row["object"], ops.get(key[1:], Op()), filters.get(row["path"], ())))
    return out


TARGETS = targets()


@st.composite
def hostile_request(draw: Callable[..., Any], target: Target, w: World, role: str) -> dict[str, Any]:
    """The operation's valid request with one place spoiled."""
    params, query = OBJECTS[target.object](w)
    query = {**query, **(target.op.query(w) if target.op.query else {})}
    op = target.op
    body = op.body(w) if op.body else op.body_as(w, role) if op.body_as else None
    places_to_spoil = ["query", "path"]
    if target.filters:
        places_to_spoil += ["filter"] * 3
    if body is not None:
        places_to_spoil += ["body"] * 4
    where = draw(st.sampled_from(places_to_spoil))
    path = fill(target.path, params)
    if where == "query":
        query[draw(st.sampled_from([*query, "q", "cursor", "page_size"]))] = draw(TEXT_VALUES)
    elif where == "filter":
        for name in draw(st.lists(st.sampled_from(target.filters), min_size=1, max_size=3, unique=True)):
            query[name] = draw(TEXT_VALUES)
    elif where == "path" and params:
        name = draw(st.sampled_from(sorted(params)))
        path = fill(target.path, {**params, name: quote(draw(TEXT_VALUES)[:200], safe="")})
    elif where == "body":
        body = spoil_body(draw, target, body)
    return {"path": path, "query": query, "body": body}


def spoil_body(draw: Callable[..., Any], target: Target, body: Any) -> Any:
    if target.op.multipart or "file" in (body if isinstance(body, dict) else {}):
        fields = {k: v for k, v in body.items() if k != "file"}
        choice = draw(st.sampled_from(["contents", "name", "field"]))
        contents = dumps(spoil_json(draw, wire_record())) + b"\n" if choice == "contents" else b"{}\n"
        # a control character inside a name the test client can still send (one of only dots or controls is refused
        # by SimpleUploadedFile itself, before any request)
        name = f"r{draw(CONTROL_TEXT)}.jsonl" if choice == "name" else "results.jsonl"
        if choice == "field":
            fields[draw(st.sampled_from([*fields, "metric"]))] = draw(TEXT_VALUES)
        return {**fields, "file": SimpleUploadedFile(name, contents, "application/x-ndjson")}
    if target.surface == "html":
        form = dict(body)
        field = draw(st.sampled_from([*form, "extra"]))
        if field == "document":  # JSON text: spoil a place inside it
            form[field] = dumps(spoil_json(draw, json.loads(form[field]))).decode()
        else:
            form[field] = draw(TEXT_VALUES)
        return form
    return spoil_json(draw, json.loads(json.dumps(body)))


def send(target: Target, w: World, role: str, request: dict[str, Any]) -> Any:
    url = request["path"] + (f"?{urlencode(request['query'], doseq=True)}" if request["query"] else "")
    body = request["body"]
    if target.surface == "api":
        api = APIClient()
        if role != "anonymous":
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {w.bearer[role]}")
        if body is None:
            return api.generic(target.method, url)
        if target.op.multipart:
            return getattr(api, target.method.lower())(url, body, format="multipart")
        return api.generic(target.method, url, dumps(body), content_type="application/json")
    page = Client()
    if role != "anonymous":
        page.force_login(w.users[role])
    if target.method == "GET":
        return page.get(url)
    return page.post(url, body or {})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS, ids=str)
def test_hostile_input_is_never_a_500_nor_a_partial_write(target: Target, role: str, world: World, db: None) -> None:  # noqa: F811
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        cache.clear()  # throttles start at zero for every example
        with transaction.atomic():
            request = data.draw(hostile_request(target, world, role), label="request")
            before = target.op.probe(world) if target.op.probe else None
            response = send(target, world, role, request)
            assert response.status_code < 500, f"{target} as {role}: {response.status_code}"
            if target.op.probe and response.status_code >= 400:
                assert target.op.probe(world) == before, f"{target} as {role}: a refused request wrote rows"
            transaction.set_rollback(True)

    check()


def test_every_write_and_every_list_filter_is_a_target() -> None:
    """Every write and every list with query parameters that the matrix has a row for (the matrix's own test fails
    for an operation without one)."""
    rows = {(r["surface"], r["method"], r["path"]) for r in load_rows()}
    writes = {row for row in rows if row[1] != "GET"}
    lists = {("api", "GET", path) for path in list_filters()} & rows
    assert writes | lists == {(t.surface, t.method, t.path) for t in TARGETS}
