"""The pact/v1 document (pacts.documents): validation (schema + semantic), parsing, canonical hashing, and the
docs' examples are valid pacts (the docs cannot drift from the schema)."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pacts import demo_documents
from pacts.demo_documents import CODE_REVIEW, REFUNDS_V1, SCHEDULER, refunds_v2, refunds_v3_loosened
from pacts.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentError,
    DocumentInvalid,
    DocumentTooLarge,
    clauses,
    content_hash,
    parse_text,
    validate,
    validated,
)

Doc = dict[str, Any]
Mutation = Callable[[Doc], None]

EXAMPLES = {
    "REFUNDS_V1": REFUNDS_V1,
    "refunds_v2": refunds_v2(),
    "refunds_v3_loosened": refunds_v3_loosened(),
    "CODE_REVIEW": CODE_REVIEW,
    "SCHEDULER": SCHEDULER,
}

HYPOTHESIS = settings(
    max_examples=100,
    deadline=None,
    database=None,  # no example database written into the project
    # The project's autouse fixture only swaps settings and clears the cache: safe to share across examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def mutated(mutation: Mutation, base: Doc = REFUNDS_V1) -> Doc:
    document = copy.deepcopy(base)
    mutation(document)
    return document


def _walk(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


def put(path: tuple[Any, ...], value: Any) -> Mutation:
    """A mutation that sets document[path...] = value."""

    def mutation(document: Doc) -> None:
        _walk(document, path[:-1])[path[-1]] = copy.deepcopy(value)

    return mutation


def drop(path: tuple[Any, ...]) -> Mutation:
    """A mutation that deletes document[path...]."""

    def mutation(document: Doc) -> None:
        del _walk(document, path[:-1])[path[-1]]

    return mutation


def both(*mutations: Mutation) -> Mutation:
    def mutation(document: Doc) -> None:
        for each in mutations:
            each(document)

    return mutation


def _duplicate_first_clause(document: Doc) -> None:
    clone = copy.deepcopy(document["obligations"][0])
    document["obligations"].append(clone)


# --- valid examples ---------------------------------------------------------------------------


def test_demo_module_examples_are_all_covered() -> None:
    module_dicts = {
        name
        for name, value in vars(demo_documents).items()
        if name.isupper() and isinstance(value, dict) and value.get("schema") == "pact/v1"
    }
    assert module_dicts <= set(EXAMPLES)


@pytest.mark.parametrize("document", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_valid_examples_pass(document: Doc) -> None:
    assert validate(document) == []
    assert validated(document) is document


def test_starter_document_text_parses_to_refunds_v1() -> None:
    assert parse_text(demo_documents.STARTER_DOCUMENT) == REFUNDS_V1


# --- invalid documents ------------------------------------------------------------------------

O0, O1, O2 = ("obligations", 0), ("obligations", 1), ("obligations", 2)

INVALID: list[tuple[str, Mutation, str, str]] = [
    # (id, mutation of REFUNDS_V1, expected error path, fragment of the expected message)
    # required top-level fields
    ("missing-title", drop(("title",)), "$.title", "Required field is missing"),
    ("missing-obligations", drop(("obligations",)), "$.obligations", "Required field is missing"),
    ("missing-consequence-level", drop(("consequence_level",)), "$.consequence_level", "Required field is missing"),
    ("missing-review-every", drop(("review_every_days",)), "$.review_every_days", "Required field is missing"),
    ("missing-schema", drop(("schema",)), "$.schema", "missing schema; supported: pact/v1"),
    # unknown fields
    ("unknown-top-level-field", put(("owner",), "acme"), "$.owner", "Unknown field; expected one of:"),
    ("unknown-obligation-field", put((*O0, "frequency"), "daily"), "$.obligations[0].frequency", "Unknown field"),
    ("unknown-scope-field", put(("scope", "regions"), ["eu"]), "$.scope.regions", "Unknown field"),
    # required obligation fields
    ("missing-threshold", drop((*O0, "threshold")), "$.obligations[0].threshold", "Required field is missing"),
    ("missing-evidence-kinds", drop((*O1, "evidence_kinds")), "$.obligations[1].evidence_kinds", "Required"),
    # wrong types
    ("title-not-string", put(("title",), 5), "$.title", "Expected string; got an integer"),
    ("threshold-string", put((*O0, "threshold"), "0.9"), "$.obligations[0].threshold", "Expected number; got a string"),
    ("threshold-bool", put((*O0, "threshold"), True), "$.obligations[0].threshold", "Expected number; got a boolean"),
    ("window-fractional", put((*O1, "window_days"), 7.5), "$.obligations[1].window_days", "Expected integer"),
    ("obligations-object", put(("obligations",), {}), "$.obligations", "Expected array; got an object"),
    ("evidence-kinds-string", put((*O1, "evidence_kinds"), "telemetry"), "$.obligations[1].evidence_kinds", "array"),
    (
        "signed-not-bool",
        put((*O0, "requires_signed_evidence"), "yes"),
        "$.obligations[0].requires_signed_evidence",
        "boolean",
    ),
    (
        "percent-string",
        put((*O0, "on_breach", 0, "percent"), "10"),
        "$.obligations[0].on_breach[0].percent",
        "Expected number; got a string",
    ),
    ("empty-title", put(("title",), ""), "$.title", "Expected a non-empty string"),
    # enum violations
    ("bad-aggregation", put((*O0, "aggregation"), "median"), "$.obligations[0].aggregation", "got 'median'"),
    ("bad-comparator", put((*O0, "comparator"), "=>"), "$.obligations[0].comparator", "got '=>'"),
    ("bad-severity", put((*O1, "severity"), "fatal"), "$.obligations[1].severity", "got 'fatal'"),
    (
        "bad-evidence-kind",
        put((*O0, "evidence_kinds", 1), "rumour"),
        "$.obligations[0].evidence_kinds[1]",
        "got 'rumour'",
    ),
    (
        "bad-consequence-level",
        put(("consequence_level",), "extreme"),
        "$.consequence_level",
        "Expected one of 'low', 'medium', 'high', 'critical'",
    ),
    ("bad-metric-kind", put((*O2, "metric_kind"), "ordinal"), "$.obligations[2].metric_kind", "got 'ordinal'"),
    (
        "bad-consequence-action",
        put((*O0, "on_breach", 1, "action"), "fine"),
        "$.obligations[0].on_breach[1].action",
        "got 'fine'",
    ),
    (
        "duplicate-evidence-kinds",
        put((*O0, "evidence_kinds"), ["eval_run", "eval_run"]),
        "$.obligations[0].evidence_kinds",
        "Expected unique items",
    ),
    # schema version
    ("unknown-schema", put(("schema",), "pact/v2"), "$.schema", "unknown schema 'pact/v2'; supported: pact/v1"),
    ("schema-wrong-type", put(("schema",), 1), "$.schema", "supported: pact/v1"),
    # array sizes, patterns and ranges
    ("empty-obligations", put(("obligations",), []), "$.obligations", "Expected at least 1 item"),
    ("empty-evidence-kinds", put((*O1, "evidence_kinds"), []), "$.obligations[1].evidence_kinds", "at least 1 item"),
    ("bad-clause-id", put((*O0, "id"), "Resolution Rate"), "$.obligations[0].id", "Expected text matching"),
    ("clause-id-leading-dash", put((*O1, "id"), "-latency"), "$.obligations[1].id", "got '-latency'"),
    ("bad-metric-name", put((*O1, "metric"), "Latency-ms"), "$.obligations[1].metric", "Expected text matching"),
    ("review-every-zero", put(("review_every_days",), 0), "$.review_every_days", "Expected a value at least 1; got 0"),
    ("review-every-too-long", put(("review_every_days",), 731), "$.review_every_days", "at most 730"),
    ("min-samples-negative", put((*O0, "min_samples"), -5), "$.obligations[0].min_samples", "at least 1; got -5"),
    ("window-zero", put((*O0, "window_days"), 0), "$.obligations[0].window_days", "at least 1"),
    ("percent-zero", put((*O0, "on_breach", 0, "percent"), 0), "$.obligations[0].on_breach[0].percent", "more than 0"),
    (
        "percent-over-100",
        put((*O0, "on_breach", 0, "percent"), 101),
        "$.obligations[0].on_breach[0].percent",
        "at most 100",
    ),
    (
        "bad-dataset-hash",
        put((*O2, "preregistration", "dataset_hash"), "sha256:xyz"),
        "$.obligations[2].preregistration.dataset_hash",
        "Expected text matching",
    ),
    (
        "short-dataset-hash",
        put((*O2, "preregistration", "dataset_hash"), "3f1a" * 15),
        "$.obligations[2].preregistration.dataset_hash",
        "Expected text matching",
    ),
    (
        "prereg-missing-scorer",
        drop((*O2, "preregistration", "scorer")),
        "$.obligations[2].preregistration.scorer",
        "Required field is missing",
    ),
    (
        "dispute-missing-appeal",
        drop(("dispute_terms", "appeal_days")),
        "$.dispute_terms.appeal_days",
        "Required field is missing",
    ),
    (
        "dispute-missing-response",
        drop(("dispute_terms", "response_days")),
        "$.dispute_terms.response_days",
        "Required field is missing",
    ),
    (
        "bad-consequence-name",
        put(("consequences",), {"Credit 5": {"action": "notify"}}),
        "$.consequences",
        "Expected text matching",
    ),
    # consequences: service_credit <-> percent
    (
        "credit-without-percent",
        drop((*O0, "on_breach", 0, "percent")),
        "$.obligations[0].on_breach[0].percent",
        "Required field is missing",
    ),
    (
        "percent-on-downgrade",
        put((*O0, "on_breach", 1, "percent"), 5),
        "$.obligations[0].on_breach[1].percent",
        "Only a service_credit consequence takes a percent",
    ),
    (
        "percent-on-named-notify",
        put(("consequences",), {"ping": {"action": "notify", "percent": 1}}),
        "$.consequences.ping.percent",
        "Only a service_credit",
    ),
    ("consequence-not-object", put((*O1, "on_breach"), [5]), "$.obligations[1].on_breach[0]", "got an integer"),
    # semantic checks
    (
        "duplicate-clause-id",
        _duplicate_first_clause,
        "$.obligations[3].id",
        "'resolution-rate' is already used by $.obligations[0]",
    ),
    ("duplicate-clause-id-renamed", put((*O1, "id"), "resolution-rate"), "$.obligations[1].id", "ids must be unique"),
    ("rate-above-one", put((*O0, "threshold"), 1.5), "$.obligations[0].threshold", "between 0 and 1; got 1.5"),
    ("rate-below-zero", put((*O0, "threshold"), -0.1), "$.obligations[0].threshold", "between 0 and 1"),
    ("rate-as-percent", put((*O0, "threshold"), 92), "$.obligations[0].threshold", "A rate is a fraction"),
    (
        "binary-mean-above-one",
        both(put((*O2, "metric_kind"), "binary"), put((*O2, "threshold"), 1.2)),
        "$.obligations[2].threshold",
        "between 0 and 1; got 1.2",
    ),
    (
        "percentile-on-binary",
        both(put((*O1, "metric_kind"), "binary"), put((*O1, "threshold"), 0.5)),
        "$.obligations[1].aggregation",
        "Percentile 'p95' needs a numeric metric; 'latency_ms' is binary",
    ),
    (
        "rate-declared-numeric",
        put((*O0, "metric_kind"), "numeric"),
        "$.obligations[0].metric_kind",
        "expected metric_kind 'binary'",
    ),
    (
        "evidence-older-than-window",
        put((*O0, "max_evidence_age_days"), 31),
        "$.obligations[0].max_evidence_age_days",
        "expected ≤ 30 (window_days); got 31",
    ),
    (
        "window-shorter-than-evidence-age",
        put((*O2, "window_days"), 10),
        "$.obligations[2].max_evidence_age_days",
        "≤ 10",
    ),
    (
        "undefined-named-consequence",
        put((*O0, "on_breach"), ["nope"]),
        "$.obligations[0].on_breach[0]",
        "Unknown consequence 'nope'; expected a name from $.consequences (none defined)",
    ),
    (
        "undefined-named-on-stale",
        both(
            put(("consequences",), {"downgrade": {"action": "downgrade"}}),
            put((*O0, "on_stale"), ["downgrade", "suspend"]),
        ),
        "$.obligations[0].on_stale[1]",
        "(downgrade)",
    ),
    (
        "credits-over-100",
        put(
            (*O0, "on_breach"),
            [{"action": "service_credit", "percent": 60}, {"action": "service_credit", "percent": 50}],
        ),
        "$.obligations[0].on_breach",
        "Service credits add up to 110 %",
    ),
    (
        "named-credits-over-100",
        both(
            put(("consequences",), {"big": {"action": "service_credit", "percent": 80}}),
            put((*O2, "on_stale"), ["big", {"action": "service_credit", "percent": 30}]),
        ),
        "$.obligations[2].on_stale",
        "add up to 110 %",
    ),
    (
        "metric-binary-and-numeric",
        put((*O1, "metric"), "task_success"),
        "$.obligations[1].metric",
        "'task_success' is binary in $.obligations[0] but numeric here",
    ),
    (
        "metric-numeric-then-binary",
        put((*O0, "metric"), "policy_accuracy"),
        "$.obligations[2].metric",
        "is binary in $.obligations[0] but numeric here",
    ),
    (
        "count-fractional",
        both(put((*O1, "aggregation"), "count"), put((*O1, "threshold"), 2.5)),
        "$.obligations[1].threshold",
        "A count threshold must be a whole number ≥ 0; got 2.5",
    ),
    (
        "count-negative",
        both(put((*O1, "aggregation"), "count"), put((*O1, "threshold"), -1)),
        "$.obligations[1].threshold",
        "whole number",
    ),
]


def test_invalid_table_is_large_enough() -> None:
    assert len(INVALID) >= 25
    assert len({case[0] for case in INVALID}) == len(INVALID)


@pytest.mark.parametrize(("mutation", "path", "fragment"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_document(mutation: Mutation, path: str, fragment: str) -> None:
    document = mutated(mutation)
    errors = validate(document)
    assert errors, "expected the document to be refused"
    assert all(isinstance(e, DocumentError) for e in errors)
    matching = [e for e in errors if e.path == path]
    assert matching, f"no error at {path}; got {[e.as_dict() for e in errors]}"
    assert any(fragment in e.message for e in matching), [e.message for e in matching]
    with pytest.raises(DocumentInvalid) as caught:
        validated(document)
    assert caught.value.errors == errors


def test_unsupported_schema_has_its_own_code() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        validated(mutated(put(("schema",), "pact/v9")))
    assert caught.value.code == "unsupported_schema"
    assert [e.path for e in caught.value.errors] == ["$.schema"]

    with pytest.raises(DocumentInvalid) as caught:
        validated(mutated(put(("title",), "")))
    assert caught.value.code == "invalid_document"


@pytest.mark.parametrize("value", [[], "pact", 3, None], ids=["array", "string", "number", "null"])
def test_non_object_documents_are_refused_at_the_root(value: Any) -> None:
    errors = validate(value)
    assert [e.path for e in errors] == ["$"]
    assert "Expected a JSON object" in errors[0].message


def test_schema_errors_are_sorted_and_unique() -> None:
    document = mutated(both(put(("review_every_days",), 0), put((*O1, "severity"), "fatal"), put(("title",), 7)))
    paths = [e.path for e in validate(document)]
    assert paths == sorted(set(paths))
    assert {"$.review_every_days", "$.obligations[1].severity", "$.title"} <= set(paths)


def test_semantic_errors_are_all_reported_together() -> None:
    document = mutated(
        both(
            put((*O0, "threshold"), 3),
            put((*O0, "max_evidence_age_days"), 40),
            put((*O1, "on_breach"), ["missing"]),
        )
    )
    paths = {e.path for e in validate(document)}
    assert {
        "$.obligations[0].threshold",
        "$.obligations[0].max_evidence_age_days",
        "$.obligations[1].on_breach[0]",
    } <= paths


def test_every_missing_required_field_is_reported() -> None:
    document = mutated(both(drop(("title",)), drop(("obligations",)), drop(("dispute_terms", "appeal_days"))))
    paths = {e.path for e in validate(document)}
    assert {"$.title", "$.obligations", "$.dispute_terms.appeal_days"} <= paths


def test_every_unknown_field_is_reported() -> None:
    document = mutated(both(put(("owner",), "acme"), put(("region",), "eu")))
    paths = {e.path for e in validate(document)}
    assert {"$.owner", "$.region"} <= paths


# --- clauses ------------------------------------------------------------------------------------


def test_clauses_resolve_named_consequences_and_defaults() -> None:
    rows = clauses(CODE_REVIEW)
    assert [r["clause_id"] for r in rows] == ["true-positive-rate", "false-alarms"]
    assert rows[0]["on_breach"] == [
        {"action": "service_credit", "percent": 5, "name": "credit-5"},
        {"action": "downgrade", "name": "downgrade"},
    ]
    assert rows[1]["on_stale"] == []
    assert rows[1]["requires_signed_evidence"] is False
    assert rows[0]["metric_kind"] == "binary"

    refunds = clauses(REFUNDS_V1)
    assert refunds[1]["metric_kind"] == "numeric"
    assert refunds[1]["threshold"] == 1500.0
    assert refunds[2]["prereg_dataset_hash"] == "3f1a" * 16
    assert refunds[0]["prereg_task"] == ""


# --- parse_text -------------------------------------------------------------------------------


def _parse_error(text: str | bytes) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        parse_text(text)
    assert caught.value.code == "parse_error"
    return caught.value


def test_invalid_json_reports_line_and_column() -> None:
    error = _parse_error('{"schema": "pact/v1",\n  "title": }')
    [only] = error.errors
    assert only.path == "$"
    assert (only.line, only.column) == (2, 12)
    assert "Invalid JSON" in only.message
    assert "line 2, column 12" in only.message
    assert only.as_dict() == {"path": "$", "message": only.message, "line": 2, "column": 12}


def test_invalid_yaml_reports_line_and_column() -> None:
    error = _parse_error("schema: pact/v1\ntitle: [unclosed,\nobligations: 1\n")
    [only] = error.errors
    assert only.path == "$"
    assert only.message.startswith("Invalid YAML")
    assert only.line is not None
    assert only.line >= 2
    assert only.column is not None
    assert f"line {only.line}, column {only.column}" in only.message


def test_yaml_bad_indentation_reports_line() -> None:
    error = _parse_error("schema: pact/v1\ntitle: x\n  nested: oops\n")
    assert error.errors[0].line == 3


@pytest.mark.parametrize(
    "text",
    [
        "base: &base\n  action: downgrade\ncopy: *base\n",
        "consequences:\n  d: &d {action: downgrade}\nobligations:\n  - on_breach: [*d]\n",
        "a: &x {b: 1}\nc:\n  <<: *x\n",
        "- &a [1, 2]\n- [*a, *a, *a]\n",
    ],
    ids=["alias", "nested-alias", "merge-key", "billion-laughs-seed"],
)
def test_yaml_aliases_are_refused(text: str) -> None:
    error = _parse_error(text)
    assert "aliases" in error.errors[0].message
    assert error.errors[0].line is not None


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("schema: pact/v1\ntitle: 2024-01-01\n", "$.title"),
        ("obligations:\n  - id: a\n    starts: 2024-05-01 10:00:00\n", "$.obligations[0].starts"),
    ],
)
def test_yaml_dates_are_refused_with_a_path(text: str, path: str) -> None:
    error = _parse_error(text)
    assert [e.path for e in error.errors] == [path]
    assert "quote dates" in error.errors[0].message


def test_yaml_quoted_date_is_a_string() -> None:
    assert parse_text("title: '2024-01-01'\n") == {"title": "2024-01-01"}


def test_yaml_non_string_keys_and_infinities_are_refused() -> None:
    assert "Keys must be strings" in _parse_error("1: one\n").errors[0].message
    error = _parse_error("obligations:\n  - threshold: .inf\n")
    assert error.errors[0].path == "$.obligations[0].threshold"
    assert "finite" in error.errors[0].message
    assert _parse_error("threshold: .nan\n").errors[0].path == "$.threshold"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_refused(constant: str) -> None:
    error = _parse_error('{"schema": "pact/v1", "threshold": ' + constant + "}")
    assert error.errors[0].path == "$"
    assert f"{constant} is not a number JSON allows" in error.errors[0].message


def test_json_overflowing_number_is_refused() -> None:
    text = json.dumps(REFUNDS_V1).replace('"threshold": 1500', '"threshold": 1e400')
    assert "1e400" in text
    _parse_error(text)


def test_validate_never_crashes_on_an_infinite_count_threshold() -> None:
    document = mutated(both(put((*O1, "aggregation"), "count"), put((*O1, "threshold"), float("inf"))))
    assert validate(document)


def test_validated_refuses_numbers_jcs_cannot_hash() -> None:
    document = mutated(put((*O1, "threshold"), 2**64))
    with pytest.raises((DocumentInvalid, DocumentTooLarge)):
        validated(document)


def test_yaml_equal_to_json_parses_to_the_same_data() -> None:
    as_json = json.dumps(REFUNDS_V1, indent=2, ensure_ascii=False)
    as_yaml = yaml.safe_dump(REFUNDS_V1, allow_unicode=True, sort_keys=False)
    assert not as_yaml.lstrip().startswith("{")
    assert parse_text(as_yaml) == parse_text(as_json) == REFUNDS_V1
    assert content_hash(parse_text(as_yaml)) == content_hash(parse_text(as_json))


def test_hand_written_yaml_matches_the_scheduler_example() -> None:
    text = """\
