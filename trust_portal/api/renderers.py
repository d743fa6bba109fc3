"""A JSON renderer for the hot answers (the access decision): DRF's ``JSONRenderer`` output, encoded by orjson.

DRF encodes with the standard library's ``json`` and its ``JSONEncoder``: a fifth of a decision's rendering and
header time (bench/decision.py). orjson writes the same compact JSON (insertion-ordered keys, UTF-8, ``,`` and
``:`` without spaces); what it would write differently is handed to DRF's encoder: datetimes (DRF's ISO form, a
``Z`` for UTC), and every type orjson does not know (decimals, lazy strings, UUIDs as DRF writes them).
Integers beyond 64 bits, float subclasses, dataclasses and an indented rendering (``Accept: application/json;
indent=4``) go to DRF's renderer itself, so its refusals and its pretty-printing stay its own. Two differences
remain: floats are written in their shortest round-trip form by both, but orjson writes ``1e16`` where ``json``
writes ``1e+16`` (the same number); and a NaN or an infinity, which DRF's strict JSON refuses to write (a 500),
orjson writes as ``null`` — no answer rendered here carries one (scores and bounds are finite by construction,
trustcore.score).
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
_ESCAPES = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))  # as DRF: a strict JavaScript subset


class _Unsure(Exception):
    """orjson would write this value otherwise than DRF: let DRF render the whole answer."""


_encoder = JSONEncoder()


def _default(value: Any) -> Any:
    if isinstance(value, float):  # only reached for a subclass; a plain float orjson writes itself
        raise _Unsure
    return _encoder.default(value)


class FastJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None or not self.compact or self.ensure_ascii or not self.strict:
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[no-any-return]
        if self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[no-any-return]
        try:
            encoded = orjson.dumps(data, default=_default, option=_OPTIONS)
        except (orjson.JSONEncodeError, _Unsure):  # a 65-bit integer, a type DRF's encoder refuses too
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[no-any-return]
        for raw, escaped in _ESCAPES:
            if raw in encoded:
                encoded = encoded.replace(raw, escaped)
        return encoded
