"""Validation of evidence records in the wire format, written for the ingest hot path.

A hand-written checker instead of a DRF serializer: a 1,000-record batch is
validated in about a millisecond, and every problem is reported with the item
index and field (``3.successes``) so a client can fix the whole batch at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime

from trust_portal.sanitise import CONTROL_CHARACTERS, date_time_problem, text_problem, value_problem

KINDS = frozenset({"eval_run", "telemetry", "attestation", "incident_report", "document"})
VISIBILITIES = frozenset({"public", "restricted"})
METRIC_RE = re.compile(r"[a-z][a-z0-9_.]{0,62}")  # fullmatch: "$" would let a trailing newline through
SHA256_RE = re.compile(r"(sha256:)?([0-9a-f]{64})")
ALLOWED_FIELDS = frozenset(
    {
        "kind",
        "metric",
        "value",
        "values",
        "successes",
        "trials",
        "observed_from",
        "observed_to",
        "source",
        "payload",
        "visibility",
        "measurement",
        "corrects",
        "attachment",
    }
)
MAX_VALUES = 10_000
MAX_PAYLOAD_KEYS = 200
# Measured values are finite and at most 10^15 in magnitude, counts at most 10^12 trials a record: enough for
# any real measurement, and sums over a bucket's records stay exact in an IEEE double and far inside 64 bits.
MAX_MAGNITUDE = 1e15
MAX_TRIALS = 10**12
CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class CleanRecord:
    kind: str
    metric: str
    observed_from: datetime
    observed_to: datetime
    visibility: str
    value: float | None = None
    values: list[float] | None = None
    successes: int | None = None
    trials: int | None = None
    source_tool: str = ""
    source_version: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    task_name: str = ""
    task_version: str = ""
    dataset_hash: str = ""
    scorer: str = ""
    corrects: int | None = None
    attachment: dict[str, Any] | None = None
    signed_by: Any = None  # the VendorKey whose envelope signature was verified
    payload_sha256: str = ""
    envelope: dict[str, Any] | None = None

    @property
    def sample_count(self) -> int:
        if self.values is not None:
            return len(self.values)
        if self.trials is not None:
            return self.trials
        return 1

    @property
    def measurement(self) -> dict[str, str]:
        out = {
            "task": self.task_name,
            "task_version": self.task_version,
            "dataset_hash": self.dataset_hash,
            "scorer": self.scorer,
        }
        return {k: v for k, v in out.items() if v}


Problem = dict[str, str]


def _number(value: Any) -> bool:
    """A finite JSON number within ±MAX_MAGNITUDE (huge integers are refused before any float conversion)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE
    return math.isfinite(value) and -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _time(raw: Any, name: str, problems: list[Problem], prefix: str) -> datetime | None:
    if not isinstance(raw, str):
        problems.append(
            {"field": prefix + name, "message": "Expected an RFC 3339 date-time string.", "code": "invalid"}
        )
        return None
    try:
        parsed: datetime | None = datetime.fromisoformat(raw)  # C fast path; accepts Z on Python 3.11
    except ValueError:
        try:
            parsed = parse_datetime(raw)
        except ValueError:
            parsed = None
    if parsed is None:
        problems.append(
            {
                "field": prefix + name,
                "message": f"Not a date-time: {raw[:40]!r}; expected e.g. 2026-11-20T00:00:00Z.",
                "code": "invalid",
            }
        )
        return None
    if parsed.tzinfo is None:
        problems.append(
            {"field": prefix + name, "message": "The date-time needs a time zone (Z or ±hh:mm).", "code": "invalid"}
        )
        return None
    out_of_range = date_time_problem(parsed)
    if out_of_range:
        problems.append({"field": prefix + name, "message": out_of_range, "code": "date_out_of_range"})
        return None
    return parsed


