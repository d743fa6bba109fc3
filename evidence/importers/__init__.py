"""Importers turn an evaluation tool's result file into evidence records in the wire format.

Each importer is ``parse(data: bytes, options) -> Parsed``: the tool's identity
(tool, version, task, dataset) and the records. They are pure functions over
bytes; ``evidence.services_import`` stores the result once per file hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ImportError_(Exception):
    """The file is not what its format says; ``errors`` name where (line, path, entry)."""

    def __init__(self, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass
class ImportOptions:
    metric: str = ""  # map the tool's score onto this metric name (else the tool's own name)
    visibility: str = "public"
    kind: str = "eval_run"


@dataclass
class Parsed:
    tool: str
    tool_version: str = ""
    task: str = ""
    dataset: str = ""
    run_id: str = ""  # the tool's id of the run: the same run imported from another file adds nothing
    records: list[dict[str, Any]] = field(default_factory=list)


Importer = Callable[[bytes, ImportOptions], Parsed]


def importers() -> dict[str, Importer]:
    from evidence.importers import generic, inspect_ai, promptfoo

    return {
        "inspect": _structural(inspect_ai.parse, "an Inspect log"),
        "promptfoo": _structural(promptfoo.parse, "a promptfoo results file"),
        "jsonl": generic.parse_jsonl,
        "csv": generic.parse_csv,
    }


def _structural(parse: Importer, what: str) -> Importer:
    """A tool's file is nested data of someone else's design: a part of the wrong type (a list where the format
    has an object, a string for a number) is the file's fault, a 400 that says so, never a 500."""

    def guarded(data: bytes, options: ImportOptions) -> Parsed:
        try:
            return parse(data, options)
        except (AttributeError, TypeError, KeyError, IndexError, ValueError, OverflowError) as error:
            raise ImportError_(f"Not {what} this portal can read: a part has an unexpected type ({error}).") from None

    return guarded
