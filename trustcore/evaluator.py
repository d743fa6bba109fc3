"""The evaluator: a clause and its evidence in, a verdict out. Pure functions, no ORM.

Rules (DESIGN.md, "Evaluation", "Freshness", "Pre-registration"):

* Only evidence of the clause's ``metric`` and ``evidence_kinds`` counts; a pre-registered clause counts
  only evidence measured the registered way (task, task version, dataset hash, scorer); a clause that
  requires signed evidence counts only signed records. Everything else is *refused*, with the reason.
* Evidence counts when it was observed within the last ``window_days`` **and** is at most
  ``max_evidence_age_days`` old (its ``observed_to``). Older evidence is refused as stale.
* No counted evidence → ``stale`` (never ``met``). Fewer samples than ``min_samples`` →
  ``insufficient_evidence``. Otherwise the aggregation is compared with the threshold → ``met`` or
  ``breached``.
* Aggregations: ``mean`` (every sample: values, and successes as 1 / failures as 0), ``rate``
  (successes / trials; counts only), ``p50``/``p95``/``p99`` (nearest rank over values), ``min``, ``max``,
  ``count`` (samples).

Evidence is summarised in mergeable ``Aggregate`` states so that per-hour buckets kept in the database
give the same answer as the raw records — exactly for count/sum/mean/rate/min/max, and within the
sketch's ±1 % relative error for percentiles (``trustcore.sketch``). Raw evaluation keeps the values and
computes percentiles exactly; the offline verifier uses it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC as UTC_TZ
from datetime import datetime, timedelta
from typing import Any

from trustcore.sketch import Sketch, exact_quantile

MET, BREACHED, STALE, INSUFFICIENT, DISPUTED = "met", "breached", "stale", "insufficient_evidence", "disputed"
STATUSES = (MET, BREACHED, STALE, INSUFFICIENT, DISPUTED)
QUANTILES = {"p50": 0.50, "p95": 0.95, "p99": 0.99}
NEEDS_VALUES = frozenset({"p50", "p95", "p99", "min", "max"})
FUTURE_SKEW = timedelta(minutes=5)  # ingest accepts observations up to 5 minutes ahead of the server clock


@dataclass(frozen=True)
class ClauseSpec:
    clause_id: str
    metric: str
    aggregation: str
    comparator: str
    threshold: float
    window_days: int
    min_samples: int
    max_evidence_age_days: int
    evidence_kinds: tuple[str, ...]
    requires_signed_evidence: bool = False
    prereg_task: str = ""
    prereg_task_version: str = ""
    prereg_dataset_hash: str = ""
    prereg_scorer: str = ""

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ClauseSpec:
        names = cls.__dataclass_fields__
        values = {k: row[k] for k in names if k in row}
        values["evidence_kinds"] = tuple(row.get("evidence_kinds", ()))
        values["threshold"] = float(row["threshold"])
        return cls(**values)

    @property
    def preregistered(self) -> bool:
        return bool(self.prereg_task)


@dataclass(frozen=True)
class Key:
    """What decides whether a group of evidence may count for a clause."""

    kind: str
    task: str = ""
    task_version: str = ""
    dataset_hash: str = ""
    scorer: str = ""
    signed: bool = False
    counts: bool = False  # successes/trials rather than measured values (a rate needs the one, a percentile the other)


@dataclass
class Aggregate:
    """Mergeable summary of samples. ``values`` is kept only for exact (raw) evaluation."""

    samples: int = 0
    value_samples: int = 0
    value_sum: float = 0.0
    successes: int = 0
    trials: int = 0
    minimum: float | None = None
    maximum: float | None = None
    sketch: Sketch = field(default_factory=Sketch)
    values: list[float] | None = None

    def add(
        self,
        *,
        value: float | None = None,
        values: Iterable[float] | None = None,
        successes: int | None = None,
        trials: int | None = None,
    ) -> None:
        if trials is not None:
            self.successes += int(successes or 0)
            self.trials += int(trials)
            self.samples += int(trials)
            return
        numbers = [value] if value is not None else list(values or ())
        if not numbers:
            return
        self.samples += len(numbers)
        self.value_samples += len(numbers)
        self.value_sum += math.fsum(numbers)
        low, high = min(numbers), max(numbers)
        self.minimum = low if self.minimum is None else min(self.minimum, low)
        self.maximum = high if self.maximum is None else max(self.maximum, high)
        self.sketch.extend(numbers)
        if self.values is not None:
            self.values.extend(numbers)

    def merge(self, other: Aggregate) -> None:
        self.samples += other.samples
        self.value_samples += other.value_samples
        self.value_sum = math.fsum((self.value_sum, other.value_sum))
        self.successes += other.successes
        self.trials += other.trials
        if other.minimum is not None:
            self.minimum = other.minimum if self.minimum is None else min(self.minimum, other.minimum)
        if other.maximum is not None:
            self.maximum = other.maximum if self.maximum is None else max(self.maximum, other.maximum)
        self.sketch.merge(other.sketch)
        if self.values is not None:
            if other.values is None:
                self.values = None  # mixing in a bucket: fall back to the sketch
            else:
                self.values.extend(other.values)

    def to_json(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "value_samples": self.value_samples,
            "value_sum": self.value_sum,
            "successes": self.successes,
            "trials": self.trials,
            "min": self.minimum,
            "max": self.maximum,
            "sketch": self.sketch.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, sketch: bool = True) -> Aggregate:
        """``sketch=False`` skips the quantile sketch (only percentiles need it; it is the costly part)."""
        return cls(
            samples=data["samples"],
            value_samples=data["value_samples"],
            value_sum=data["value_sum"],
            successes=data["successes"],
            trials=data["trials"],
            minimum=data["min"],
            maximum=data["max"],
            sketch=Sketch.from_json(data.get("sketch")) if sketch else Sketch(),
        )


@dataclass(frozen=True)
class Part:
    """A group of evidence sharing a key: one raw record, or one hour bucket."""

    key: Key
    newest: datetime  # the latest observed_to in the group
    oldest: datetime  # the earliest observed_to in the group
    aggregate: Aggregate
    ids: tuple[Any, ...] = ()
    records: int = 1


@dataclass
class Verdict:
    clause_id: str
    status: str
    measured: float | None
    samples: int
    window_start: datetime
    window_end: datetime
    freshest_at: datetime | None
    used: list[Any] = field(default_factory=list)
    used_records: int = 0
    refused: list[tuple[Any, str]] = field(default_factory=list)
    refused_records: int = 0
    refusal_counts: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "clause_id": self.clause_id,
            "status": self.status,
            "measured": self.measured,
            "samples": self.samples,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "freshest_at": self.freshest_at.isoformat() if self.freshest_at else None,
            "used": list(self.used),
            "refused": [[i, r] for i, r in self.refused],
            "note": self.note,
        }


def compare(measured: float, comparator: str, threshold: float) -> bool:
    if comparator == ">=":
        return measured >= threshold
    if comparator == ">":
        return measured > threshold
    if comparator == "<=":
        return measured <= threshold
    if comparator == "<":
        return measured < threshold
    if comparator == "==":
        return math.isclose(measured, threshold, rel_tol=1e-9, abs_tol=1e-12)
    raise ValueError(f"unknown comparator {comparator!r}")


def refusal(clause: ClauseSpec, key: Key) -> str | None:
    """Why evidence with this key and shape may not count for the clause (None: it may)."""
    # Reasons never quote the refused record's own attributes: verdicts are public, records may be restricted.
    if key.kind not in clause.evidence_kinds:
        return f"its kind is not one the clause accepts ({', '.join(clause.evidence_kinds)})"
    if clause.requires_signed_evidence and not key.signed:
        return "the clause requires signed evidence"
    if clause.preregistered:
        for name, wanted, got in (
            ("task", clause.prereg_task, key.task),
            ("task version", clause.prereg_task_version, key.task_version),
            ("dataset", clause.prereg_dataset_hash, key.dataset_hash),
            ("scorer", clause.prereg_scorer, key.scorer),
        ):
            if wanted and wanted != got:
                return f"not measured as pre-registered: the {name} differs from {wanted}"
    if clause.aggregation == "rate" and not key.counts:
        return "a rate needs successes and trials, not measured values"
    if clause.aggregation in NEEDS_VALUES and key.counts:
        return f"{clause.aggregation} needs measured values, not success counts"
    return None


def measure(aggregation: str, aggregate: Aggregate) -> float | None:
    if aggregate.samples == 0:
        return None
    if aggregation == "count":
        return float(aggregate.samples)
    if aggregation == "rate":
        return aggregate.successes / aggregate.trials if aggregate.trials else None
    if aggregation == "mean":
        return math.fsum((aggregate.value_sum, aggregate.successes)) / aggregate.samples
    if aggregation == "min":
        return aggregate.minimum
    if aggregation == "max":
        return aggregate.maximum
    if aggregation in QUANTILES:
        q = QUANTILES[aggregation]
        if aggregate.values is not None:
            return exact_quantile(aggregate.values, q)
        return aggregate.sketch.quantile(q)
    raise ValueError(f"unknown aggregation {aggregation!r}")


def window(clause: ClauseSpec, now: datetime) -> tuple[datetime, datetime]:
    """(start of the window, freshness cut-off): evidence counts when observed_to ≥ both."""
    return now - timedelta(days=clause.window_days), now - timedelta(days=clause.max_evidence_age_days)


def evaluate_parts(clause: ClauseSpec, parts: Iterable[Part], now: datetime, *, exact: bool = True) -> Verdict:
    """The verdict from groups of evidence; every part must lie wholly on one side of the cut-offs."""
    window_start, fresh_cutoff = window(clause, now)
    total = Aggregate(values=[] if exact else None)
    used: list[Any] = []
    refused: list[tuple[Any, str]] = []
    used_records = refused_records = 0
    refusal_counts: dict[str, int] = {}
    freshest: datetime | None = None
    latest_allowed = now + FUTURE_SKEW
    for part in parts:
        if part.newest < window_start or part.oldest > latest_allowed:
            continue
        reason = refusal(clause, part.key)
        if reason is None and part.newest < fresh_cutoff:
            reason = f"older than {clause.max_evidence_age_days} day(s): stale"
        if reason is not None:
            refused_records += part.records
            refusal_counts[reason] = refusal_counts.get(reason, 0) + part.records
            refused.extend((i, reason) for i in part.ids)
            continue
        total.merge(part.aggregate)
        used.extend(part.ids)
        used_records += part.records
        freshest = part.newest if freshest is None or part.newest > freshest else freshest
    common: dict[str, Any] = {
        "clause_id": clause.clause_id,
        "window_start": window_start,
        "window_end": now,
        "freshest_at": freshest,
        "used": used,
        "used_records": used_records,
        "refused": refused,
        "refused_records": refused_records,
        "refusal_counts": refusal_counts,
    }
    if used_records == 0:
        return Verdict(
            status=STALE, measured=None, samples=0, note="no fresh evidence counts for this clause", **common
        )
    measured = measure(clause.aggregation, total)
    if total.samples < clause.min_samples or measured is None:
        return Verdict(
            status=INSUFFICIENT,
            measured=measured,
            samples=total.samples,
            note=f"{total.samples} of {clause.min_samples} samples",
            **common,
        )
    status = MET if compare(measured, clause.comparator, clause.threshold) else BREACHED
    return Verdict(status=status, measured=measured, samples=total.samples, **common)


@dataclass(frozen=True)
class Observation:
    """One evidence record as the evaluator sees it."""

    id: Any
    kind: str
    metric: str
    observed_to: datetime
    value: float | None = None
    values: tuple[float, ...] | None = None
    successes: int | None = None
    trials: int | None = None
    task: str = ""
    task_version: str = ""
    dataset_hash: str = ""
    scorer: str = ""
    signed: bool = False

    @property
    def key(self) -> Key:
        return Key(
            self.kind,
            self.task,
            self.task_version,
            self.dataset_hash,
            self.scorer,
            self.signed,
            self.trials is not None,
        )

    def aggregate(self, *, exact: bool = True) -> Aggregate:
        aggregate = Aggregate(values=[] if exact else None)
        aggregate.add(value=self.value, values=self.values, successes=self.successes, trials=self.trials)
        return aggregate


def evaluate(clause: ClauseSpec, observations: Iterable[Observation], now: datetime) -> Verdict:
    """From scratch over raw evidence (exact percentiles)."""
    parts = [
        Part(obs.key, obs.observed_to, obs.observed_to, obs.aggregate(), ids=(obs.id,))
        for obs in observations
        if obs.metric == clause.metric
    ]
    return evaluate_parts(clause, parts, now, exact=True)


# --- incremental evaluation over day and hour buckets ------------------------------------------------------
#
# Ingest keeps two summaries of every record: its UTC day and its UTC hour. A window is evaluated from
# the day buckets of whole days, the hour buckets of the days a boundary cuts, and the raw records of
# the hours a boundary cuts (window start, freshness cut-off, now). So the cost is at most ~30 day
# buckets + ~3 × 24 hour buckets per evidence key, plus the raw records of ~4 hours — whatever the
# history holds.

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def hour_start(moment: datetime) -> datetime:
    """The start of the UTC hour holding ``moment`` (a record belongs to the hour of its observed_to)."""
    return moment.astimezone(UTC_TZ).replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC_TZ).replace(hour=0, minute=0, second=0, microsecond=0)


def edge_hours(clause: ClauseSpec, now: datetime) -> set[datetime]:
    """Hours cut by the window start or the freshness cut-off, and the hour of ``now`` (so evaluating as of a
    past moment ignores what came later): these come from raw records, not summaries."""
    window_start, fresh_cutoff = window(clause, now)
    return {hour_start(window_start), hour_start(fresh_cutoff), hour_start(now), hour_start(now + FUTURE_SKEW)}


def edge_days(clause: ClauseSpec, now: datetime) -> set[datetime]:
    return {day_start(hour) for hour in edge_hours(clause, now)}


def parts_for(
    clause: ClauseSpec,
    now: datetime,
    *,
    day_buckets: Iterable[tuple[datetime, Part]],
    hour_buckets: Iterable[tuple[datetime, Part]],
    edge_observations: Iterable[Observation],
) -> list[Part]:
    """Whole days from day buckets, the rest of the cut days from hour buckets, the cut hours from raw records."""
    hours, days = edge_hours(clause, now), edge_days(clause, now)
    parts = [part for start, part in day_buckets if start not in days]
    parts.extend(part for start, part in hour_buckets if day_start(start) in days and start not in hours)
    parts.extend(
        Part(o.key, o.observed_to, o.observed_to, o.aggregate(exact=False), ids=(o.id,))
        for o in edge_observations
        if o.metric == clause.metric and hour_start(o.observed_to) in hours
    )
    return parts


def buckets_from_observations(
    observations: Iterable[Observation], span: timedelta = HOUR
) -> list[tuple[datetime, Part]]:
    """Group raw observations into hour (or day) buckets: what ingest maintains in the database."""
    start_of = hour_start if span == HOUR else day_start
    grouped: dict[tuple[datetime, str, Key], Part] = {}
    for obs in observations:
        slot = (start_of(obs.observed_to), obs.metric, obs.key)
        aggregate = obs.aggregate(exact=False)
        existing = grouped.get(slot)
        if existing is None:
            grouped[slot] = Part(obs.key, obs.observed_to, obs.observed_to, aggregate, records=1)
        else:
            existing.aggregate.merge(aggregate)
            grouped[slot] = Part(
                obs.key,
                max(existing.newest, obs.observed_to),
                min(existing.oldest, obs.observed_to),
                existing.aggregate,
                records=existing.records + 1,
            )
    return [(start, part) for (start, _metric, _key), part in grouped.items()]


# --- from portable data (bundles): canonical records and pact documents, standard library only ------------------


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def observation_from_canonical(record_id: Any, record: dict[str, Any]) -> Observation:
    """An observation from a record's canonical JSON (what the log commits to)."""
    measurement = record.get("measurement") or {}
    values = record.get("values")
    return Observation(
        id=record_id,
        kind=record["kind"],
        metric=record["metric"],
        observed_to=parse_time(record["observed_to"]),
        value=float(record["value"]) if "value" in record else None,
        values=tuple(float(v) for v in values) if values is not None else None,
        successes=record.get("successes"),
        trials=record.get("trials"),
        task=measurement.get("task", ""),
        task_version=str(measurement.get("task_version", "")),
        dataset_hash=measurement.get("dataset_hash", ""),
        scorer=measurement.get("scorer", ""),
        signed=bool(record.get("signed", False)),
    )


def clause_specs(document: dict[str, Any]) -> list[ClauseSpec]:
    """The clauses of a pact/v1 document, as the evaluator needs them (no schema validation here)."""
    specs = []
    for obligation in document.get("obligations", []):
        prereg = obligation.get("preregistration") or {}
        specs.append(
            ClauseSpec(
                clause_id=obligation["id"],
                metric=obligation["metric"],
                aggregation=obligation["aggregation"],
                comparator=obligation["comparator"],
                threshold=float(obligation["threshold"]),
                window_days=obligation["window_days"],
                min_samples=obligation["min_samples"],
                max_evidence_age_days=obligation["max_evidence_age_days"],
                evidence_kinds=tuple(obligation["evidence_kinds"]),
                requires_signed_evidence=bool(obligation.get("requires_signed_evidence", False)),
                prereg_task=prereg.get("task", ""),
                prereg_task_version=str(prereg.get("task_version", "")),
                prereg_dataset_hash=prereg.get("dataset_hash", "").removeprefix("sha256:"),
                prereg_scorer=prereg.get("scorer", ""),
            )
        )
    return specs
