"""Inspect AI eval logs: the JSON log (``--log-format json``) and the ``.eval`` archive.

Fields read (Inspect's documented log schema; fixtures made with inspect-ai, see
tests/fixtures/README.md): ``eval`` (task, task_version, dataset, model, eval_id,
run_id), ``results.scores[]`` (name, scorer, metrics), ``stats`` (started_at,
completed_at) and each sample's ``scores``. A ``.eval`` file is a ZIP whose
entries are Zstandard-compressed (method 93), which Python's ``zipfile`` cannot
inflate: we read ``header.json`` and ``summaries.json`` ourselves.

One record per scorer: successes of trials when the scores are C/I, else the
per-sample values. The dataset's identity (name, location, sample count and
ids) is hashed so a clause can pre-register it.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from typing import Any

from evidence.importers import ImportError_, ImportOptions, Parsed
from trust_portal.sanitise import InputRefused, loads_json
from trustcore import jcs

ZSTD_METHOD = 93
MAX_ENTRY_BYTES = 64 * 1024 * 1024  # refuse zip bombs
VALUE_TO_FLOAT = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}


def dataset_hash(dataset: dict[str, Any]) -> str:
    identity = {k: dataset.get(k) for k in ("name", "location", "samples", "sample_ids")}
    return hashlib.sha256(jcs.dumps(identity)).hexdigest()


def _read_entry(archive: zipfile.ZipFile, raw: bytes, name: str) -> Any:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ImportError_(f"The .eval archive has no {name}.") from None
    if info.file_size > MAX_ENTRY_BYTES:
        raise ImportError_(f"{name} is too large ({info.file_size:,} bytes).")
    if info.compress_type == ZSTD_METHOD:
        import zstandard

        offset = info.header_offset
        signature, *_, name_length, extra_length = struct.unpack("<IHHHHHIIIHH", raw[offset : offset + 30])
        if signature != 0x04034B50:
            raise ImportError_(f"{name}: corrupt local header.")
        start = offset + 30 + name_length + extra_length
        try:
            data = zstandard.ZstdDecompressor().decompress(
                raw[start : start + info.compress_size], max_output_size=info.file_size
            )
        except zstandard.ZstdError as error:
            raise ImportError_(f"{name}: cannot decompress ({error}).") from None
    else:
        data = archive.read(info)
    try:
        return loads_json(data)
    except InputRefused as refused:
        raise _refusal(name, refused) from None
    except ValueError as error:
        raise ImportError_(f"{name} is not JSON ({error}).") from None


def _refusal(name: str, refused: InputRefused) -> ImportError_:
    where = f"{name}: {refused.field}" if refused.field else name
    return ImportError_(
        f"{where}: {refused.message}", [{"field": where, "message": refused.message, "code": refused.code}]
    )


def _load(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """(header, sample summaries, log format) from either kind of file."""
    if data[:4] == b"PK\x03\x04":
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as error:
            raise ImportError_(f"Not a readable .eval archive: {error}.") from None
        header = _read_entry(archive, data, "header.json")
        summaries = _read_entry(archive, data, "summaries.json") if "summaries.json" in archive.namelist() else []
        return header, summaries, "eval"
    try:
        log = loads_json(data)
    except InputRefused as refused:
        raise _refusal("log", refused) from None
    except ValueError as error:
        raise ImportError_(f"Not an Inspect log: invalid JSON ({error}).") from None
    if not isinstance(log, dict):
        raise ImportError_("Not an Inspect log: expected a JSON object.")
    return log, log.get("samples") or [], "json"


def parse(data: bytes, options: ImportOptions) -> Parsed:
    header, samples, log_format = _load(data)
    if not isinstance(header, dict) or not isinstance(samples, list):
        raise ImportError_("Not an Inspect log: expected a JSON object with a list of samples.")
    evaluation = header.get("eval")
    results = header.get("results") or {}
    stats = header.get("stats") or {}
    if not isinstance(evaluation, dict) or not evaluation.get("task") or not isinstance(evaluation["task"], str):
        raise ImportError_(
            "Not an Inspect log: no eval.task.", [{"field": "eval.task", "message": "Required.", "code": "required"}]
        )
    if header.get("status") not in (None, "success"):
        raise ImportError_(
            f"The eval did not finish (status {header.get('status')!r}); only successful runs are evidence."
        )
    scores = results.get("scores") or []
    if not scores:
        raise ImportError_("The log has no results.scores: nothing was scored.")
    dataset = evaluation.get("dataset") or {}
    started = stats.get("started_at") or evaluation.get("created")
    completed = stats.get("completed_at") or started
    task_version = str(evaluation.get("task_version", ""))
    version = str((evaluation.get("packages") or {}).get("inspect_ai", ""))
    records = []
    for score in scores:
        name = score.get("name") or score.get("scorer")
        per_sample = [
            s["scores"][name]["value"] for s in samples if isinstance(s.get("scores"), dict) and name in s["scores"]
        ]
        record: dict[str, Any] = {
            "kind": options.kind,
            "metric": options.metric or _metric_name(name),
            "observed_from": started,
            "observed_to": completed,
            "visibility": options.visibility,
            "measurement": {
                "task": evaluation["task"],
                "task_version": task_version,
                "dataset_hash": dataset_hash(dataset),
                "scorer": score.get("scorer") or name,
            },
            "payload": {
                "eval_id": evaluation.get("eval_id"),
                "run_id": evaluation.get("run_id"),
                "model": evaluation.get("model"),
                "dataset": dataset.get("name"),
                "metrics": {k: m.get("value") for k, m in (score.get("metrics") or {}).items()},
                "log_format": log_format,
            },
        }
        if per_sample and all(v in ("C", "I") for v in per_sample):
            record["successes"] = sum(v == "C" for v in per_sample)
            record["trials"] = len(per_sample)
        elif per_sample:
            record["values"] = [_sample_value(name, v) for v in per_sample]
        else:  # no per-sample scores kept: fall back to the headline metric as one value
            accuracy = (score.get("metrics") or {}).get("accuracy", {}).get("value")
            if accuracy is None:
                raise ImportError_(f"Scorer {name!r} has neither sample scores nor an accuracy metric.")
            record["value"] = float(accuracy)
        records.append(record)
    return Parsed(
        tool="inspect_ai",
        tool_version=version,
        task=f"{evaluation['task']} v{task_version}" if task_version else evaluation["task"],
        dataset=str(dataset.get("name") or ""),
        run_id=str(evaluation.get("eval_id") or ""),
        records=records,
    )


def _sample_value(scorer: str, value: Any) -> float:
    """Inspect's value_to_float for the values we accept: C/I/P/N letters, numbers and booleans."""
    if isinstance(value, str):
        if value in VALUE_TO_FLOAT:
            return VALUE_TO_FLOAT[value]
        try:
            return float(value)
        except ValueError:
            pass
    elif isinstance(value, bool):
        return 1.0 if value else 0.0
    elif isinstance(value, (int, float)):
        return float(value)
    raise ImportError_(
        f"Scorer {scorer!r} gives a sample a {type(value).__name__} score ({str(value)[:60]}); "
        "only C/I/P/N or numbers can become evidence. Import it with a scorer that reduces to a number."
    )


def _metric_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_." else "_" for c in name.lower()).strip("_") or "score"
    return cleaned if cleaned[0].isalpha() else f"m_{cleaned}"
