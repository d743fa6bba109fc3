"""Background work of the evidence app: evaluation after ingest and on a sweep, and upkeep."""

from __future__ import annotations

from celery import shared_task

from evidence.idempotency import purge_expired


@shared_task(name="evidence.evaluate_agent", acks_late=True)
def evaluate_agent(agent_id: int) -> int:
    """Re-evaluate one agent's clauses; idempotent (a second run writes nothing). Returns verdicts written."""
    from evidence.verdicts import agent_evaluate

    return len(agent_evaluate(agent_id=agent_id))


@shared_task(name="evidence.sweep_verdicts")
def sweep_verdicts() -> int:
    """Periodic: evidence ages out of freshness with no new data, so every agent in force is re-evaluated."""
    from evidence.verdicts import agent_evaluate, agents_to_sweep

    return sum(len(agent_evaluate(agent_id=agent_id)) for agent_id in agents_to_sweep())


@shared_task(name="evidence.sign_checkpoint")
def sign_checkpoint() -> int:
    """Periodic (and on demand): sign a checkpoint of the log as it stands; returns its size."""
    from evidence.log import checkpoint_sign

    return checkpoint_sign().size


@shared_task(name="evidence.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Delete Idempotency-Keys older than their retention (at least 24 hours)."""
    return purge_expired()
