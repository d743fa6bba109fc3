"""Verdict fixtures: submit evidence as the vendor with the on-commit work run (the evaluation task), and read
a clause's current verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from evidence import services
from verdicts.models import Verdict


@pytest.fixture
def submit(agent, vendor, wire, django_capture_on_commit_callbacks) -> Callable[..., list[Any]]:
    """submit(**overrides) -> the stored records of one wire record, after the tasks queued on commit ran."""

    def run(**overrides: Any) -> list[Any]:
        with django_capture_on_commit_callbacks(execute=True):
            return services.evidence_submit(agent=agent, items=[wire(**overrides)], user=vendor, batch=False)

    return run


@pytest.fixture
def current(agent) -> Callable[[str], Verdict]:
    """current(clause_id="resolution-rate") -> the agent's current verdict for that clause."""

    def get(clause_id: str = "resolution-rate") -> Verdict:
        return Verdict.objects.get(agent=agent, clause_id=clause_id, is_current=True)

    return get
