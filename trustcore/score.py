"""The trust score: a pure function of an agent's verdict history, recomputable by anyone (algorithm ``score/1``).

Standard library only, so the offline verifier and outsiders run exactly what the portal runs.

Model (docs/reputation.md states it with the same numbers):

* The unit of evidence is the **pact-day**: one day of one pact in force. Each clause holds a share of it
  proportional to its severity weight (critical 4, major 2, minor 1), so a pact's clauses together weigh one
  observation per day, however many clauses it has.
* A clause's verdict history is a list of **intervals** (a status held from one moment to the next; the
  portal merges consecutive verdicts of the same status into one). Each interval's weight is its share times
  the time it lasted, in days, **decayed** with a half-life (default 30 days): time ``age`` days ago weighs
  ``0.5 ** (age / half_life)`` (the integral has a closed form). A status counts **at least one day**
  (decayed from when it began), so a breach recorded a minute ago moves the score at once.
* ``met`` counts for the agent (α). ``breached`` and ``stale`` count against it (β) in full,
  ``insufficient_evidence`` at half (too little evidence is not a failure, but it is no success either).
  ``disputed`` is not a status here: a dispute never turns a breach into trust, so the computed status counts.
* A **stale pact** (its review is overdue) counts against the agent one whole pact-day per day overdue.
* **Penalties** (upheld rulings, once disputes land) count against it their weight, decayed from their time.
* The posterior is Beta(1 + α, 1 + β) (a uniform prior). ``score`` is its mean × 100; ``lower_bound`` its
  5 % quantile × 100: a one-sided 95 % credible bound. With little evidence the bound stays low whatever the
  mean, so a handful of good days cannot buy a high tier.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

ALGORITHM = "trust-portal-score/1"
DAY_SECONDS = 86400.0
SEVERITY_WEIGHTS: Mapping[str, float] = {"critical": 4.0, "major": 2.0, "minor": 1.0}
# How much of an interval's weight counts for (α) and against (β) the agent, by status.
FOR_AGAINST: Mapping[str, tuple[float, float]] = {
    "met": (1.0, 0.0),
    "breached": (0.0, 1.0),
    "stale": (0.0, 1.0),
    "insufficient_evidence": (0.0, 0.5),
}
PRIOR = (1.0, 1.0)
BOUND_QUANTILE = 0.05

# Tiers, lowest to highest trust. ``suspended`` and ``unverified`` are reached by rules, not by the bound.
TIERS = ("suspended", "unverified", "probation", "standard", "trusted")
BOUND_TIERS = (("trusted", 85.0), ("standard", 65.0))  # else probation


@dataclass(frozen=True)
class Interval:
    """One clause held ``status`` from ``start`` to ``end`` (UTC datetimes), under a pact whose clauses share
    one pact-day by severity: ``share`` is this clause's fraction (its weight over the pact's total)."""

    start: datetime
    end: datetime
    status: str
    share: float
    source: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Penalty:
    """A weight against the agent at a moment (an upheld ruling), decayed like everything else."""

    at: datetime
    weight: float
    source: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    score: float
    lower_bound: float
    alpha: float
    beta: float
    algorithm: str = ALGORITHM

    @property
    def observations(self) -> float:
        """The decayed pact-days behind the score (α + β without the prior)."""
        return self.alpha + self.beta - sum(PRIOR)


def decayed_days(start: datetime, end: datetime, now: datetime, half_life_days: float) -> float:
    """∫ 0.5 ** (age / half_life) d(age) over the part of [start, end] before ``now``, in days."""
    end = min(end, now)
    if end <= start:
        return 0.0
    rate = math.log(2) / half_life_days
    newest_age = (now - end).total_seconds() / DAY_SECONDS
    oldest_age = (now - start).total_seconds() / DAY_SECONDS
    return (math.exp(-rate * newest_age) - math.exp(-rate * oldest_age)) / rate


def weights(
    intervals: Iterable[Interval],
    now: datetime,
    *,
    half_life_days: float = 30.0,
    stale_pact: Iterable[tuple[datetime, datetime]] = (),
    penalties: Iterable[Penalty] = (),
) -> tuple[float, float]:
    """(α, β): the decayed weight of evidence for and against the agent."""
    alpha = beta = 0.0
    for interval in intervals:
        for_, against = FOR_AGAINST.get(interval.status, (0.0, 0.0))
        if not (for_ or against):
            continue
        if interval.start > now:
            continue
        start_age = (now - interval.start).total_seconds() / DAY_SECONDS
        held = max(decayed_days(interval.start, interval.end, now, half_life_days), 0.5 ** (start_age / half_life_days))
        days = interval.share * held
        alpha += for_ * days
        beta += against * days
    for start, end in stale_pact:
        beta += decayed_days(start, end, now, half_life_days)
    for penalty in penalties:
        if penalty.at <= now:
            age = (now - penalty.at).total_seconds() / DAY_SECONDS
            beta += penalty.weight * 0.5 ** (age / half_life_days)
    return alpha, beta


def compute(
    intervals: Iterable[Interval],
    now: datetime,
    *,
    half_life_days: float = 30.0,
    stale_pact: Iterable[tuple[datetime, datetime]] = (),
    penalties: Iterable[Penalty] = (),
) -> Score:
    """The score and its conservative bound at ``now``."""
    alpha, beta = weights(intervals, now, half_life_days=half_life_days, stale_pact=stale_pact, penalties=penalties)
    a, b = PRIOR[0] + alpha, PRIOR[1] + beta
    return Score(
        score=round(100.0 * a / (a + b), 4),
        lower_bound=round(100.0 * beta_quantile(BOUND_QUANTILE, a, b), 4),
        alpha=alpha,
        beta=beta,
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def compute_from_inputs(inputs: Mapping[str, Any]) -> Score:
    """Recompute a score from the inputs a score event stores (JSON: ISO times, ``[start, end, status, share,
    verdict id]`` intervals, ``[start, end]`` stale-pact spans, ``[at, weight, source]`` penalties)."""
    if inputs.get("algorithm") != ALGORITHM:
        raise ValueError(f"these inputs are for {inputs.get('algorithm')!r}, this is {ALGORITHM}")
    return compute(
        [
            Interval(_time(start), _time(end), status, float(share))
            for start, end, status, share, *_ in inputs["intervals"]
        ],
        _time(inputs["now"]),
        half_life_days=float(inputs["half_life_days"]),
        stale_pact=[(_time(start), _time(end)) for start, end in inputs.get("stale_pact", [])],
        penalties=[Penalty(_time(at), float(weight)) for at, weight, *_ in inputs.get("penalties", [])],
    )


def bound_tier(lower_bound: float) -> str:
    for tier, minimum in BOUND_TIERS:
        if lower_bound >= minimum:
            return tier
    return "probation"


def rank(tier: str) -> int:
    return TIERS.index(tier)


# --- the Beta distribution, from the standard library ---------------------------------------------------------


def beta_cdf(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (Lentz's continued fraction, as in Numerical Recipes)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(1.0 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    tiny, epsilon = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((qam + m2) * (a + m2)),
            -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < epsilon:
            break
    return h


def beta_quantile(q: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = q, by bisection (monotone, 1e-12 in x)."""
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2.0
        if beta_cdf(middle, a, b) < q:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


