"""Attachments: decoded, size-limited, and typed by their bytes (never by their name)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

ALLOWED_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/json",
    "text/csv",
    "text/plain",
    "application/zip",
)


@dataclass(frozen=True)
class CheckedAttachment:
    data: bytes
    content_type: str
    filename: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class AttachmentTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"The attachment is {size:,} bytes; the limit is {limit:,} bytes.")


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, among those we accept."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"PK\x03\x04"):
        return "application/zip"
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        json.loads(text)
    except ValueError:
        return "text/plain"
    return "application/json"


def _compatible(declared: str, actual: str) -> bool:
    # CSV and JSON are text too; a text/plain claim on them is honest.
    return declared == actual or (
        declared in ("text/plain", "text/csv") and actual in ("text/plain", "application/json")
    )


def check_attachment(
    raw: dict[str, Any], *, limit: int, field: str
) -> tuple[CheckedAttachment | None, list[dict[str, str]]]:
    declared = raw.get("content_type")
    encoded = raw.get("data_base64")
    filename = str(raw.get("filename") or "")[:200]
    if declared not in ALLOWED_TYPES:
        return None, [
            {
                "field": f"{field}.content_type",
                "message": f"Expected one of {', '.join(ALLOWED_TYPES)}.",
                "code": "invalid_choice",
            }
        ]
    if not isinstance(encoded, str) or not encoded:
        return None, [
            {
                "field": f"{field}.data_base64",
                "message": "Expected the file's bytes, base64-encoded.",
                "code": "required",
            }
        ]
    if len(encoded) * 3 // 4 > limit + 3:
        raise AttachmentTooLarge(len(encoded) * 3 // 4, limit)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None, [{"field": f"{field}.data_base64", "message": "Not valid base64.", "code": "invalid"}]
    if len(data) > limit:
        raise AttachmentTooLarge(len(data), limit)
    actual = sniff(data)
    if actual is None or not _compatible(declared, actual):
        return None, [
            {
                "field": f"{field}.data_base64",
                "message": f"The bytes are not {declared} (they look like {actual or 'binary data of an unaccepted type'}).",
                "code": "content_mismatch",
            }
        ]
    return CheckedAttachment(data=data, content_type=declared, filename=filename), []
