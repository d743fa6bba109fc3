"""Evidence fixtures: the pact fixtures, plus a record factory in the wire format."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.pacts.conftest import agent, document, draft_pact, published_pact  # noqa: F401


def wire_record(*, age: timedelta = timedelta(hours=1), **overrides: Any) -> dict[str, Any]:
    """One valid record in the wire format whose period ended ``age`` ago; an override of None drops the key."""
    end = timezone.now() - age
    record: dict[str, Any] = {
        "kind": "telemetry",
        "metric": "task_success",
        "successes": 57,
        "trials": 60,
        "observed_from": (end - timedelta(days=1)).isoformat(),
        "observed_to": end.isoformat(),
        "source": {"tool": "prod-telemetry", "version": "1.4"},
        "visibility": "public",
    }
    for key, value in overrides.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return record


@pytest.fixture
def wire() -> Callable[..., dict[str, Any]]:
    """wire(**overrides) -> one valid record in the wire format (a success count observed an hour ago)."""
    return wire_record