# --- tiers -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """What the tier rules look at, besides the bound."""

    has_pact: bool  # a pact version in force
    has_verdicts: bool  # at least one verdict under it
    failing_critical: tuple[str, ...] = ()  # critical clauses now breached or stale (computed status)
    pact_stale: bool = False  # a pact in force is past its review date
    capped_by_ruling: bool = False  # an upheld critical ruling in its cap period (disputes)
    downgrading: tuple[str, ...] = ()  # other clauses now failing whose pact says "downgrade" on breach or stale
    ruling_caps: tuple[tuple[str, str], ...] = ()  # (tier, reason): rulings in their effect period cap the tier


def target_tier(standing: Standing, lower_bound: float) -> tuple[str, str]:
    """The tier the evidence supports now, and why (the entry rules of docs/reputation.md, in order)."""
    if not standing.has_pact:
        return "unverified", "no pact in force"
    if not standing.has_verdicts:
        return "unverified", "no verdict yet"
    if standing.failing_critical:
        return "suspended", f"critical clause {', '.join(standing.failing_critical)} breached or stale"
    by_bound = bound_tier(lower_bound)
    minimum = dict(BOUND_TIERS).get(by_bound)
    reason = (
        f"lower bound {lower_bound:.1f} ≥ {minimum:g}"
        if minimum is not None
        else f"lower bound {lower_bound:.1f} < {BOUND_TIERS[-1][1]:g}"
    )
    if standing.pact_stale and rank(by_bound) > rank("probation"):
        return "probation", "the pact's review is overdue"
    if standing.capped_by_ruling and rank(by_bound) > rank("probation"):
        return "probation", "an upheld critical ruling"
    if standing.downgrading and rank(by_bound) > rank("probation"):
        return "probation", f"clause {', '.join(standing.downgrading)} fails and its pact says downgrade"
    if standing.ruling_caps:
        cap, why = min(standing.ruling_caps, key=lambda tier_reason: rank(tier_reason[0]))
        if rank(by_bound) > rank(cap):
            return cap, why
    return by_bound, reason


@dataclass(frozen=True)
class TierState:
    tier: str
    pending_tier: str | None = None  # a higher tier the evidence has supported since ``pending_since``
    pending_since: datetime | None = None


def next_tier(
    state: TierState, target: str, reason: str, now: datetime, *, upgrade_days: float = 14.0
) -> tuple[TierState, str | None]:
    """Hysteresis: a lower target applies at once; a higher one only once it has held ``upgrade_days``.

    Returns the new state and, when the tier changed, the reason. Leaving ``unverified`` for probation (a
    first verdict) and leaving ``suspended`` once no critical clause fails are immediate, but only to
    probation: anything above it must be earned over the sustained period like any upgrade.
    """
    current = state.tier
    if rank(target) < rank(current) or (current == "suspended" and target == "unverified"):
        return TierState(target), reason
    if rank(target) == rank(current):
        return TierState(current), None
    if current in ("unverified", "suspended"):
        why = (
            "first verdicts: probation until the evidence sustains more"
            if current == "unverified"
            else ("no critical clause fails any more")
        )
        return (TierState("probation") if target == "probation" else TierState("probation", target, now)), why
    pending, since = state.pending_tier, state.pending_since
    if pending is None or since is None:
        return TierState(current, target, now), None
    pending = target if rank(target) < rank(pending) else pending  # the level sustained throughout
    if (now - since).total_seconds() >= upgrade_days * DAY_SECONDS:
        new = TierState(
            pending, target if rank(target) > rank(pending) else None, now if rank(target) > rank(pending) else None
        )
        return new, f"{reason}, sustained {upgrade_days:g} days"
    return TierState(current, pending, since), None
