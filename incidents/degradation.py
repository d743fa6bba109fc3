"""Trust after degradation, from the portal's histories: every interval in which an agent kept a tier above
probation, or a logged access decision allowed it, while one of its critical clauses was breached or stale.

Gathered here (four queries: verdict rows of the agent's clauses, their versions' critical clause ids, tier
changes, the decisions the reader may see) and computed by the pure ``trustcore.degradation.intervals``. The
system's own tiers show 0 s (a property test over generated histories, and a test on real rows); only a buyer
policy that allowed during the failure shows time, and the report names the policy and why. The portal denies a
suspended agent under every policy (``reputation.policies``: the ``not_suspended`` condition) unless the policy
grants explicit grace (``critical_grace_hours``): an allow inside that grace is marked ``within_grace`` with the
policy's words; any other allowing time is reported as it is, "policy N allowed while <clause> was breached".

Who reads it (``incidents.view_degradation``): the agent's vendor's members, members of buyer organizations
engaging it, staff. Decisions are shown as everywhere else: a buyer sees its own organization's, the vendor none
(a buyer's policy is its own), staff all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from accounts.permissions import require
from pacts.models import Agent, PactClause
from reputation.models import Decision, TierChange
from trustcore import degradation
from verdicts.models import Verdict

FAILING = (Verdict.Status.BREACHED, Verdict.Status.STALE)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def failing_spans(agent_id: int, now: datetime) -> list[tuple[datetime, datetime | None, str, str]]:
    """Per critical clause (critical under the version its verdict was computed for), the spans its computed
    status was breached or stale: ``(start, end or None, clause_id, status)``."""
    rows = list(
        Verdict.objects.filter(agent_id=agent_id, computed_at__lte=now)
        .order_by("pact_id", "clause_id", "computed_at", "id")
        .values_list("pact_id", "pact_version_id", "clause_id", "status", "computed_at")
    )
    versions = {version_id for _, version_id, _, _, _ in rows}
    critical = set(
        PactClause.objects.filter(version_id__in=versions, severity="critical").values_list("version_id", "clause_id")
    )
    spans: list[tuple[datetime, datetime | None, str, str]] = []
    open_span: dict[tuple[int, str], tuple[datetime, str]] = {}
    for pact_id, version_id, clause_id, status, at in rows:
        key = (pact_id, clause_id)
        fails = status in FAILING and (version_id, clause_id) in critical
        started = open_span.get(key)
        if started is not None and (not fails or started[1] != status):
            spans.append((started[0], at, clause_id, started[1]))
            del open_span[key]
            started = None
        if fails and started is None:
            open_span[key] = (at, status)
    spans.extend((start, None, key[1], status) for key, (start, status) in open_span.items())
    return sorted(spans, key=lambda s: s[0])


def tier_history(agent_id: int, now: datetime) -> list[tuple[datetime, str]]:
    return list(TierChange.objects.filter(agent_id=agent_id, at__lte=now).order_by("at", "id").values_list("at", "new"))


def report(*, user: Any, agent: Agent, now: datetime | None = None) -> dict[str, Any]:
    """The report as ``user`` may read it (``incidents.view_degradation``)."""
    require(user, "incidents.view_degradation", agent)
    now = now or timezone.now()
    return compute(agent=agent, decisions=Decision.objects.restrict(user, "view"), now=now)


def compute(*, agent: Agent, decisions: Any, now: datetime, grace: Mapping[int, float] | None = None) -> dict[str, Any]:
    spans = failing_spans(agent.pk, now)
    seen = list(
        decisions.filter(agent=agent, at__lte=now)
        .order_by("at", "id")
        .values_list("at", "policy_id", "result", "policy__name")
    )
    names = {policy: name for _, policy, _, name in seen}
    if grace is None:  # what each policy's revisions said (the most any of the decisions applied)
        grace = {}
        for policy, rules in decisions.filter(agent=agent, at__lte=now).values_list("policy_id", "revision__rules"):
            hours = (rules or {}).get("critical_grace_hours") or 0
            if hours:
                grace[policy] = max(grace.get(policy, 0.0), hours * 3600.0)
    found = degradation.intervals(
        failing=[(start, end, clause) for start, end, clause, _ in spans],
        tiers=tier_history(agent.pk, now),
        decisions=[(at, policy, result == "allow") for at, policy, result, _ in seen],
        grace=grace or {},
        now=now,
    )
    failing_status: dict[str, list[tuple[datetime, datetime, str]]] = {}
    for start, end, clause, status in spans:
        failing_status.setdefault(clause, []).append((start, end or now, status))

    def status_during(clause: str, moment: datetime) -> str:
        for start, end, status in failing_status.get(clause, []):
            if start <= moment < end:
                return str(status)
        return "breached"

    intervals = []
    for interval in found:
        status = status_during(interval.clause, interval.start)
        if interval.policy is not None:
            why = f"policy {interval.policy} allowed while {interval.clause} was {status}"
            seconds_of_grace = (grace or {}).get(interval.policy)
            if seconds_of_grace and interval.within_grace:
                why += f" ({degradation.explain_grace(interval.policy, seconds_of_grace)})"
            elif seconds_of_grace:
                why += " (past the grace it grants)"
        else:
            why = f"tier {interval.held} held while {interval.clause} was {status}"
        intervals.append(
            {
                "from": _iso(interval.start),
                "to": _iso(interval.end),
                "held": interval.held,
                "clause": interval.clause,
                "policy": interval.policy,
                "policy_name": names.get(interval.policy) if interval.policy is not None else None,
                "status": status,
                "seconds": interval.seconds,
                "within_grace": interval.within_grace,
                "reason": why,
            }
        )
    return {
        "agent": agent.slug,
        "computed_at": _iso(now),
        "total_seconds": degradation.total_seconds(found),
        "tier_seconds": degradation.total_seconds([i for i in found if i.policy is None]),
        "critical_failures": [
            {"from": _iso(start), "to": _iso(end) if end else None, "clause": clause, "status": status}
            for start, end, clause, status in spans
        ],
        "intervals": intervals,
    }
