"""What the apps above ask of disputes (registered in ``disputes.apps``)."""

from __future__ import annotations

from django.db.models import Q

from disputes.models import Dispute


def clauses_under_dispute(agent_id: int) -> set[tuple[int, str]]:
    """``(pact_id, clause_id)`` of every clause an open dispute about the agent covers."""
    return set(
        Dispute.objects.open()
        .filter(agent_id=agent_id, pact__isnull=False)
        .exclude(clause_id="")
        .values_list("pact_id", "clause_id")
    )


def open_dispute_count_sql() -> str:
    """How many disputes about the agent are open, as a scalar SQL expression over the agent column ``a.id``
    (``reputation.policies.open_disputes_sql``: a decision reads it in its one query)."""
    from disputes.models import TERMINAL

    terminal = ", ".join(f"'{status}'" for status in TERMINAL)  # our own constants, never input
    return (
        f"(SELECT COUNT(*) FROM {Dispute._meta.db_table} d "  # noqa: S608
        f"WHERE d.agent_id = a.id AND d.status NOT IN ({terminal}))"
    )


def entries_under_dispute(entry_ids: list[int]) -> set[int]:
    """Of these ledger entries, those an open dispute holds: disputed themselves, or earned by a disputed verdict."""
    from reputation.models import LedgerEntry

    if not entry_ids:
        return set()
    disputed = Dispute.objects.open()
    return set(
        LedgerEntry.objects.filter(pk__in=entry_ids)
        .filter(
            Q(pk__in=disputed.filter(ledger_entry__isnull=False).values("ledger_entry_id"))
            | Q(verdict_id__in=disputed.filter(verdict__isnull=False).values("verdict_id"))
        )
        .values_list("pk", flat=True)
    )
