"""The examples in the docs are valid pacts (the docs cannot drift from the schema)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pacts.documents import validate

ROOT = Path(__file__).resolve().parents[2]
BLOCKS = re.findall(r"```json\n(.*?)```", (ROOT / "docs" / "pacts.md").read_text(), flags=re.S)


def test_docs_have_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS)
def test_docs_example_is_valid(block: str) -> None:
    assert validate(json.loads(block)) == []
