"""Importers of evaluation-tool result files (evidence.importers): the pure parsers of Inspect AI logs,
promptfoo results and generic JSONL/CSV.

The Inspect AI and promptfoo fixtures are real tool output (see tests/fixtures/README.md); the
expected numbers are read from the files themselves wherever that is possible.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest

from evidence.importers import ImportError_, ImportOptions, generic, importers, inspect_ai, promptfoo
from tests.evidence.files import ZSTD, eval_entry, jsonl, wire_line


def _time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


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