def _text(raw: Any, name: str, limit: int, problems: list[Problem], prefix: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > limit:
        problems.append(
            {"field": prefix + name, "message": f"Expected a string of at most {limit} characters.", "code": "invalid"}
        )
        return ""
    if CONTROL_CHARACTERS.search(raw):
        problems.append({"field": prefix + name, "message": text_problem(raw) or "", "code": "control_character"})
        return ""
    return raw


def validate_record(raw: Any, *, now: datetime, prefix: str = "") -> tuple[CleanRecord | None, list[Problem]]:
    """One wire-format record → a clean record, or the list of problems (each naming its field)."""
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        return None, [
            {"field": prefix.rstrip("."), "message": "Expected a JSON object (one evidence record).", "code": "invalid"}
        ]
    for unknown in sorted(set(raw) - ALLOWED_FIELDS):
        problems.append({"field": prefix + unknown, "message": "Unknown field.", "code": "unknown_field"})

    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(
            {
                "field": prefix + "kind",
                "message": f"Expected one of {', '.join(sorted(KINDS))}; got {kind!r}.",
                "code": "invalid_choice",
            }
        )
    metric = raw.get("metric")
    if not isinstance(metric, str) or not METRIC_RE.fullmatch(metric):
        problems.append(
            {
                "field": prefix + "metric",
                "message": "Expected a metric name like task_success ([a-z][a-z0-9_.]*, at most 63).",
                "code": "invalid",
            }
        )

    has_value, has_values = "value" in raw, "values" in raw
    has_counts = "successes" in raw or "trials" in raw
    if has_value + has_values + has_counts != 1:
        problems.append(
            {
                "field": prefix + "value",
                "message": "Give exactly one of value, values, or successes + trials.",
                "code": "invalid",
            }
        )
    value: Any = None
    values: Any = None
    successes: Any = None
    trials: Any = None
    if has_value:
        value = raw["value"]
        if not _number(value):
            problems.append(
                {
                    "field": prefix + "value",
                    "message": f"Expected a finite number within ±{MAX_MAGNITUDE:.0e}.",
                    "code": "invalid",
                }
            )
    if has_values:
        values = raw["values"]
        if not isinstance(values, list) or not values or len(values) > MAX_VALUES:
            problems.append(
                {
                    "field": prefix + "values",
                    "message": f"Expected a list of 1 to {MAX_VALUES:,} numbers.",
                    "code": "invalid",
                }
            )
        else:
            bad = next((i for i, v in enumerate(values) if not _number(v)), None)
            if bad is not None:
                problems.append(
                    {
                        "field": f"{prefix}values.{bad}",
                        "message": f"Expected a finite number within ±{MAX_MAGNITUDE:.0e}.",
                        "code": "invalid",
                    }
                )
    if has_counts:
        successes, trials = raw.get("successes"), raw.get("trials")
        if not _integer(successes) or successes < 0:
            problems.append(
                {"field": prefix + "successes", "message": "Expected a whole number ≥ 0.", "code": "invalid"}
            )
        if not _integer(trials) or trials < 1:
            problems.append({"field": prefix + "trials", "message": "Expected a whole number ≥ 1.", "code": "invalid"})
        if _integer(successes) and _integer(trials) and trials >= 1 and successes > trials:
            problems.append(
                {
                    "field": prefix + "successes",
                    "message": f"successes ({successes}) cannot exceed trials ({trials}).",
                    "code": "invalid",
                }
            )
        if _integer(trials) and trials > MAX_TRIALS:
            problems.append(
                {"field": prefix + "trials", "message": f"At most {MAX_TRIALS:,} trials a record.", "code": "invalid"}
            )

    observed_from = _time(raw.get("observed_from"), "observed_from", problems, prefix)
    observed_to = _time(raw.get("observed_to"), "observed_to", problems, prefix)
    if observed_from and observed_to:
        if observed_to < observed_from:
            problems.append(
                {"field": prefix + "observed_to", "message": "The period ends before it starts.", "code": "invalid"}
            )
        if observed_to > now + CLOCK_SKEW:
            problems.append(
                {
                    "field": prefix + "observed_to",
                    "message": "The period ends in the future (beyond a 5-minute clock-skew allowance).",
                    "code": "invalid",
                }
            )

    source = raw.get("source") or {}
    if not isinstance(source, dict):
        problems.append(
            {"field": prefix + "source", "message": "Expected an object {tool, version}.", "code": "invalid"}
        )
        source = {}
    source_tool = _text(source.get("tool"), "source.tool", 100, problems, prefix)
    source_version = _text(source.get("version"), "source.version", 50, problems, prefix)

    payload = raw.get("payload") or {}
    if not isinstance(payload, dict) or len(payload) > MAX_PAYLOAD_KEYS:
        problems.append(
            {
                "field": prefix + "payload",
                "message": f"Expected an object with at most {MAX_PAYLOAD_KEYS} keys.",
                "code": "invalid",
            }
        )
        payload = {}
    elif payload:
        # The API's parser holds whole bodies to the input limits; this is for what it never saw (a signed
        # envelope's payload). A record's payload sits inside the record and, in a batch, the list.
        refused = value_problem(payload, (), depth=2)
        if refused:
            where = f"{prefix}payload.{refused.field}" if refused.field else f"{prefix}payload"
            problems.append({"field": where, "message": refused.message, "code": refused.code})
            payload = {}

    measurement = raw.get("measurement") or {}
    if not isinstance(measurement, dict):
        problems.append(
            {
                "field": prefix + "measurement",
                "message": "Expected an object {task, task_version, dataset_hash, scorer}.",
                "code": "invalid",
            }
        )
        measurement = {}
    task_name = _text(measurement.get("task"), "measurement.task", 200, problems, prefix)
    task_version = _text(
        str(measurement["task_version"])
        if _integer(measurement.get("task_version"))
        else measurement.get("task_version"),
        "measurement.task_version",
        50,
        problems,
        prefix,
    )
    dataset_hash = ""
    if measurement.get("dataset_hash") is not None:
        match = SHA256_RE.fullmatch(str(measurement["dataset_hash"]))
        if not match:
            problems.append(
                {
                    "field": prefix + "measurement.dataset_hash",
                    "message": "Expected a SHA-256 hex digest (optionally sha256:…).",
                    "code": "invalid",
                }
            )
        else:
            dataset_hash = match.group(2)
    scorer = _text(measurement.get("scorer"), "measurement.scorer", 200, problems, prefix)

    visibility = raw.get("visibility", "public")
    if visibility not in VISIBILITIES:
        problems.append(
            {"field": prefix + "visibility", "message": "Expected public or restricted.", "code": "invalid_choice"}
        )
    corrects = raw.get("corrects")
    if corrects is not None and (not _integer(corrects) or corrects < 1):
        problems.append(
            {
                "field": prefix + "corrects",
                "message": "Expected the id of the record this one corrects.",
                "code": "invalid",
            }
        )
    attachment = raw.get("attachment")
    if attachment is not None and not isinstance(attachment, dict):
        problems.append(
            {
                "field": prefix + "attachment",
                "message": "Expected an object {filename, content_type, data_base64}.",
                "code": "invalid",
            }
        )
    elif attachment is not None:
        for name in ("filename", "content_type"):
            if isinstance(attachment.get(name), str) and CONTROL_CHARACTERS.search(attachment[name]):
                message = text_problem(attachment[name]) or ""
                problems.append(
                    {"field": f"{prefix}attachment.{name}", "message": message, "code": "control_character"}
                )

    if problems:
        return None, problems
    assert observed_from is not None and observed_to is not None  # no problems means both parsed
    return (
        CleanRecord(
            kind=str(kind),
            metric=str(metric),
            observed_from=observed_from,
            observed_to=observed_to,
            visibility=visibility,  # type: ignore[arg-type]
            value=float(value) if value is not None else None,
            values=[float(v) for v in values] if values is not None else None,
            successes=successes,
            trials=trials,
            source_tool=source_tool,
            source_version=source_version,
            payload=payload,
            task_name=task_name,
            task_version=task_version or "",
            dataset_hash=dataset_hash,
            scorer=scorer,
            corrects=corrects,
            attachment=attachment,
        ),
        [],
    )
