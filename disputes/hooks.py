"""What the apps above ask of disputes (registered in ``disputes.apps``)."""

from __future__ import annotations

from disputes.models import Dispute


def clauses_under_dispute(agent_id: int) -> set[tuple[int, str]]:
    """``(pact_id, clause_id)`` of every clause an open dispute about the agent covers."""
    return set(
        Dispute.objects.open()
        .filter(agent_id=agent_id, pact__isnull=False)
        .exclude(clause_id="")
        .values_list("pact_id", "clause_id")
    )


def open_dispute_count(agent_id: int) -> int:
    return Dispute.objects.open().filter(agent_id=agent_id).count()
