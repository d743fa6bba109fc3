"""Background work of evaluation: after ingest and publication (queued on commit), and a periodic sweep."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="verdicts.evaluate_agent", acks_late=True)
def evaluate_agent(agent_id: int) -> int:
    """Re-evaluate one agent's clauses; idempotent (a second run writes nothing). Returns verdicts written."""
    from verdicts.evaluation import agent_evaluate

    return len(agent_evaluate(agent_id=agent_id))


@shared_task(name="verdicts.sweep")
def sweep_verdicts() -> int:
    """Periodic: evidence ages out of freshness with no new data, so every agent in force is re-evaluated."""
    from verdicts.evaluation import agent_evaluate, agents_to_sweep

    return sum(len(agent_evaluate(agent_id=agent_id)) for agent_id in agents_to_sweep())
