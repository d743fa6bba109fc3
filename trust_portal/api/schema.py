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


# gunicorn refuses a request line beyond --limit-request-line (4,094 bytes by default) itself.
URI_TOO_LONG = {
    "description": "URI too long: the request line passes the server's limit (4,094 bytes under gunicorn's default)",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


# Text without the control characters the sanitiser refuses (trust_portal.sanitise.CONTROL_CHARACTERS), as a JSON
# Schema pattern: what every string parameter and request field accepts unless it says more.
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$"


FORMATS = ("binary", "byte", "date-time", "date", "uuid", "uri", "email")  # formats that already exclude them

# Whole numbers within ±(2^53 − 1): what the JSON parser lets through (docs/input.md, I-JSON).
JSON_INT_MAX = 2**53 - 1

# Any JSON value the parser lets through (trust_portal.sanitise.check_json), as a schema: what an unknown field of a
# JSON body, or a free-form object's values, may hold. Text without the refused control characters (keys too, unsaid), numbers
# within ±(2^53 − 1). Written out rather than left as `{}`: a field the server ignores is still parsed and checked,
# so "anything" would promise more than the parser takes (and schemathesis' generator for `{}` is a recursive
# strategy whose repr makes Hypothesis parse schemathesis' own source, which CPython 3.11.7 fails at depth with
# "SystemError: AST constructor recursion depth mismatch"; a named, self-referencing schema is drawn lazily instead).
JSON_VALUE_NAME = "JsonValue"
JSON_VALUE_REF = {"$ref": f"#/components/schemas/{JSON_VALUE_NAME}"}
JSON_VALUE = {
    "description": "Any JSON value within the input limits (docs/input.md): text and keys without control "
    "characters other than tab and line ends, numbers within ±(2^53 − 1), at most 32 levels of nesting.",
    "nullable": True,
    "anyOf": [
        {"type": "string", "pattern": TEXT_PATTERN},
        {"type": "integer", "minimum": -JSON_INT_MAX, "maximum": JSON_INT_MAX},
        {"type": "number", "format": "double"},  # a fraction or an exponent: any finite double
        {"type": "boolean"},
        {"type": "array", "items": JSON_VALUE_REF},
        {"type": "object", "additionalProperties": JSON_VALUE_REF},
    ],
}


def _text_only(schema: Any, seen: set[int], json_body: bool = True) -> None:
    """Give every string of a request schema without a pattern of its own the TEXT_PATTERN; in a JSON body, say
    what an object's unknown fields may hold (JSON_VALUE) where the schema left them open."""
    if not isinstance(schema, dict) or id(schema) in seen:
        return
    seen.add(id(schema))
    free_text = "pattern" not in schema and "enum" not in schema
    if schema.get("type") == "string" and free_text and schema.get("format") not in FORMATS:
        schema["pattern"] = TEXT_PATTERN
    # An unknown field is parsed and checked like any other (its key too: no control characters, which OpenAPI 3.0
    # cannot say of keys, having neither propertyNames nor patternProperties; see schemathesis.toml).
    is_object = schema.get("type") == "object" or "properties" in schema
    if json_body and is_object and schema.get("additionalProperties", True) in ({}, True):
        schema["additionalProperties"] = dict(JSON_VALUE_REF)
    if schema.get("type") == "integer":  # the parser refuses whole numbers beyond ±(2^53 − 1) anywhere in a body
        schema.setdefault("minimum", -JSON_INT_MAX)
        schema.setdefault("maximum", JSON_INT_MAX)
    if json_body and schema.get("type") == "array" and schema.get("items", {}) == {}:
        schema["items"] = dict(JSON_VALUE_REF)
    for key in ("properties", "patternProperties"):
        for item in schema.get(key, {}).values():
            _text_only(item, seen, json_body)
    for key in ("items", "additionalProperties", "not"):
        _text_only(schema.get(key), seen, json_body)
    for key in ("allOf", "anyOf", "oneOf"):
        for item in schema.get(key, []):
            _text_only(item, seen, json_body)


def problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: every error response is documented as what it is, ``application/problem+json``; every
    operation lists the statuses of EVERY_OPERATION (plus 404 where the path names an object, 415 where it takes a
    body); request strings say they hold no control characters."""
    seen: set[int] = set()
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request"):  # COMPONENT_SPLIT_REQUEST: the request side of a serializer (JSON bodies)
            _text_only(component, seen)
    schemas[JSON_VALUE_NAME] = JSON_VALUE
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                _text_only(parameter.get("schema"), seen)
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                _text_only(media.get("schema"), seen, json_body=media_type == "application/json")
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
            # Answered by gunicorn before Django sees the request, so an HTML page, not problem+json.
            responses.setdefault("414", URI_TOO_LONG)
    return result