schema: pact/v1
title: Scheduling assistant — calendar actions
consequence_level: low
review_every_days: 14
obligations:
  - id: booking-success
    title: Books the meeting it was asked to book
    metric: booking_success
    aggregation: rate
    comparator: ">="
    threshold: 0.97
    window_days: 14
    min_samples: 100
    max_evidence_age_days: 3
    severity: major
    evidence_kinds: [telemetry]
    on_stale:
      - action: downgrade
"""
    assert parse_text(text) == SCHEDULER
    assert parse_text(text.encode("utf-8")) == SCHEDULER


def test_oversized_text_is_refused() -> None:
    padding = "x" * (MAX_DOCUMENT_BYTES + 1)
    with pytest.raises(DocumentTooLarge) as caught:
        parse_text('{"title": "' + padding + '"}')
    assert caught.value.size > MAX_DOCUMENT_BYTES
    with pytest.raises(DocumentTooLarge):
        parse_text(("title: " + padding).encode())


def test_size_limit_counts_utf8_bytes_not_characters() -> None:
    text = '{"title": "' + "é" * (MAX_DOCUMENT_BYTES // 2) + '"}'
    assert len(text) < MAX_DOCUMENT_BYTES
    with pytest.raises(DocumentTooLarge) as caught:
        parse_text(text)
    assert caught.value.size == len(text.encode("utf-8"))


def test_text_at_the_size_limit_is_accepted() -> None:
    head = '{"title": "'
    text = head + "x" * (MAX_DOCUMENT_BYTES - len(head) - 2) + '"}'
    assert len(text.encode()) == MAX_DOCUMENT_BYTES
    assert parse_text(text)["title"].startswith("xxx")


@pytest.mark.parametrize(
    "text", ["", "   \n\t ", b"", b"\n"], ids=["empty", "whitespace", "empty-bytes", "newline-bytes"]
)
def test_empty_text_is_refused(text: str | bytes) -> None:
    error = _parse_error(text)
    assert error.errors[0].path == "$"
    assert "empty" in error.errors[0].message


def test_non_utf8_bytes_are_refused() -> None:
    error = _parse_error(b'{"title": "\xff"}')
    assert "not UTF-8" in error.errors[0].message


# --- content hash -----------------------------------------------------------------------------


def test_content_hash_is_sha256_of_jcs() -> None:
    expected = hashlib.sha256(b'{"a":[1,2.5,"\xc3\xa9"],"b":true}').hexdigest()
    assert content_hash({"b": True, "a": [1, 2.5, "é"]}) == expected
    assert content_hash(REFUNDS_V1) != content_hash(refunds_v2())


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: _shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaf_paths(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaf_paths(item, (*path, index))]
    return [path]


def _other_value(old: Any) -> st.SearchStrategy[Any]:
    """A different value of the same JSON type, within what JCS can represent."""
    if isinstance(old, bool):
        return st.just(not old)
    if isinstance(old, int):
        return st.integers(-(2**53) + 1, 2**53 - 1).filter(lambda new: new != old)
    if isinstance(old, float):
        return st.floats(allow_nan=False, allow_infinity=False).filter(lambda new: new != old)
    if isinstance(old, str):
        return st.text(max_size=30).filter(lambda new: new != old)
    if old is None:
        return st.integers()
    raise AssertionError(f"unexpected leaf {old!r}")


documents = st.sampled_from(list(EXAMPLES.values()))


@HYPOTHESIS
@given(document=documents, rng=st.randoms(use_true_random=False))
def test_hash_ignores_key_order(document: Doc, rng: random.Random) -> None:
    reordered = _shuffled(document, rng)
    assert reordered == document
    assert content_hash(reordered) == content_hash(document)


@HYPOTHESIS
@given(
    document=documents,
    rng=st.randoms(use_true_random=False),
    indent=st.one_of(st.none(), st.integers(0, 8), st.sampled_from(["\t", " ", " \t ", "\n"])),
    item_separator=st.sampled_from([",", ", ", " ,", ",\n", " , ", ",\t"]),
    key_separator=st.sampled_from([":", ": ", " : ", ":\t", "\n:\n"]),
    ensure_ascii=st.booleans(),
    leading=st.sampled_from(["", " ", "\n", "\t\n  "]),
)
def test_hash_ignores_whitespace_and_layout(
    document: Doc,
    rng: random.Random,
    indent: int | str | None,
    item_separator: str,
    key_separator: str,
    ensure_ascii: bool,
    leading: str,
) -> None:
    text = leading + json.dumps(
        _shuffled(document, rng),
        indent=indent,
        separators=(item_separator, key_separator),
        ensure_ascii=ensure_ascii,
    )
    assert json.loads(text) == document
    reparsed = parse_text(text)
    assert reparsed == document
    assert content_hash(reparsed) == content_hash(document)


@HYPOTHESIS
@given(document=documents, data=st.data())
def test_hash_changes_when_any_leaf_changes(document: Doc, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(_leaf_paths(document)), label="path")
    old = _walk(document, path)
    new = data.draw(_other_value(old), label="new value")
    changed = copy.deepcopy(document)
    _walk(changed, path[:-1])[path[-1]] = new
    assert changed != document
    assert content_hash(changed) != content_hash(document)


def test_a_count_clause_does_not_fix_the_metric_kind() -> None:
    import copy

    document = copy.deepcopy(REFUNDS_V1)
    counting = dict(document["obligations"][0], id="volume", aggregation="count", comparator=">=", threshold=100)
    document["obligations"].append(counting)
    assert validate(document) == []


# --- the examples in the docs ---------------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "pacts.md"
DOC_BLOCKS = re.findall(r"```json\n(.*?)```", DOCS.read_text(), flags=re.S)


def test_docs_have_examples() -> None:
    assert len(DOC_BLOCKS) >= 2


@pytest.mark.parametrize("block", DOC_BLOCKS)
def test_docs_example_is_valid(block: str) -> None:
    assert validate(json.loads(block)) == []
