"""The pact document (``pact/v1``): parsing, validation, canonical hashing, clause extraction.

Pure functions over plain data — no ORM — so the offline verifier and tests can
use them. Every validation problem is a ``DocumentError`` naming its JSON path
(``$.obligations[0].threshold``) and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError as SchemaError

from trust_portal.sanitise import MAX_DEPTH, MAX_NUMBER_CHARS, InputRefused, check_value, escaped, loads_json
from trustcore import jcs

SCHEMA_ID = "pact/v1"
SUPPORTED_SCHEMAS = (SCHEMA_ID,)
SCHEMA_PATH = Path(__file__).parent / "schema" / "pact-v1.json"
MAX_DOCUMENT_BYTES = 256 * 1024
PERCENTILES = ("p50", "p95", "p99")
SEVERITY_ORDER = {"minor": 1, "major": 2, "critical": 3}
CONSEQUENCE_LEVELS = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class DocumentError:
    path: str  # JSONPath into the document, "$" for the whole of it
    message: str  # what was wrong and what was expected
    line: int | None = None
    column: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.line is not None:
            out["line"], out["column"] = self.line, self.column
        return out


class DocumentInvalid(Exception):
    """The document cannot be accepted; ``errors`` says every reason found."""

    def __init__(self, errors: list[DocumentError], *, code: str = "invalid_document") -> None:
        self.errors = errors
        self.code = code
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors[:5]))


class DocumentTooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"The document is {size:,} bytes; the limit is {MAX_DOCUMENT_BYTES:,} bytes.")


# --- parsing ----------------------------------------------------------------------------


class _LimitedSafeLoader(yaml.SafeLoader):
    """Safe YAML within the input limits (trust_portal.sanitise): no anchors/aliases (a few bytes of aliases can
    expand into gigabytes), at most MAX_DEPTH levels (the composer recurses: deeper would exhaust the stack) and
    number literals of at most MAX_NUMBER_CHARS characters (turning 5,000 digits into an int is an error of its
    own). The parser refuses raw control characters; escaped ones ("\\0") are refused after loading."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._refuse("YAML aliases (*name) are not accepted in pact documents")
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            node: Any = super().compose_node(parent, index)
            if node.tag.endswith((":int", ":float")) and len(node.value) > MAX_NUMBER_CHARS:
                raise yaml.composer.ComposerError(
                    None, None, f"a number of more than {MAX_NUMBER_CHARS} characters", node.start_mark
                )
            return node
        if self.depth >= MAX_DEPTH:
            self._refuse(f"nested deeper than {MAX_DEPTH} levels")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _refuse(self, problem: str) -> None:
        raise yaml.composer.ComposerError(None, None, problem, self.peek_event().start_mark)


def parse_text(text: str | bytes) -> Any:
    """Parse JSON or YAML text into data within the input limits; errors carry line and column."""
    if isinstance(text, bytes):
        size = len(text)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DocumentInvalid(
                [DocumentError("$", f"The document is not UTF-8 text (byte {error.start}).")], code="parse_error"
            ) from None
    else:
        size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(size)
    stripped = text.lstrip()
    if not stripped:
        raise DocumentInvalid(
            [DocumentError("$", "The document is empty; expected a pact/v1 object.")], code="parse_error"
        )
    try:
        if stripped[0] in "{[":
            return _parse_json(text)
        return check_value(_json_safe(_parse_yaml(text), "$"))
    except InputRefused as refused:
        where = json_path(escaped(part) if isinstance(part, str) else part for part in refused.parts)
        raise DocumentInvalid([DocumentError(where, refused.message)], code="parse_error") from None


def _parse_json(text: str) -> Any:
    try:
        return loads_json(text)
    except json.JSONDecodeError as error:
        raise DocumentInvalid(
            [
                DocumentError(
                    "$",
                    f"Invalid JSON: {error.msg} at line {error.lineno}, column {error.colno}.",
                    error.lineno,
                    error.colno,
                )
            ],
            code="parse_error",
        ) from None
    except ValueError as error:
        raise DocumentInvalid([DocumentError("$", f"Invalid JSON: {error}.")], code="parse_error") from None


