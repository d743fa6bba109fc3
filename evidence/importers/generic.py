"""Generic JSONL and CSV in the evidence wire format."""

from __future__ import annotations

import csv
import io
from typing import Any

from evidence.importers import ImportError_, ImportOptions, Parsed
from trust_portal.sanitise import MAX_NUMBER_CHARS, InputRefused, escaped, loads_json, text_problem

CSV_NUMBER_FIELDS = ("value",)
CSV_INT_FIELDS = ("successes", "trials")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportError_(f"The file is not UTF-8 text (byte {error.start}).") from None


def parse_jsonl(data: bytes, options: ImportOptions) -> Parsed:
    """One wire-format record per line; blank lines are skipped."""
    records: list[dict[str, Any]] = []
    errors = []
    # Split on \n only: JSON strings may hold U+2028 and friends, which str.splitlines() would break on.
    for number, line in enumerate(_text(data).split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        try:
            record = loads_json(line)
        except InputRefused as refused:
            where = f"line {number}" + (f": {refused.field}" if refused.field else "")
            errors.append({"field": where, "message": refused.message, "code": refused.code})
            continue
        except ValueError as error:
            errors.append({"field": f"line {number}", "message": f"Invalid JSON: {error}", "code": "parse_error"})
            continue
        if not isinstance(record, dict):
            errors.append({"field": f"line {number}", "message": "Expected a JSON object.", "code": "invalid"})
            continue
        records.append(_defaults(record, options))
    if errors:
        raise ImportError_(f"{len(errors)} line(s) could not be read.", errors)
    return Parsed(tool="jsonl", records=records)


def parse_csv(data: bytes, options: ImportOptions) -> Parsed:
    """Columns: kind, metric, value | values (';'-separated) | successes + trials, observed_from, observed_to,
    and optionally source_tool, source_version, visibility, task, task_version, dataset_hash, scorer."""
    reader = csv.DictReader(io.StringIO(_text(data)))
    try:
        return _read_csv(reader, options)
    except csv.Error as error:  # a cell beyond the csv module's field size limit (128 KiB), a stray quote, …
        raise ImportError_(
            f"Line {reader.line_num}: not readable as CSV ({error}).",
            [{"field": f"line {reader.line_num}", "message": str(error), "code": "parse_error"}],
        ) from None


def _read_csv(reader: csv.DictReader[str], options: ImportOptions) -> Parsed:
    required = {"metric", "observed_from", "observed_to"}
    missing = required - set(reader.fieldnames or [])
    if missing:
        raise ImportError_(f"The CSV header lacks: {', '.join(sorted(missing))}.")
    records: list[dict[str, Any]] = []
    errors = []
    for row in reader:
        line = reader.line_num
        refused = _cell_problem(row)
        if refused:
            errors.append({"field": f"line {line}: {refused[0]}", "message": refused[1], "code": "invalid"})
            continue
        record: dict[str, Any] = {
            "kind": row.get("kind") or options.kind,
            "metric": row["metric"],
            "observed_from": row["observed_from"],
            "observed_to": row["observed_to"],
        }
        try:
            for name in CSV_NUMBER_FIELDS:
                if row.get(name):
                    record[name] = float(_number(row[name]))
            if row.get("values"):
                record["values"] = [float(_number(v)) for v in row["values"].split(";") if v.strip()]
            for name in CSV_INT_FIELDS:
                if row.get(name):
                    record[name] = int(_number(row[name]))
        except ValueError as error:
            errors.append({"field": f"line {line}", "message": f"Not a number: {error}", "code": "invalid"})
            continue
        if row.get("source_tool") or row.get("source_version"):
            record["source"] = {
                k: v for k, v in (("tool", row.get("source_tool")), ("version", row.get("source_version"))) if v
            }
        measurement = {k: row[k] for k in ("task", "task_version", "dataset_hash", "scorer") if row.get(k)}
        if measurement:
            record["measurement"] = measurement
        if row.get("visibility"):
            record["visibility"] = row["visibility"]
        records.append(_defaults(record, options))
    if errors:
        raise ImportError_(f"{len(errors)} row(s) could not be read.", errors)
    return Parsed(tool="csv", records=records)


def _defaults(record: dict[str, Any], options: ImportOptions) -> dict[str, Any]:
    record.setdefault("visibility", options.visibility)
    if options.metric:
        record["metric"] = options.metric
    return record


def _cell_problem(row: dict[Any, Any]) -> tuple[str, str] | None:
    """(column, why) for the first cell (or header) holding a control character."""
    for column, cell in row.items():
        for text in [column, *(cell if isinstance(cell, list) else [cell])]:
            problem = text_problem(text) if isinstance(text, str) else None
            if problem:
                return escaped(str(column)), problem
    return None


def _number(text: str) -> str:
    if len(text.strip()) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of more than {MAX_NUMBER_CHARS} characters")
    return text
