"""The handlers ``verdicts.apps`` registers on the hooks of evidence, pacts and the log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from evidence.models import EvidenceRecord
from verdicts.tasks import evaluate_agent


def evaluate_on_accept(agent_id: int) -> None:
    evaluate_agent.delay_on_commit(agent_id)


def evaluate_on_publish(version: Any) -> None:
    evaluate_agent.delay_on_commit(version.pact.agent_id)


def logged_evidence() -> Iterator[tuple[int, str]]:
    """What each evidence leaf commits to, in index order (for ``verify_log``)."""
    rows = (
        EvidenceRecord.objects.filter(leaf_index__isnull=False)
        .order_by("leaf_index")
        .values_list("leaf_index", "canonical")
    )
    for index, data in rows.iterator():
        if index is not None:
            yield index, data
