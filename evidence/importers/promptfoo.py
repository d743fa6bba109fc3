"""promptfoo results (``promptfoo eval -o results.json``).

Fields read: ``evalId``, ``metadata.promptfooVersion``, ``config.description``
and ``config.tests`` (hashed as the dataset's identity), ``results.timestamp``,
``results.stats`` (successes, failures, errors, durationMs) and each
``results.results[]`` (``success``, ``latencyMs``, ``provider``). One pass-rate
record per provider (successes of tests, errors count as failures) and one
latency record with the per-test latencies.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from evidence.importers import ImportError_, ImportOptions, Parsed
from trust_portal.sanitise import InputRefused, date_time_problem, loads_json
from trustcore import jcs

MAX_DURATION_MS = 366 * 24 * 3600 * 1000  # a year: an eval that ran longer is a corrupt file


def parse(data: bytes, options: ImportOptions) -> Parsed:
    try:
        document = loads_json(data)
    except InputRefused as refused:
        where = refused.field or "results file"
        raise ImportError_(
            f"{where}: {refused.message}", [{"field": where, "message": refused.message, "code": refused.code}]
        ) from None
    except ValueError as error:
        raise ImportError_(f"Not a promptfoo results file: invalid JSON ({error}).") from None
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict) or not isinstance(results.get("results"), list):
        raise ImportError_("Not a promptfoo results file: no results.results list.")
    rows = [row for row in results["results"] if isinstance(row, dict)]
    if not rows:
        raise ImportError_("The results file holds no test results.")
    stats, config, metadata = (
        _object(part) for part in (results.get("stats"), document.get("config"), document.get("metadata"))
    )
    version = str(metadata.get("promptfooVersion", ""))
    started = _parse_time(results.get("timestamp") or metadata.get("evaluationCreatedAt"))
    duration = stats.get("durationMs") or 0
    if not isinstance(duration, (int, float)) or not 0 <= duration <= MAX_DURATION_MS:
        raise ImportError_(f"results.stats.durationMs: expected milliseconds between 0 and {MAX_DURATION_MS:.0f}.")
    try:
        finished = started + timedelta(milliseconds=duration)
    except OverflowError:
        raise ImportError_("results.stats.durationMs: the run would end after the year 9999.") from None
    tests = config.get("tests") or []
    dataset = hashlib.sha256(jcs.dumps(tests)).hexdigest() if tests else ""
    task = str(config.get("description") or "promptfoo eval")[:200]

    by_provider: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        provider = row.get("provider") or {}
        key = provider.get("label") or provider.get("id") or "provider" if isinstance(provider, dict) else str(provider)
        by_provider.setdefault(str(key), []).append(row)

    measurement = {"task": task, "task_version": version, "scorer": "promptfoo-assertions"}
    if dataset:
        measurement["dataset_hash"] = dataset
    records = []
    for provider, provider_rows in sorted(by_provider.items()):
        common = {
            "kind": options.kind,
            "observed_from": _iso(started),
            "observed_to": _iso(finished),
            "visibility": options.visibility,
            "measurement": measurement,
            "payload": {
                "eval_id": document.get("evalId"),
                "provider": provider,
                "stats": {k: stats.get(k) for k in ("successes", "failures", "errors")},
            },
        }
        records.append(
            {
                **common,
                "metric": options.metric or "assertion_pass",
                "successes": sum(1 for r in provider_rows if r.get("success") is True),
                "trials": len(provider_rows),
            }
        )
        latencies = [float(r["latencyMs"]) for r in provider_rows if isinstance(r.get("latencyMs"), (int, float))]
        if latencies:
            records.append({**common, "metric": "latency_ms", "values": latencies})
    return Parsed(
        tool="promptfoo",
        tool_version=version,
        task=task,
        dataset=dataset[:16],
        run_id=str(document.get("evalId") or ""),
        records=records,
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse_time(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise ImportError_("The results file has no timestamp.")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ImportError_(f"Unreadable timestamp {raw!r}.") from None
    problem = date_time_problem(moment)
    if problem:
        raise ImportError_(f"Timestamp {raw!r}: {problem}")
    return moment


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
