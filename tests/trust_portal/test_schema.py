"""The OpenAPI schema's shared parts (trust_portal.api.schema): what schemathesis holds the API to."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from trust_portal.api.schema import FORMATS, PROBLEM_MEDIA_TYPE, TEXT_PATTERN
from trust_portal.sanitise import CONTROL_CHARACTERS


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def test_every_operation_documents_the_refusals_any_request_can_meet(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        assert {"400", "401", "429"} <= set(operation["responses"]), (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)


def test_every_error_response_is_documented_as_problem_json(schema: dict[str, Any]) -> None:
    """Every error the application answers; 414 is gunicorn's own page, before the request reaches Django."""
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if status == "414":
                assert list(response["content"]) == ["text/html"], (method, path, status)
            elif int(status) >= 400:
                assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], (method, path, status)


def test_request_strings_say_they_hold_no_control_characters(schema: dict[str, Any]) -> None:
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            text = parameter["schema"]
            if text.get("type") == "string" and "enum" not in text and text.get("format") not in FORMATS:
                assert "pattern" in text, (method, path, parameter["name"])


@pytest.mark.parametrize("char", [chr(c) for c in range(0x20) if c not in (9, 10, 13)] + ["\x7f"])
def test_the_schema_pattern_refuses_what_the_sanitiser_refuses(char: str) -> None:
    pattern = re.compile(TEXT_PATTERN)
    assert CONTROL_CHARACTERS.search(char)
    assert not pattern.match(f"a{char}b")
    assert pattern.match("a\tb\nc\rd é 😀")
