"""Early warnings on rate clauses, kept up to date by every evaluation (``agent_evaluate`` calls
``warnings_update`` in its transaction): the burn-rate rules of ``trustcore.burn`` over the clause's evidence of
the last six hours. A warning that opens tells the agent's vendor and its buyers (the ``verdicts.hooks.warned``
hook: in-app and the ``clause.warning`` webhook); a breach that follows is linked to it (``breach``), so the
lead time a warning gave is known.

One query per rate clause: the successes and trials of the eligible records (the clause's evidence kinds,
signed when it requires it), summed per look-back window by ``observed_to`` with conditional aggregation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from evidence.models import EvidenceRecord
from pacts.models import Pact, PactVersion
from trustcore import burn
from trustcore.evaluator import ClauseSpec
from verdicts import hooks
from verdicts.models import ClauseWarning, Verdict

LEAD_LOOKBACK_FACTOR = 1.0  # a breach is linked to a warning opened at most one clause window earlier


def window_counts(*, agent_id: int, spec: ClauseSpec, now: datetime) -> tuple[dict[timedelta, burn.Counts], bool]:
    """Successes and trials per look-back window ending at ``now``; and whether restricted records are among them."""
    longest = max(burn.WINDOWS)
    records = EvidenceRecord.objects.filter(
        agent_id=agent_id,
        metric=spec.metric,
        observed_to__gt=now - longest,
        observed_to__lte=now,
        trials__isnull=False,
    )
    if spec.evidence_kinds:
        records = records.filter(kind__in=spec.evidence_kinds)
    if spec.requires_signed_evidence:
        records = records.filter(signed_by__isnull=False)
    sums: dict[str, Any] = {}
    for window in burn.WINDOWS:
        inside = Q(observed_to__gt=now - window)
        key = int(window.total_seconds())
        sums[f"s{key}"] = Coalesce(Sum("successes", filter=inside), 0)
        sums[f"t{key}"] = Coalesce(Sum("trials", filter=inside), 0)
    sums["restricted"] = Coalesce(Sum(1, filter=Q(visibility="restricted")), 0)
    row = records.aggregate(**sums)
    counts = {
        window: burn.Counts(int(row[f"s{int(window.total_seconds())}"]), int(row[f"t{int(window.total_seconds())}"]))
        for window in burn.WINDOWS
    }
    return counts, bool(row["restricted"])


def warnings_update(
    *,
    agent_id: int,
    pact: Pact,
    version: PactVersion,
    specs: Iterable[ClauseSpec],
    now: datetime,
    written: Iterable[Verdict] = (),
) -> list[ClauseWarning]:
    """Open, refresh or clear each rate clause's warning; link new breaches to the warning before them.
    Returns the warnings opened now."""
    opened: list[ClauseWarning] = []
    current = {w.clause_id: w for w in ClauseWarning.objects.filter(pact=pact, cleared_at__isnull=True)}
    for spec in specs:
        if spec.aggregation != "rate" or burn.error_budget(spec.comparator, spec.threshold) is None:
            continue
        counts, restricted = window_counts(agent_id=agent_id, spec=spec, now=now)
        fired = burn.alerts(
            comparator=spec.comparator, threshold=spec.threshold, window_days=spec.window_days, windows=counts
        )
        existing = current.get(spec.clause_id)
        if not fired:
            if existing is not None:
                ClauseWarning.objects.filter(pk=existing.pk).update(cleared_at=now)
            continue
        strongest = fired[0]  # fast before slow
        values = {
            "rule": strongest.rule,
            "burn_long": min(strongest.burn_long, 1e9),
            "burn_short": min(strongest.burn_short, 1e9),
            "threshold": strongest.threshold,
            "trials_long": strongest.trials_long,
            "rests_on_restricted": restricted,
            "last_seen_at": now,
        }
        if existing is not None:
            ClauseWarning.objects.filter(pk=existing.pk).update(**values)
            continue
        try:
            with transaction.atomic():
                warning = ClauseWarning.objects.create(
                    agent_id=agent_id,
                    pact=pact,
                    pact_version=version,
                    clause_id=spec.clause_id,
                    opened_at=now,
                    **values,
                )
        except IntegrityError:  # a concurrent evaluation opened it
            continue
        opened.append(warning)
        for handler in hooks.warned:
            handler(warning)
    _link_breaches(pact, written, specs)
    return opened


def _link_breaches(pact: Pact, written: Iterable[Verdict], specs: Iterable[ClauseSpec]) -> None:
    windows = {spec.clause_id: spec.window_days for spec in specs}
    for verdict in written:
        if verdict.status != Verdict.Status.BREACHED or verdict.clause_id not in windows:
            continue
        since = verdict.computed_at - timedelta(days=windows[verdict.clause_id] * LEAD_LOOKBACK_FACTOR)
        warning = (
            ClauseWarning.objects.filter(
                pact=pact,
                clause_id=verdict.clause_id,
                breach__isnull=True,
                opened_at__gte=since,
                opened_at__lte=verdict.computed_at,
            )
            .order_by("opened_at")
            .first()
        )
        if warning is not None:
            ClauseWarning.objects.filter(pk=warning.pk).update(breach=verdict)


def lead_times(*, agent_ids: Iterable[int] | None = None, since: datetime | None = None) -> list[dict[str, Any]]:
    """How much earlier each warning came than the breach that followed it (for the failure metrics)."""
    warnings = ClauseWarning.objects.filter(breach__isnull=False).select_related("breach", "agent")
    if agent_ids is not None:
        warnings = warnings.filter(agent_id__in=list(agent_ids))
    if since is not None:
        warnings = warnings.filter(opened_at__gte=since)
    return [
        {
            "agent": w.agent.slug,
            "clause_id": w.clause_id,
            "warning": w.pk,
            "warned_at": w.opened_at,
            "breach": w.breach_id,
            "breached_at": w.breach.computed_at,  # type: ignore[union-attr]
            "lead_seconds": (w.breach.computed_at - w.opened_at).total_seconds(),  # type: ignore[union-attr]
        }
        for w in warnings.order_by("opened_at")
    ]
