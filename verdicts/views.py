"""Verdict pages: why a clause has its status, and the inclusion proof of one record."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from evidence.selectors import can_see_restricted, evidence_get
from pacts.plain import describe_clause
from pacts.selectors import agent_get, pact_current_version, pact_get
from transparency import log as tlog
from trustcore.evaluator import ClauseSpec
from verdicts.charts import compliance_figure
from verdicts.models import Verdict
from verdicts.selectors import clause_evidence, shown, verdict_history


@require_safe
def clause_why(request: HttpRequest, slug: str, pact_id: int, clause_id: str) -> HttpResponse:
    """Why a clause has its status: the verdict, its history, and every record of the metric in the window."""
    agent = agent_get(user=request.user, slug=slug)
    pact = pact_get(user=request.user, pact_id=pact_id)
    version = pact_current_version(pact=pact)
    clause = version.clauses.filter(clause_id=clause_id).first() if version and pact.agent_id == agent.pk else None
    if clause is None:
        raise Http404("No such clause in force.")
    spec = ClauseSpec.from_row(clause.as_row())
    now = timezone.now()
    current = Verdict.objects.filter(pact=pact, clause_id=clause_id, is_current=True).select_related("pact_version")
    verdict = next(iter(shown(current[:1], user=request.user, agent=agent)), None)
    percent = clause.metric_kind == "binary" and clause.aggregation != "count" and not clause.unit
    history = verdict_history(agent=agent, pact_id=pact.pk, clause_id=clause_id)[:2000]
    series = shown(reversed(history), user=request.user, agent=agent)
    records = clause_evidence(user=request.user, agent=agent, spec=spec, now=now)
    context = {
        "agent": agent,
        "pact": pact,
        "clause": clause,
        "spec": spec,
        "verdict": verdict,
        "percent": percent,
        "now": now,
        "plain": describe_clause(clause.as_row()),
        "records": records,
        "truncated": len(records) >= 200,
        "can_see_restricted": can_see_restricted(user=request.user, agent=agent),
        "figure": compliance_figure(
            title="",
            unit=clause.unit,
            threshold=spec.threshold,
            comparator=spec.comparator,
            verdicts=series,
            now=now,
            percent=percent,
            height=320,
        ),
    }
    return render(request, "verdicts/clause_why.html", context)


@require_safe
def record_proof(request: HttpRequest, record_id: int) -> HttpResponse:
    """The inclusion proof of one record against the latest checkpoint that covers it (pending until one does)."""
    record = evidence_get(user=request.user, record_id=record_id)
    leaf = record.leaf_index
    checkpoint = tlog.checkpoint_covering(leaf) if leaf is not None else None
    proof = tlog.inclusion(index=leaf, checkpoint=checkpoint) if leaf is not None and checkpoint is not None else None
    return render(
        request,
        "verdicts/record_proof.html",
        {
            "record": record,
            "agent": record.agent,
            "proof": proof,
            "leaf": leaf,
            "pending": leaf is not None and proof is None,
        },
    )
