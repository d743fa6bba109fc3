"""Schema pieces every API module shares (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse

PROBLEM = OpenApiResponse(
    description="Problem details (application/problem+json)", response={"$ref": "#/components/schemas/Problem"}
)
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}

# What any operation may answer, whatever its view says: the input sanitiser refuses control characters in any
# path, query or header (400); the bearer authentication runs on every operation, public ones included, so a
# malformed or unknown token is a 401; every operation is throttled (429).
EVERY_OPERATION = {
    "400": "Invalid input: a parameter, header or body outside the input limits (docs/input.md)",
    "401": "Authentication failed: the bearer token is malformed, unknown, expired or revoked",
    "429": "Too many requests (Retry-After says when to try again)",
}


# Text without the control characters the sanitiser refuses (trust_portal.sanitise.CONTROL_CHARACTERS), as a JSON
# Schema pattern: what every string parameter and request field accepts unless it says more.
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$"


FORMATS = ("binary", "byte", "date-time", "date", "uuid", "uri", "email")  # formats that already exclude them


def _text_only(schema: Any, seen: set[int]) -> None:
    """Give every string of a request schema without a pattern of its own the TEXT_PATTERN."""
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen.add(id(schema))
    free_text = "pattern" not in schema and "enum" not in schema
    if schema.get("type") == "string" and free_text and schema.get("format") not in FORMATS:
        schema["pattern"] = TEXT_PATTERN
    if schema.get("type") == "object" or "properties" in schema:
        schema.setdefault("propertyNames", {"pattern": TEXT_PATTERN})  # keys are text too, unknown ones included
    for key in ("properties", "patternProperties"):
        for item in schema.get(key, {}).values():
            _text_only(item, seen)
    for key in ("items", "additionalProperties", "not"):
        _text_only(schema.get(key), seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for item in schema.get(key, []):
            _text_only(item, seen)


def problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: every error response is documented as what it is, ``application/problem+json``; every
    operation lists the statuses of EVERY_OPERATION (plus 404 where the path names an object, 415 where it takes a
    body); request strings say they hold no control characters."""
    seen: set[int] = set()
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):  # COMPONENT_SPLIT_REQUEST: the request side of a serializer
            _text_only(component, seen)
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                _text_only(parameter.get("schema"), seen)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                _text_only(media.get("schema"), seen)
            responses = operation["responses"]
            extra = dict(EVERY_OPERATION)
            names = {parameter.get("name") for parameter in operation.get("parameters", [])}
            if "{" in path:
                extra["404"] = "Not found, or not visible to the caller"
            elif "cursor" in names:
                extra["404"] = "The cursor is not one this list handed out"
            if "requestBody" in operation:
                extra["415"] = "Unsupported media type"
            for status, description in extra.items():
                responses.setdefault(status, {"description": description})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = PROBLEM_CONTENT
    return result
