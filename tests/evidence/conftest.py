"""Evidence fixtures: one stored record, and the bytes of the real tool-output files (read once per module)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evidence import services
from evidence.models import EvidenceRecord
from tests.evidence.files import INSPECT_EVAL, INSPECT_JSON, PROMPTFOO_JSON, eval_entry


@pytest.fixture
def record(agent, vendor, wire) -> EvidenceRecord:
    """One public success count, stored and read back."""
    stored = services.evidence_submit(agent=agent, items=[wire()], user=vendor, batch=False)[0]
    return EvidenceRecord.objects.get(pk=stored.id)


@pytest.fixture(scope="module")
def inspect_json_bytes() -> bytes:
    return INSPECT_JSON.read_bytes()


@pytest.fixture(scope="module")
def inspect_log(inspect_json_bytes: bytes) -> dict[str, Any]:
    return json.loads(inspect_json_bytes)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def eval_bytes() -> bytes:
    return INSPECT_EVAL.read_bytes()


@pytest.fixture(scope="module")
def eval_header(eval_bytes: bytes) -> dict[str, Any]:
    return eval_entry(eval_bytes, "header.json")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def promptfoo_bytes() -> bytes:
    return PROMPTFOO_JSON.read_bytes()


@pytest.fixture(scope="module")
def promptfoo_doc(promptfoo_bytes: bytes) -> dict[str, Any]:
    return json.loads(promptfoo_bytes)  # type: ignore[no-any-return]
