"""Inputs of the evidence imports: the real tool-output files, a reader for .eval archives independent of
the importer, and builders of generic JSONL input.

The Inspect AI JSON log lives in tests/fixtures/; the ``.eval`` archive and the promptfoo results are the
demo's own copies under ``evidence/demo_data/`` (one copy of each; see tests/fixtures/README.md).
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import zstandard
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.demo import INSPECT_EVAL, PROMPTFOO_RESULTS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
INSPECT_JSON = FIXTURES / "inspect" / "refund_policy_eval.json"
PROMPTFOO_JSON = PROMPTFOO_RESULTS
ZSTD = 93

__all__ = ["INSPECT_EVAL", "INSPECT_JSON", "PROMPTFOO_JSON", "ZSTD", "eval_entry", "jsonl", "upload", "wire_line"]


def eval_entry(raw: bytes, name: str) -> Any:
    """One JSON entry of a .eval archive, decoded independently of the importer (local header + zstd stream)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        info = archive.getinfo(name)
    assert info.compress_type == ZSTD
    name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    data = zstandard.ZstdDecompressor().decompressobj().decompress(raw[start : start + info.compress_size])
    return json.loads(data)


def wire_line(**overrides: Any) -> dict[str, Any]:
    """One line of generic JSONL input (fixed dates; the importers do not check freshness)."""
    record: dict[str, Any] = {
        "kind": "telemetry",
        "metric": "task_success",
        "successes": 57,
        "trials": 60,
        "observed_from": "2026-11-20T00:00:00Z",
        "observed_to": "2026-11-21T00:00:00Z",
    }
    record.update(overrides)
    return record


def jsonl(*lines: Any) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()


def upload(path: Path, data: bytes | None = None) -> SimpleUploadedFile:
    """A file upload named like ``path``, with its bytes (or ``data`` instead)."""
    return SimpleUploadedFile(path.name, path.read_bytes() if data is None else data)