def _parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_LimitedSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        where = f" at line {line}, column {column}" if line else ""
        raise DocumentInvalid(
            [DocumentError("$", f"Invalid YAML: {error.problem or error.context}{where}.", line, column)],
            code="parse_error",
        ) from None
    except yaml.YAMLError as error:
        raise DocumentInvalid([DocumentError("$", f"Invalid YAML: {error}.")], code="parse_error") from None


def _json_safe(value: Any, path: str) -> Any:
    """YAML can produce dates, sets and non-string keys; pacts are JSON, so refuse them by path."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DocumentInvalid(
                    [DocumentError(path, f"Keys must be strings; got {key!r} (quote it).")], code="parse_error"
                )
            out[key] = _json_safe(item, f"{path}.{key}")
        return out
    if isinstance(value, list):
        return [_json_safe(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise DocumentInvalid(
            [DocumentError(path, "Expected a finite number (not .inf, .nan or beyond ±1.8e308).")], code="parse_error"
        )
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise DocumentInvalid(
        [DocumentError(path, f"Expected a JSON value; got a YAML {type(value).__name__} (quote dates and times).")],
        code="parse_error",
    )


# --- canonical form and hash -----------------------------------------------------------------


def canonical_bytes(document: Any) -> bytes:
    """RFC 8785 (JCS) canonical JSON: the bytes the content hash is taken over."""
    return jcs.dumps(document)


def content_hash(document: Any) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


# --- validation -------------------------------------------------------------------------------


@cache
def schema() -> dict[str, Any]:
    with SCHEMA_PATH.open() as handle:
        return json.load(handle)  # type: ignore[no-any-return]


@cache
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema(), format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


def json_path(parts: Iterable[str | int]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate(document: Any) -> list[DocumentError]:
    """Every reason the document is not a valid pact/v1; empty when it is."""
    if not isinstance(document, dict):
        return [DocumentError("$", f"Expected a JSON object (a pact/v1 document); got {_type_name(document)}.")]
    declared = document.get("schema")
    if declared not in SUPPORTED_SCHEMAS:
        supported = ", ".join(SUPPORTED_SCHEMAS)
        what = f"unknown schema {declared!r}" if declared is not None else "missing schema"
        return [DocumentError("$.schema", f"{what}; supported: {supported}.")]
    errors = list(_unhashable_numbers(document, "$"))
    if errors:
        return errors
    errors = [described for error in _validator().iter_errors(document) for described in _describe(error)]
    if errors:
        return sorted(set(errors), key=lambda e: e.path)
    return list(semantic_errors(document))


def validated(document: Any) -> dict[str, Any]:
    errors = validate(document)
    if errors:
        code = (
            "unsupported_schema"
            if errors[0].path == "$.schema" and "supported:" in errors[0].message
            else "invalid_document"
        )
        raise DocumentInvalid(errors, code=code)
    size = len(canonical_bytes(document))
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(size)
    return document  # type: ignore[no-any-return]


MAX_SAFE_INTEGER = 2**53 - 1  # I-JSON (RFC 7493): what RFC 8785 canonicalisation can represent exactly


def _unhashable_numbers(value: Any, path: str) -> Iterator[DocumentError]:
    """Numbers the canonical form cannot carry: non-finite floats and integers beyond ±2^53."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _unhashable_numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unhashable_numbers(item, f"{path}[{index}]")
    elif isinstance(value, float) and not math.isfinite(value):
        yield DocumentError(path, "Expected a finite number.")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        yield DocumentError(path, f"Expected a number within ±{MAX_SAFE_INTEGER} (I-JSON); got {value}.")


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        type(None): "null",
        int: "an integer",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _branch_error(error: SchemaError) -> SchemaError:
    """From a oneOf/anyOf failure, the error of the branch whose type matched (the one the author meant)."""
    branches: dict[Any, list[SchemaError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    for errors in branches.values():
        type_mismatch = any(
            e.validator == "type" and len(e.relative_schema_path) <= 3 and not e.relative_path for e in errors
        )
        if not type_mismatch:
            return min(errors, key=lambda e: -len(e.absolute_path))
    return jsonschema.exceptions.best_match(error.context or [error])


def _describe(error: SchemaError) -> list[DocumentError]:
    while error.validator in ("oneOf", "anyOf") and error.context:
        error = _branch_error(error)
    path = json_path(error.absolute_path)
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [DocumentError(f"{path}.{name}", "Required field is missing.") for name in missing]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        allowed = ", ".join(sorted(known))
        extras = sorted(set(error.instance) - set(known))
        return [DocumentError(f"{path}.{name}", f"Unknown field; expected one of: {allowed}.") for name in extras]
    return [_describe_one(error, path)]


def _describe_one(error: SchemaError, path: str) -> DocumentError:
    v, expected, value = error.validator, error.validator_value, error.instance
    if v == "type":
        return DocumentError(path, f"Expected {expected}; got {_type_name(value)}.")
    if v == "enum":
        return DocumentError(path, f"Expected one of {', '.join(map(repr, expected))}; got {value!r}.")
    if v == "const":
        return DocumentError(path, f"Expected {expected!r}; got {value!r}.")
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }
        return DocumentError(path, f"Expected a value {words[v]} {expected}; got {value!r}.")
    if v == "minItems":
        return DocumentError(path, f"Expected at least {expected} item(s).")
    if v == "maxItems":
        return DocumentError(path, f"Expected at most {expected} items; got {len(value)}.")
    if v == "uniqueItems":
        return DocumentError(path, "Expected unique items; some repeat.")
    if v == "minLength":
        return DocumentError(
            path, "Expected a non-empty string." if expected == 1 else f"Expected at least {expected} characters."
        )
    if v == "maxLength":
        return DocumentError(path, f"Expected at most {expected} characters; got {len(value)}.")
    if v == "pattern":
        return DocumentError(path, f"Expected text matching {expected}; got {value!r}.")
    if v == "not" and error.schema_path and "percent" in json.dumps(error.validator_value):
        return DocumentError(f"{path}.percent", "Only a service_credit consequence takes a percent.")
    return DocumentError(path, error.message)


def metric_kind(obligation: dict[str, Any]) -> str:
    """binary (successes/trials) or numeric (measured values), declared or inferred."""
    declared = obligation.get("metric_kind")
    if declared:
        return str(declared)
    return "binary" if obligation.get("aggregation") == "rate" else "numeric"


def semantic_errors(document: dict[str, Any]) -> Iterator[DocumentError]:
    """What a JSON Schema cannot say: uniqueness, ranges that depend on other fields, references."""
    named = document.get("consequences", {})
    seen_ids: dict[str, int] = {}
    kinds_by_metric: dict[str, tuple[str, int]] = {}
    for index, obligation in enumerate(document["obligations"]):
        at = f"$.obligations[{index}]"
        clause_id = obligation["id"]
        if clause_id in seen_ids:
            yield DocumentError(
                f"{at}.id",
                f"Clause id {clause_id!r} is already used by $.obligations[{seen_ids[clause_id]}]; ids must be unique.",
            )
        else:
            seen_ids[clause_id] = index

        aggregation, threshold, kind = obligation["aggregation"], obligation["threshold"], metric_kind(obligation)
        if aggregation == "rate" and kind != "binary":
            yield DocumentError(f"{at}.metric_kind", "A rate is successes over trials: expected metric_kind 'binary'.")
        if aggregation in PERCENTILES and kind != "numeric":
            yield DocumentError(
                f"{at}.aggregation",
                f"Percentile {aggregation!r} needs a numeric metric; {obligation['metric']!r} is binary (use 'rate' or 'mean').",
            )
        if (aggregation == "rate" or kind == "binary") and aggregation != "count" and not 0 <= threshold <= 1:
            yield DocumentError(
                f"{at}.threshold", f"A rate is a fraction: expected a threshold between 0 and 1; got {threshold}."
            )
        if aggregation == "count" and (threshold < 0 or threshold != int(threshold)):
            yield DocumentError(f"{at}.threshold", f"A count threshold must be a whole number ≥ 0; got {threshold}.")
        if obligation["max_evidence_age_days"] > obligation["window_days"]:
            yield DocumentError(
                f"{at}.max_evidence_age_days",
                f"Evidence may be at most as old as the window: expected ≤ {obligation['window_days']} (window_days); got {obligation['max_evidence_age_days']}.",
            )
        # A count of samples is the same for either kind: it neither sets nor contradicts the metric's kind.
        fixes_kind = aggregation != "count" or "metric_kind" in obligation
        previous = kinds_by_metric.get(obligation["metric"]) if fixes_kind else None
        if previous and previous[0] != kind:
            yield DocumentError(
                f"{at}.metric",
                f"Metric {obligation['metric']!r} is {previous[0]} in $.obligations[{previous[1]}] but {kind} here; one metric has one kind.",
            )
        if fixes_kind:
            kinds_by_metric.setdefault(obligation["metric"], (kind, index))

        for field in ("on_breach", "on_stale"):
            credit = 0.0
            for position, consequence in enumerate(obligation.get(field, [])):
                if isinstance(consequence, str):
                    if consequence not in named:
                        defined = ", ".join(sorted(named)) or "none defined"
                        yield DocumentError(
                            f"{at}.{field}[{position}]",
                            f"Unknown consequence {consequence!r}; expected a name from $.consequences ({defined}).",
                        )
                        continue
                    consequence = named[consequence]
                if consequence["action"] == "service_credit":
                    credit += consequence["percent"]
            if credit > 100:
                yield DocumentError(f"{at}.{field}", f"Service credits add up to {credit:g} %; expected at most 100 %.")


# --- clauses -----------------------------------------------------------------------------------


def resolve_consequences(document: dict[str, Any], items: list[Any]) -> list[dict[str, Any]]:
    named = document.get("consequences", {})
    return [dict(named[item], name=item) if isinstance(item, str) else dict(item) for item in items]


def clauses(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per obligation, with references resolved: what the database stores for querying."""
    rows = []
    for position, obligation in enumerate(document["obligations"]):
        prereg = obligation.get("preregistration") or {}
        rows.append(
            {
                "clause_id": obligation["id"],
                "position": position,
                "title": obligation["title"],
                "metric": obligation["metric"],
                "metric_kind": metric_kind(obligation),
                "unit": obligation.get("unit", ""),
                "aggregation": obligation["aggregation"],
                "comparator": obligation["comparator"],
                "threshold": float(obligation["threshold"]),
                "window_days": obligation["window_days"],
                "min_samples": obligation["min_samples"],
                "max_evidence_age_days": obligation["max_evidence_age_days"],
                "severity": obligation["severity"],
                "evidence_kinds": list(obligation["evidence_kinds"]),
                "requires_signed_evidence": bool(obligation.get("requires_signed_evidence", False)),
                "on_breach": resolve_consequences(document, obligation.get("on_breach", [])),
                "on_stale": resolve_consequences(document, obligation.get("on_stale", [])),
                "prereg_task": prereg.get("task", ""),
                "prereg_task_version": prereg.get("task_version", ""),
                "prereg_dataset_hash": prereg.get("dataset_hash", "").removeprefix("sha256:"),
                "prereg_scorer": prereg.get("scorer", ""),
                "prereg_decision_rule": prereg.get("decision_rule", ""),
            }
        )
    return rows
