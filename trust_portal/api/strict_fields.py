"""Text fields of the API take text: DRF's ``CharField`` (and its subclasses: slugs, regexes, URLs, e-mails) also
takes a JSON number and stores ``str(number)``, so ``{"note": 0}`` was accepted where the schema says ``string``.

Installed once, when ``trust_portal.api`` is first imported (every API module imports it before any request):
a number is then refused like a list or a boolean already is, with DRF's own ``invalid`` message ("Not a valid
string."). Likewise a ``BooleanField`` no longer reads the numbers 0 and 1 as false and true. Query parameters and
form fields arrive as text and are unaffected.
"""

from __future__ import annotations

from typing import Any

from rest_framework import fields


def _text_only(self: fields.CharField, data: Any) -> str:
    if not isinstance(data, str):
        self.fail("invalid")
    return data.strip() if self.trim_whitespace else data


_boolean = fields.BooleanField.to_internal_value


def _no_number(self: fields.BooleanField, data: Any) -> Any:
    if isinstance(data, (int, float)) and not isinstance(data, bool):  # DRF reads 0 and 1 as false and true
        self.fail("invalid", input=data)
    return _boolean(self, data)


def install() -> None:
    fields.CharField.to_internal_value = _text_only  # type: ignore[method-assign,assignment]
    fields.BooleanField.to_internal_value = _no_number  # type: ignore[method-assign,assignment]
