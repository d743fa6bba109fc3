"""Importers of evaluation-tool result files: the pure parsers, the import service, and the import API.

The Inspect AI and promptfoo fixtures are real tool output (see tests/fixtures/README.md); the
expected numbers are read from the files themselves wherever that is possible.
"""

# The pact fixtures are imported by name; test parameters of the same name are not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import copy
import hashlib
import io
import json
import struct
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zstandard
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from evidence import services
from evidence.errors import EvidenceInvalid, ImportInvalid
from evidence.importers import ImportError_, ImportOptions, generic, importers, inspect_ai, promptfoo
from evidence.models import EvidenceImport, EvidenceRecord
from tests.pacts.conftest import agent, document, draft_pact, published_pact  # noqa: F401
from trust_portal.errors import Forbidden, PayloadTooLarge

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INSPECT_JSON = FIXTURES / "inspect" / "refund_policy_eval.json"
INSPECT_EVAL = FIXTURES / "inspect" / "refund_policy_eval.eval"
PROMPTFOO_JSON = FIXTURES / "promptfoo" / "results.json"
ZSTD = 93


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def eval_entry(raw: bytes, name: str) -> Any:
    """One JSON entry of a .eval archive, decoded independently of the importer (local header + zstd stream)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        info = archive.getinfo(name)
    assert info.compress_type == ZSTD
    name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    data = zstandard.ZstdDecompressor().decompressobj().decompress(raw[start : start + info.compress_size])
    return json.loads(data)


@pytest.fixture(scope="module")
def inspect_json_bytes() -> bytes:
    return INSPECT_JSON.read_bytes()


@pytest.fixture(scope="module")
def inspect_log(inspect_json_bytes: bytes) -> dict[str, Any]:
    return json.loads(inspect_json_bytes)


@pytest.fixture(scope="module")
def eval_bytes() -> bytes:
    return INSPECT_EVAL.read_bytes()


@pytest.fixture(scope="module")
def eval_header(eval_bytes: bytes) -> dict[str, Any]:
    return eval_entry(eval_bytes, "header.json")


@pytest.fixture(scope="module")
def promptfoo_bytes() -> bytes:
    return PROMPTFOO_JSON.read_bytes()


@pytest.fixture(scope="module")
def promptfoo_doc(promptfoo_bytes: bytes) -> dict[str, Any]:
    return json.loads(promptfoo_bytes)


def wire_line(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "telemetry",
        "metric": "task_success",
        "successes": 57,
        "trials": 60,
        "observed_from": "2026-11-20T00:00:00Z",
        "observed_to": "2026-11-21T00:00:00Z",
    }
    record.update(overrides)
    return record


def jsonl(*lines: Any) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()


# --- Inspect AI: the JSON log ------------------------------------------------------------------------


def test_inspect_json_log_gives_one_count_record_per_scorer(inspect_json_bytes, inspect_log) -> None:
    evaluation = inspect_log["eval"]
    scores = inspect_log["results"]["scores"]
    correct = sum(s["scores"]["match"]["value"] == "C" for s in inspect_log["samples"])

    parsed = inspect_ai.parse(inspect_json_bytes, ImportOptions())

    assert parsed.tool == "inspect_ai"
    assert parsed.tool_version == evaluation["packages"]["inspect_ai"] == "0.3.285"
    assert parsed.task == f"{evaluation['task']} v{evaluation['task_version']}" == "refund_policy_eval v1"
    assert parsed.dataset == evaluation["dataset"]["name"] == "refund_policy_qa"
    assert parsed.run_id == evaluation["eval_id"]
    assert len(parsed.records) == len(scores) == 1
    record = parsed.records[0]
    assert (record["successes"], record["trials"]) == (correct, len(inspect_log["samples"])) == (9, 12)
    assert "value" not in record and "values" not in record
    assert record["metric"] == "match"
    assert record["kind"] == "eval_run" and record["visibility"] == "public"
    assert record["measurement"] == {
        "task": "refund_policy_eval",
        "task_version": "1",
        "dataset_hash": inspect_ai.dataset_hash(evaluation["dataset"]),
        "scorer": scores[0]["scorer"],
    }
    assert record["observed_from"] == inspect_log["stats"]["started_at"]
    assert record["observed_to"] == inspect_log["stats"]["completed_at"]
    assert record["payload"]["eval_id"] == evaluation["eval_id"]
    assert record["payload"]["run_id"] == evaluation["run_id"]
    assert record["payload"]["model"] == "mockllm/model"
    assert record["payload"]["metrics"]["accuracy"] == scores[0]["metrics"]["accuracy"]["value"] == 0.75
    assert record["payload"]["log_format"] == "json"


def test_inspect_metric_kind_and_visibility_options(inspect_json_bytes) -> None:
    options = ImportOptions(metric="task_success", visibility="restricted", kind="attestation")
    record = inspect_ai.parse(inspect_json_bytes, options).records[0]
    assert record["metric"] == "task_success"
    assert record["visibility"] == "restricted"
    assert record["kind"] == "attestation"
    assert record["measurement"]["scorer"] == "match"  # the scorer is still the tool's own


def test_dataset_hash_depends_on_the_dataset_identity_only(inspect_log) -> None:
    dataset = inspect_log["eval"]["dataset"]
    digest = inspect_ai.dataset_hash(dataset)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert inspect_ai.dataset_hash({**dataset, "shuffled": True}) == digest  # not part of the identity
    assert inspect_ai.dataset_hash({**dataset, "samples": 11}) != digest
    assert inspect_ai.dataset_hash({**dataset, "sample_ids": dataset["sample_ids"][:-1]}) != digest


def test_inspect_log_without_samples_falls_back_to_the_accuracy_metric(inspect_log) -> None:
    log = {k: v for k, v in inspect_log.items() if k != "samples"}
    record = inspect_ai.parse(json.dumps(log).encode(), ImportOptions()).records[0]
    assert record["value"] == 0.75
    assert "successes" not in record


def test_inspect_non_binary_scores_become_values(inspect_log) -> None:
    log = copy.deepcopy(inspect_log)
    for sample, value in zip(log["samples"], ["C", "P", "I", 0.25] * 3, strict=True):
        sample["scores"]["match"]["value"] = value
    record = inspect_ai.parse(json.dumps(log).encode(), ImportOptions()).records[0]
    assert record["values"] == [1.0, 0.5, 0.0, 0.25] * 3
    assert "successes" not in record


@pytest.mark.parametrize("value", [{"accuracy": 1.0}, None], ids=["dict", "null"])
def test_inspect_unsupported_sample_score_values_are_an_import_error(inspect_log, value) -> None:
    log = copy.deepcopy(inspect_log)
    for sample in log["samples"]:
        sample["scores"]["match"]["value"] = value
    with pytest.raises(ImportError_):
        inspect_ai.parse(json.dumps(log).encode(), ImportOptions())


# --- Inspect AI: the .eval archive ---------------------------------------------------------------------


def test_eval_archive_entries_are_zstd_which_plain_zipfile_cannot_read(eval_bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(eval_bytes)) as archive:
        assert {i.compress_type for i in archive.infolist()} == {ZSTD}
        assert "header.json" in archive.namelist()
        with pytest.raises(NotImplementedError):
            archive.read("header.json")


def test_eval_archive_is_read_like_the_json_log(eval_bytes, eval_header) -> None:
    evaluation = eval_header["eval"]
    summaries = eval_entry(eval_bytes, "summaries.json")
    # The README's numbers for this separate run.
    assert evaluation["task_id"] == "dDksxKv8SiBC9zwwMULacU"
    assert evaluation["created"] == "2026-11-26T12:11:46+00:00"
    assert len(summaries) == 12
    assert sum(s["scores"]["match"]["value"] == "C" for s in summaries) == 9

    parsed = inspect_ai.parse(eval_bytes, ImportOptions())

    assert parsed.tool == "inspect_ai"
    assert parsed.tool_version == evaluation["packages"]["inspect_ai"] == "0.3.285"
    assert parsed.task == "refund_policy_eval v1"
    assert parsed.dataset == "refund_policy_qa"
    assert parsed.run_id == evaluation["eval_id"]
    [record] = parsed.records
    assert (record["successes"], record["trials"]) == (9, 12)
    assert record["metric"] == "match"
    assert record["measurement"] == {
        "task": evaluation["task"],
        "task_version": str(evaluation["task_version"]),
        "dataset_hash": inspect_ai.dataset_hash(evaluation["dataset"]),
        "scorer": "match",
    }
    assert record["observed_from"] == eval_header["stats"]["started_at"]
    assert record["observed_to"] == eval_header["stats"]["completed_at"]
    assert record["payload"]["log_format"] == "eval"
    assert inspect_ai.parse(eval_bytes, ImportOptions(metric="refund_accuracy")).records[0]["metric"] == (
        "refund_accuracy"
    )


def test_eval_and_json_log_of_the_same_task_hash_the_same_dataset(
    eval_bytes, inspect_json_bytes, eval_header, inspect_log
) -> None:
    from_eval = inspect_ai.parse(eval_bytes, ImportOptions())
    from_json = inspect_ai.parse(inspect_json_bytes, ImportOptions())
    assert from_eval.records[0]["measurement"] == from_json.records[0]["measurement"]
    assert from_eval.run_id != from_json.run_id  # two separate runs
    assert eval_header["eval"]["eval_id"] != inspect_log["eval"]["eval_id"]


def test_eval_archive_with_deflated_entries_is_read_too(eval_bytes, eval_header) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("header.json", json.dumps(eval_header))
        archive.writestr("summaries.json", json.dumps(eval_entry(eval_bytes, "summaries.json")))
    record = inspect_ai.parse(buffer.getvalue(), ImportOptions()).records[0]
    assert (record["successes"], record["trials"]) == (9, 12)


def test_truncated_eval_archive_is_refused(eval_bytes) -> None:
    with pytest.raises(ImportError_, match=r"Not a readable \.eval archive"):
        inspect_ai.parse(eval_bytes[:1000], ImportOptions())


def test_eval_archive_without_header_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("summaries.json", "[]")
        archive.writestr("_journal/start.json", "{}")
    with pytest.raises(ImportError_, match=r"has no header\.json"):
        inspect_ai.parse(buffer.getvalue(), ImportOptions())


def test_eval_archive_with_a_header_that_is_not_json_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("header.json", "this is not json")
    with pytest.raises(ImportError_, match=r"header\.json is not JSON"):
        inspect_ai.parse(buffer.getvalue(), ImportOptions())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"hello": "world"}', "no eval.task"),
        (b'{"eval": {"dataset": {}}}', "no eval.task"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b"not json at all", "invalid JSON"),
        (b"", "invalid JSON"),
    ],
    ids=["other-object", "no-task", "array", "not-json", "empty"],
)
def test_json_that_is_not_an_inspect_log_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(ImportError_, match=message) as caught:
        inspect_ai.parse(data, ImportOptions())
    assert "Not an Inspect log" in str(caught.value)


def test_unfinished_or_unscored_inspect_runs_are_refused(inspect_log) -> None:
    failed = {**inspect_log, "status": "error"}
    with pytest.raises(ImportError_, match="did not finish"):
        inspect_ai.parse(json.dumps(failed).encode(), ImportOptions())
    unscored = {**inspect_log, "results": {"scores": []}}
    with pytest.raises(ImportError_, match="nothing was scored"):
        inspect_ai.parse(json.dumps(unscored).encode(), ImportOptions())


# --- promptfoo ------------------------------------------------------------------------------------------


def test_promptfoo_results_give_a_pass_rate_and_a_latency_record(promptfoo_bytes, promptfoo_doc) -> None:
    results = promptfoo_doc["results"]
    rows = results["results"]

    parsed = promptfoo.parse(promptfoo_bytes, ImportOptions())

    assert parsed.tool == "promptfoo"
    assert parsed.tool_version == promptfoo_doc["metadata"]["promptfooVersion"] == "0.121.20"
    assert parsed.run_id == promptfoo_doc["evalId"] == "eval-YId-2026-11-26T12:11:15"
    assert parsed.task == promptfoo_doc["config"]["description"]
    by_metric = {r["metric"]: r for r in parsed.records}
    assert set(by_metric) == {"assertion_pass", "latency_ms"}
    passes = by_metric["assertion_pass"]
    assert (passes["successes"], passes["trials"]) == (sum(r["success"] for r in rows), len(rows)) == (7, 10)
    assert (passes["successes"], passes["trials"]) == (results["stats"]["successes"], 10)
    latency = by_metric["latency_ms"]
    assert latency["values"] == [float(r["latencyMs"]) for r in rows]
    assert len(latency["values"]) == 10
    assert _time(passes["observed_from"]) == _time(results["timestamp"])
    assert _time(passes["observed_to"]) == _time(results["timestamp"]) + timedelta(
        milliseconds=results["stats"]["durationMs"]
    )
    assert passes["measurement"]["scorer"] == "promptfoo-assertions"
    assert len(passes["measurement"]["dataset_hash"]) == 64
    assert parsed.dataset == passes["measurement"]["dataset_hash"][:16]
    assert passes["payload"]["stats"] == {"successes": 7, "failures": 3, "errors": 0}
    assert passes["payload"]["provider"] == "echo"


def test_promptfoo_metric_option_renames_the_pass_rate_only(promptfoo_bytes) -> None:
    metrics = {r["metric"] for r in promptfoo.parse(promptfoo_bytes, ImportOptions(metric="task_success")).records}
    assert metrics == {"task_success", "latency_ms"}


def test_promptfoo_errors_count_as_failures(promptfoo_doc) -> None:
    document = copy.deepcopy(promptfoo_doc)
    document["results"]["results"][0]["success"] = None  # an error row
    record = promptfoo.parse(json.dumps(document).encode(), ImportOptions()).records[0]
    assert (record["successes"], record["trials"]) == (6, 10)


@pytest.mark.parametrize(
    ("results", "message"),
    [
        (None, "no results.results list"),
        ({"stats": {}}, "no results.results list"),
        ({"results": "many"}, "no results.results list"),
        ({"results": []}, "holds no test results"),
    ],
    ids=["no-results", "no-list", "not-a-list", "empty"],
)
def test_promptfoo_file_without_results_is_refused(promptfoo_doc, results, message: str) -> None:
    document = {k: v for k, v in promptfoo_doc.items() if k != "results"}
    if results is not None:
        document["results"] = results
    with pytest.raises(ImportError_, match=message):
        promptfoo.parse(json.dumps(document).encode(), ImportOptions())


def test_promptfoo_invalid_json_and_bad_timestamp_are_refused(promptfoo_doc) -> None:
    with pytest.raises(ImportError_, match="invalid JSON"):
        promptfoo.parse(b"{", ImportOptions())
    document = copy.deepcopy(promptfoo_doc)
    document["results"]["timestamp"] = "yesterday"
    with pytest.raises(ImportError_, match="Unreadable timestamp"):
        promptfoo.parse(json.dumps(document).encode(), ImportOptions())


def test_importer_registry_names_the_four_formats() -> None:
    assert set(importers()) == {"inspect", "promptfoo", "jsonl", "csv"}


# --- generic JSONL ----------------------------------------------------------------------------------------


def test_jsonl_reads_one_record_per_line_and_skips_blank_lines() -> None:
    data = jsonl(wire_line(), "", "   ", wire_line(metric="latency_ms", successes=None, trials=None, values=[1, 2]))
    parsed = generic.parse_jsonl(data, ImportOptions())
    assert parsed.tool == "jsonl"
    assert [r["metric"] for r in parsed.records] == ["task_success", "latency_ms"]
    assert all(r["visibility"] == "public" for r in parsed.records)
    assert parsed.records[0]["successes"] == 57


def test_jsonl_options_set_defaults_and_metric() -> None:
    data = jsonl(wire_line(), wire_line(visibility="public"))
    parsed = generic.parse_jsonl(data, ImportOptions(metric="refund_success", visibility="restricted"))
    assert [r["metric"] for r in parsed.records] == ["refund_success", "refund_success"]
    assert [r["visibility"] for r in parsed.records] == ["restricted", "public"]  # an explicit one is kept


def test_jsonl_with_a_utf8_bom_is_read() -> None:
    parsed = generic.parse_jsonl(b"\xef\xbb\xbf" + jsonl(wire_line()), ImportOptions())
    assert len(parsed.records) == 1


def test_jsonl_bad_lines_are_named_by_their_line_number() -> None:
    data = jsonl(wire_line(), "", '{"kind": "telemetry",', "[1, 2]", '{"value": NaN}')
    with pytest.raises(ImportError_, match=r"3 line\(s\) could not be read") as caught:
        generic.parse_jsonl(data, ImportOptions())
    errors = {e["field"]: e for e in caught.value.errors}
    assert set(errors) == {"line 3", "line 4", "line 5"}
    assert errors["line 3"]["message"].startswith("Invalid JSON")
    assert errors["line 3"]["code"] == "parse_error"
    assert errors["line 4"]["message"] == "Expected a JSON object."
    assert "NaN" in errors["line 5"]["message"]


def test_jsonl_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(ImportError_, match="not UTF-8"):
        generic.parse_jsonl(b'{"metric": "\xff"}', ImportOptions())


def test_jsonl_line_with_a_raw_unicode_line_separator_in_a_string_is_one_record() -> None:
    line = json.dumps(wire_line(payload={"note": "first\u2028second"}), ensure_ascii=False)
    assert "\u2028" in line
    parsed = generic.parse_jsonl(line.encode() + b"\n", ImportOptions())
    assert parsed.records[0]["payload"] == {"note": "first\u2028second"}


# --- generic CSV -------------------------------------------------------------------------------------------

CSV_HEADER = (
    "kind,metric,value,values,successes,trials,observed_from,observed_to,"
    "source_tool,source_version,visibility,task,task_version,dataset_hash,scorer"
)
FROM, TO = "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"


def test_csv_reads_each_measurement_shape() -> None:
    data = "\n".join(
        [
            CSV_HEADER,
            f"telemetry,task_success,,,57,60,{FROM},{TO},prod,1.4,restricted,refunds,2,{'a' * 64},exact",
            f"eval_run,latency_ms,,812.5;1040;390.25,,,{FROM},{TO},,,,,,,",
            f",uptime,0.999,,,,{FROM},{TO},,,,,,,",
        ]
    ).encode()
    parsed = generic.parse_csv(data, ImportOptions())
    assert parsed.tool == "csv"
    counts, values, value = parsed.records
    assert counts == {
        "kind": "telemetry",
        "metric": "task_success",
        "observed_from": FROM,
        "observed_to": TO,
        "successes": 57,
        "trials": 60,
        "source": {"tool": "prod", "version": "1.4"},
        "measurement": {"task": "refunds", "task_version": "2", "dataset_hash": "a" * 64, "scorer": "exact"},
        "visibility": "restricted",
    }
    assert values["values"] == [812.5, 1040.0, 390.25]
    assert "source" not in values and "measurement" not in values
    assert values["visibility"] == "public"
    assert value["value"] == 0.999
    assert value["kind"] == "eval_run"  # ImportOptions().kind when the column is empty


def test_csv_with_only_the_required_columns_and_options() -> None:
    data = f"metric,observed_from,observed_to,value\nuptime,{FROM},{TO},1\n".encode()
    options = ImportOptions(metric="availability", visibility="restricted", kind="telemetry")
    [record] = generic.parse_csv(data, options).records
    assert record["metric"] == "availability"
    assert record["visibility"] == "restricted"
    assert record["kind"] == "telemetry"


def test_csv_non_numbers_are_named_by_their_line() -> None:
    data = "\n".join(
        [
            "kind,metric,value,successes,trials,observed_from,observed_to",
            f"telemetry,uptime,0.5,,,{FROM},{TO}",
            f"telemetry,uptime,abc,,,{FROM},{TO}",
            f"telemetry,task_success,,3.5,4,{FROM},{TO}",
        ]
    ).encode()
    with pytest.raises(ImportError_, match=r"2 row\(s\) could not be read") as caught:
        generic.parse_csv(data, ImportOptions())
    errors = caught.value.errors
    assert [e["field"] for e in errors] == ["line 3", "line 4"]
    assert "abc" in errors[0]["message"] and errors[0]["message"].startswith("Not a number")
    assert "3.5" in errors[1]["message"]


def test_csv_line_numbers_count_physical_lines() -> None:
    data = f'metric,value,observed_from,observed_to,scorer\nuptime,1,{FROM},{TO},"two\nlines"\nuptime,x,{FROM},{TO},s\n'
    with pytest.raises(ImportError_) as caught:
        generic.parse_csv(data.encode(), ImportOptions())
    assert [e["field"] for e in caught.value.errors] == ["line 4"]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("kind,metric,value,observed_from", "observed_to"),
        ("kind,value,observed_to", "metric, observed_from"),
        ("", "metric, observed_from, observed_to"),
    ],
)
def test_csv_missing_a_required_column_is_refused(header: str, missing: str) -> None:
    data = f"{header}\n".encode() if header else b""
    with pytest.raises(ImportError_, match=f"The CSV header lacks: {missing}."):
        generic.parse_csv(data, ImportOptions())


# --- the import service --------------------------------------------------------------------------------------

needs_db = pytest.mark.django_db


@needs_db
def test_import_inspect_json_stores_the_records(agent, vendor, inspect_json_bytes, inspect_log) -> None:
    evaluation = inspect_log["eval"]
    imported, created = services.evidence_import(
        agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor, filename="refund_policy_eval.json"
    )
    assert created is True
    file_sha = hashlib.sha256(inspect_json_bytes).hexdigest()
    assert imported.file_sha256 == file_sha
    assert (imported.format, imported.tool, imported.tool_version) == ("inspect", "inspect_ai", "0.3.285")
    assert imported.task == "refund_policy_eval v1"
    assert imported.dataset == "refund_policy_qa"
    assert imported.run_id == evaluation["eval_id"]
    assert imported.record_count == 1
    assert imported.filename == "refund_policy_eval.json"
    assert imported.submitted_by == vendor

    record = EvidenceRecord.objects.get()
    assert record.agent == agent
    assert record.evidence_import == imported
    assert (record.successes, record.trials, record.sample_count) == (9, 12, 12)
    assert record.value is None and record.values is None
    assert record.measured == 0.75
    assert record.metric == "match"
    assert record.kind == "eval_run"
    assert record.visibility == "public"
    assert (record.source_tool, record.source_version) == ("inspect_ai", "0.3.285")
    assert record.task_name == "refund_policy_eval"
    assert record.task_version == "1"
    assert record.scorer == "match"
    assert record.dataset_hash == inspect_ai.dataset_hash(evaluation["dataset"])
    assert record.observed_from == _time(inspect_log["stats"]["started_at"])
    assert record.observed_to == _time(inspect_log["stats"]["completed_at"])
    assert record.payload["import"] == {
        "format": "inspect",
        "file_sha256": file_sha,
        "filename": "refund_policy_eval.json",
    }
    assert record.payload["eval_id"] == evaluation["eval_id"]
    assert record.submitted_by == vendor
    assert len(record.canonical_hash) == 64


@needs_db
def test_import_promptfoo_stores_pass_rate_and_latency(agent, vendor, promptfoo_bytes, promptfoo_doc) -> None:
    imported, created = services.evidence_import(
        agent=agent, data=promptfoo_bytes, fmt="promptfoo", user=vendor, filename="results.json"
    )
    assert created is True
    assert imported.record_count == 2
    assert (imported.tool, imported.tool_version, imported.run_id) == ("promptfoo", "0.121.20", promptfoo_doc["evalId"])
    records = {r.metric: r for r in EvidenceRecord.objects.filter(evidence_import=imported)}
    assert set(records) == {"assertion_pass", "latency_ms"}
    assert (records["assertion_pass"].successes, records["assertion_pass"].trials) == (7, 10)
    assert records["latency_ms"].values == [float(r["latencyMs"]) for r in promptfoo_doc["results"]["results"]]
    assert records["latency_ms"].sample_count == 10
    for record in records.values():
        assert (record.source_tool, record.source_version) == ("promptfoo", "0.121.20")
        assert record.payload["import"]["file_sha256"] == hashlib.sha256(promptfoo_bytes).hexdigest()
        assert record.task_name == "Refund policy assistant (importer fixture)"


@needs_db
def test_import_eval_archive_stores_the_same_numbers(agent, vendor, eval_bytes, eval_header) -> None:
    imported, created = services.evidence_import(agent=agent, data=eval_bytes, fmt="inspect", user=vendor)
    assert created is True
    record = imported.records.get()
    assert (record.successes, record.trials) == (9, 12)
    assert record.payload["log_format"] == "eval"
    assert record.payload["import"]["file_sha256"] == hashlib.sha256(eval_bytes).hexdigest()
    assert record.payload["import"]["filename"] == ""
    assert imported.run_id == eval_header["eval"]["eval_id"]


@needs_db
def test_import_options_reach_the_records(agent, vendor, inspect_json_bytes) -> None:
    options = ImportOptions(metric="refund_accuracy", visibility="restricted")
    services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor, options=options)
    record = EvidenceRecord.objects.get()
    assert (record.metric, record.visibility) == ("refund_accuracy", "restricted")


@needs_db
def test_importing_the_same_file_twice_adds_nothing(agent, vendor, inspect_json_bytes) -> None:
    first, created = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    assert created is True
    again, created = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    assert created is False
    assert again.pk == first.pk
    assert EvidenceImport.objects.count() == 1
    assert EvidenceRecord.objects.count() == 1


@needs_db
def test_the_same_run_from_another_file_adds_nothing(agent, vendor, inspect_json_bytes, inspect_log) -> None:
    first, _ = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    reserialized = json.dumps(inspect_log, indent=1).encode()  # other bytes, same eval_id
    assert hashlib.sha256(reserialized).hexdigest() != first.file_sha256
    again, created = services.evidence_import(agent=agent, data=reserialized, fmt="inspect", user=vendor)
    assert created is False
    assert again.pk == first.pk
    assert EvidenceRecord.objects.count() == 1


@needs_db
def test_eval_archive_of_another_run_after_the_json_log_adds_records(
    agent, vendor, inspect_json_bytes, eval_bytes
) -> None:
    from_json, created_json = services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    from_eval, created_eval = services.evidence_import(agent=agent, data=eval_bytes, fmt="inspect", user=vendor)
    assert created_json is True and created_eval is True
    assert from_json.run_id != from_eval.run_id
    assert EvidenceImport.objects.count() == 2
    assert EvidenceRecord.objects.count() == 2
    assert {r.payload["log_format"] for r in EvidenceRecord.objects.all()} == {"json", "eval"}


@needs_db
def test_the_same_file_may_be_imported_for_another_agent(agent, vendor, inspect_json_bytes) -> None:
    from pacts import services as pact_services

    other = pact_services.agent_create(user=vendor, name="Claims Bot", slug="claims-bot", consequence_level="low")
    services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)
    _, created = services.evidence_import(agent=other, data=inspect_json_bytes, fmt="inspect", user=vendor)
    assert created is True
    assert EvidenceRecord.objects.filter(agent=other).count() == 1


@needs_db
def test_import_generic_jsonl_and_csv(agent, vendor) -> None:
    end = timezone.now() - timedelta(hours=1)
    start = end - timedelta(days=1)
    record = wire_line(observed_from=start.isoformat(), observed_to=end.isoformat())
    imported, _ = services.evidence_import(agent=agent, data=jsonl(record, record), fmt="jsonl", user=vendor)
    assert (imported.tool, imported.record_count, imported.run_id) == ("jsonl", 2, "")
    csv_data = f"metric,value,observed_from,observed_to\nuptime,0.99,{start.isoformat()},{end.isoformat()}\n"
    imported, _ = services.evidence_import(agent=agent, data=csv_data.encode(), fmt="csv", user=vendor)
    assert imported.record_count == 1
    stored = imported.records.get()
    assert (stored.metric, stored.value, stored.source_tool) == ("uptime", 0.99, "csv")


@needs_db
def test_unknown_format_is_refused(agent, vendor, inspect_json_bytes) -> None:
    with pytest.raises(ImportInvalid, match="Unknown format 'nope'") as caught:
        services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="nope", user=vendor)
    assert caught.value.field == "format"
    assert caught.value.status == 400
    assert EvidenceImport.objects.count() == 0


@needs_db
def test_unparseable_file_is_an_import_error_and_stores_nothing(agent, vendor, eval_bytes) -> None:
    with pytest.raises(ImportInvalid, match=r"Not a readable \.eval archive") as caught:
        services.evidence_import(agent=agent, data=eval_bytes[:1000], fmt="inspect", user=vendor)
    assert caught.value.errors[0]["field"] == "file"
    with pytest.raises(ImportInvalid) as caught:
        services.evidence_import(agent=agent, data=jsonl(wire_line(), "{oops"), fmt="jsonl", user=vendor)
    assert caught.value.errors[0]["field"] == "line 2"
    assert EvidenceImport.objects.count() == 0
    assert EvidenceRecord.objects.count() == 0


@needs_db
def test_import_with_one_invalid_record_stores_nothing(agent, vendor) -> None:
    end = (timezone.now() - timedelta(hours=1)).isoformat()
    good = wire_line(observed_from=end, observed_to=end)
    bad = wire_line(observed_from=end, observed_to=end, metric="Not A Metric")
    with pytest.raises(EvidenceInvalid) as caught:
        services.evidence_import(agent=agent, data=jsonl(good, bad), fmt="jsonl", user=vendor)
    assert caught.value.errors[0]["field"] == "1.metric"
    assert EvidenceImport.objects.count() == 0
    assert EvidenceRecord.objects.count() == 0


@needs_db
def test_import_of_an_empty_jsonl_is_refused(agent, vendor) -> None:
    with pytest.raises(ImportInvalid, match="no results"):
        services.evidence_import(agent=agent, data=b"\n\n", fmt="jsonl", user=vendor)


@needs_db
def test_import_larger_than_the_limit_is_refused(agent, vendor, settings, inspect_json_bytes) -> None:
    settings.EVIDENCE_IMPORT_MAX_BYTES = 1000
    with pytest.raises(PayloadTooLarge):
        services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=vendor)


@needs_db
@pytest.mark.parametrize("who", ["buyer", "vendor_b", "outsider"])
def test_others_cannot_import_into_the_agent(agent, request, who, inspect_json_bytes) -> None:
    user = request.getfixturevalue(who)
    with pytest.raises(Forbidden, match="vendor organization"):
        services.evidence_import(agent=agent, data=inspect_json_bytes, fmt="inspect", user=user)
    assert EvidenceImport.objects.count() == 0


# --- the import API --------------------------------------------------------------------------------------------
#
# ``?format=`` is also Django REST framework's URL_FORMAT_OVERRIDE; the import view's content negotiation
# ignores it (``test_api_format_parameter_reaches_the_importer`` runs with the real settings).

API = "/api/v1/agents/refund-bot/evidence/import/"


def upload(path: Path, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes() if data is None else data)


@pytest.fixture
def no_drf_format_override(settings) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "URL_FORMAT_OVERRIDE": None}


@needs_db
@pytest.mark.parametrize(
    ("query", "path", "status"),
    [
        ("format=inspect", INSPECT_JSON, 201),
        ("format=promptfoo", PROMPTFOO_JSON, 201),
        ("format=nope", INSPECT_JSON, 400),
        ("format=inspect", None, 400),
    ],
    ids=["inspect", "promptfoo", "unknown-format", "no-file"],
)
def test_api_format_parameter_reaches_the_importer(agent, vendor, bearer, query, path, status) -> None:
    data = {"file": upload(path)} if path else {}
    response = bearer(vendor).post(f"{API}?{query}", data, format="multipart")
    assert response.status_code == status, response.content


@needs_db
def test_api_format_json_passes_drf_negotiation_but_is_no_import_format(agent, vendor, bearer) -> None:
    """The one ?format= value DRF lets through (documents the bug above from the other side)."""
    response = bearer(vendor).post(f"{API}?format=json", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_import"


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_imports_an_inspect_log_once(agent, vendor, bearer, inspect_log) -> None:
    client = bearer(vendor)
    response = client.post(f"{API}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["record_count"] == 1
    assert body["tool"] == "inspect_ai" and body["tool_version"] == "0.3.285"
    assert body["run_id"] == inspect_log["eval"]["eval_id"]
    assert body["filename"] == "refund_policy_eval.json"
    assert body["file_sha256"] == hashlib.sha256(INSPECT_JSON.read_bytes()).hexdigest()
    record = EvidenceRecord.objects.get()
    assert record.submitted_token == client.token.token
    assert record.evidence_import_id == body["id"]

    again = client.post(f"{API}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["id"] == body["id"]
    assert EvidenceRecord.objects.count() == 1


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_imports_an_eval_archive(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{API}?format=inspect", {"file": upload(INSPECT_EVAL)}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["record_count"] == 1


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_imports_promptfoo_with_options(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(
        f"{API}?format=promptfoo&metric=refund_pass&visibility=restricted",
        {"file": upload(PROMPTFOO_JSON)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert response.json()["record_count"] == 2
    assert response.json()["tool"] == "promptfoo"
    assert set(EvidenceRecord.objects.values_list("metric", flat=True)) == {"refund_pass", "latency_ms"}
    assert set(EvidenceRecord.objects.values_list("visibility", flat=True)) == {"restricted"}


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_without_a_file_is_a_problem_naming_file(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{API}?format=inspect", {}, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400
    assert [e["field"] for e in body["errors"]] == ["file"]


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_with_an_unknown_format_is_400(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(f"{API}?format=nope", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid_import"
    assert "nope" in body["detail"]
    assert body["errors"][0]["field"] == "format"
    assert EvidenceImport.objects.count() == 0


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_of_a_broken_file_is_400_naming_the_problem(agent, vendor, bearer, eval_bytes) -> None:
    broken = upload(INSPECT_EVAL, eval_bytes[:1000])
    response = bearer(vendor).post(f"{API}?format=inspect", {"file": broken}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_import"
    assert "Not a readable .eval archive" in body["detail"]
    assert body["errors"][0]["field"] == "file"


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_with_a_bad_visibility_is_400(agent, vendor, bearer) -> None:
    response = bearer(vendor).post(
        f"{API}?format=inspect&visibility=secret", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "visibility"


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
@pytest.mark.parametrize("who", ["buyer", "vendor_b"])
def test_api_import_by_others_is_403_with_the_reason(agent, request, who, bearer) -> None:
    response = bearer(request.getfixturevalue(who)).post(
        f"{API}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert "vendor organization" in response.json()["detail"]  # the permission's refusal, not DRF's
    assert EvidenceImport.objects.count() == 0


@needs_db
@pytest.mark.parametrize("who", ["buyer", "vendor_b"])
def test_api_import_by_others_is_403_with_default_settings(agent, request, who, bearer) -> None:
    response = bearer(request.getfixturevalue(who)).post(
        f"{API}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert response.status_code == 403
    assert EvidenceImport.objects.count() == 0


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_needs_authentication_and_a_writable_token(agent, vendor, bearer, api_client) -> None:
    anonymous = api_client.post(f"{API}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert anonymous.status_code == 401
    read_only = bearer(vendor, read_only=True).post(
        f"{API}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert read_only.status_code == 403
    assert EvidenceImport.objects.count() == 0


@needs_db
@pytest.mark.usefixtures("no_drf_format_override")
def test_api_import_with_a_token_scoped_to_another_agent_is_403(agent, vendor) -> None:
    from rest_framework.test import APIClient

    from pacts import services as pact_services

    other = pact_services.agent_create(user=vendor, name="Claims Bot", slug="claims-bot", consequence_level="low")
    issued = services.ingest_token_create(user=vendor, name="claims CI", agents=[other])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    response = client.post(f"{API}?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart")
    assert response.status_code == 403
    assert response.json()["code"] == "token_scope"
    ok = client.post(
        "/api/v1/agents/claims-bot/evidence/import/?format=inspect", {"file": upload(INSPECT_JSON)}, format="multipart"
    )
    assert ok.status_code == 201
