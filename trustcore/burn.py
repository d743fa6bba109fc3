"""Early warnings: multiwindow, multi-burn-rate alerts on rate clauses (Google SRE workbook, "Alerting on SLOs").

Standard library only: the portal and a replay run the same function.

A rate clause (``aggregation: rate``, successes out of trials) promises a success rate ``≥ T`` (or an error-like
rate ``≤ T``) over its window of W days. Its **error budget** is the share of trials allowed to fail: ``1 − T``
for ``≥``/``>``, ``T`` for ``≤``/``<``. The **burn rate** over a look-back window is the observed error rate
divided by the budget: 1 spends the budget exactly over W; 14.4 spends 2 % of a 30-day budget in one hour.

Two rules, each a long window confirmed by a short one (so a warning fires fast and clears fast):

=====  ===========  ============  ================================  ====================================
rule   long window  short window  budget spent in the long window   burn-rate threshold (W = 30 days)
=====  ===========  ============  ================================  ====================================
fast   1 hour       5 minutes     2 %                               14.4
slow   6 hours      30 minutes    5 %                               6
=====  ===========  ============  ================================  ====================================

**Thresholds scale to the clause's window**: the threshold is the budget share spent in the long window,
``share × W / long``, so for W = 30 days the workbook's 14.4 and 6 come out, and a 7-day clause warns at 3.36
and 1.4. A **minimum-volume guard** keeps low-traffic agents from warning on a handful of trials: the long
window needs at least ``MIN_LONG_TRIALS`` trials, the short one at least ``MIN_SHORT_TRIALS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

MIN_LONG_TRIALS = 20
MIN_SHORT_TRIALS = 5


@dataclass(frozen=True)
class Rule:
    name: str
    long: timedelta
    short: timedelta
    budget_share: float

    def threshold(self, window_days: float) -> float:
        """The burn rate at which this rule fires for a clause judged over ``window_days``."""
        return self.budget_share * (window_days * 86400.0) / self.long.total_seconds()


FAST = Rule("fast", timedelta(hours=1), timedelta(minutes=5), 0.02)
SLOW = Rule("slow", timedelta(hours=6), timedelta(minutes=30), 0.05)
RULES = (FAST, SLOW)
WINDOWS = tuple(sorted({w for rule in RULES for w in (rule.long, rule.short)}))


@dataclass(frozen=True)
class Counts:
    successes: int
    trials: int


@dataclass(frozen=True)
class Alert:
    rule: str
    burn_long: float
    burn_short: float
    threshold: float
    trials_long: int


def error_budget(comparator: str, threshold: float) -> float | None:
    """The share of trials the clause lets fail; None when a burn rate means nothing (``==``)."""
    if comparator in (">=", ">"):
        return max(0.0, 1.0 - threshold)
    if comparator in ("<=", "<"):
        return max(0.0, threshold)
    return None


def error_rate(comparator: str, counts: Counts) -> float:
    rate = counts.successes / counts.trials
    return 1.0 - rate if comparator in (">=", ">") else rate


def burn_rate(comparator: str, threshold: float, counts: Counts) -> float:
    budget = error_budget(comparator, threshold)
    errors = error_rate(comparator, counts)
    if budget is None:
        return 0.0
    if budget == 0.0:
        return float("inf") if errors > 0 else 0.0
    return errors / budget


def alerts(*, comparator: str, threshold: float, window_days: float, windows: dict[timedelta, Counts]) -> list[Alert]:
    """The rules that fire for these per-window counts (``windows[w]`` = trials observed in the last ``w``)."""
    if error_budget(comparator, threshold) is None:
        return []
    fired: list[Alert] = []
    for rule in RULES:
        long, short = windows.get(rule.long), windows.get(rule.short)
        if long is None or short is None:
            continue
        if long.trials < MIN_LONG_TRIALS or short.trials < MIN_SHORT_TRIALS:
            continue  # the minimum-volume guard
        limit = rule.threshold(window_days)
        burn_long = burn_rate(comparator, threshold, long)
        burn_short = burn_rate(comparator, threshold, short)
        at_least = limit * (1 - 1e-9)  # "at the threshold" fires, whatever 1 − 0.99 rounds to in binary
        if burn_long >= at_least and burn_short >= at_least:
            fired.append(Alert(rule.name, burn_long, burn_short, limit, long.trials))
    return fired
