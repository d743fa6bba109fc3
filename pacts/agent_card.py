"""A2A Agent Card import: validate the card and map it onto agent fields.

An Agent Card (A2A protocol) describes an agent: ``name``, ``description``,
``version``, ``skills`` (each with ``id``, ``name``, ``description``, ``tags``)
and ``capabilities`` (flags such as ``streaming``). We keep the card as given
and derive the agent's name, description, version and capability list from it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema

from pacts.documents import DocumentError, json_path
from trust_portal.sanitise import escaped, value_problem

MAX_CARD_BYTES = 64 * 1024

CARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "description", "version", "skills", "capabilities"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 120},
        "description": {"type": "string", "maxLength": 5000},
        "version": {"type": "string", "minLength": 1, "maxLength": 50},
        "url": {"type": "string", "maxLength": 500},
        "capabilities": {
            "type": "object",
            "properties": {
                "streaming": {"type": "boolean"},
                "pushNotifications": {"type": "boolean"},
                "stateTransitionHistory": {"type": "boolean"},
            },
        },
        "skills": {
            "type": "array",
            "maxItems": 200,
            "items": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string", "minLength": 1, "maxLength": 100},
                    "name": {"type": "string", "minLength": 1, "maxLength": 200},
                    "description": {"type": "string", "maxLength": 2000},
                    "tags": {"type": "array", "items": {"type": "string", "maxLength": 100}},
                },
            },
        },
    },
}


@cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(CARD_SCHEMA)


def card_errors(card: Any) -> list[DocumentError]:
    if not isinstance(card, dict):
        return [DocumentError("$", "Expected an Agent Card JSON object.")]
    refused = value_problem(card)  # the API's parser checked it already; a card may come from elsewhere too
    if refused:
        return [
            DocumentError(json_path(escaped(p) if isinstance(p, str) else p for p in refused.parts), refused.message)
        ]
    if len(json.dumps(card)) > MAX_CARD_BYTES:
        return [DocumentError("$", f"The card is larger than {MAX_CARD_BYTES:,} bytes.")]
    errors: list[DocumentError] = []
    for error in _validator().iter_errors(card):
        path = json_path(error.absolute_path)
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            errors.extend(DocumentError(f"{path}.{name}", "Required field is missing.") for name in missing)
        else:
            errors.append(DocumentError(path, error.message))
    return sorted(errors, key=lambda e: e.path)


def agent_fields_from_card(card: dict[str, Any]) -> dict[str, Any]:
    skills = [skill["name"] for skill in card.get("skills", [])]
    flags = [name for name, enabled in sorted(card.get("capabilities", {}).items()) if enabled is True]
    return {
        "name": card["name"],
        "description": card.get("description", ""),
        "version": card["version"],
        "capabilities": skills + flags,
    }
