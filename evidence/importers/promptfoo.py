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
import json
from datetime import datetime, timedelta
from typing import Any

from evidence.importers import ImportError_, ImportOptions, Parsed
from trustcore import jcs


def parse(data: bytes, options: ImportOptions) -> Parsed:
    try:
        document = json.loads(data)
    except ValueError as error:
        raise ImportError_(f"Not a promptfoo results file: invalid JSON ({error}).") from None
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, dict) or not isinstance(results.get("results"), list):
        raise ImportError_("Not a promptfoo results file: no results.results list.")
    rows = results["results"]
    if not rows:
        raise ImportError_("The results file holds no test results.")
    stats = results.get("stats") or {}
    config = document.get("config") or {}
    version = str((document.get("metadata") or {}).get("promptfooVersion", ""))
    started = _parse_time(results.get("timestamp") or (document.get("metadata") or {}).get("evaluationCreatedAt"))
    finished = started + timedelta(milliseconds=float(stats.get("durationMs") or 0))
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


def _parse_time(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise ImportError_("The results file has no timestamp.")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ImportError_(f"Unreadable timestamp {raw!r}.") from None


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
