"""Content negotiation that names a bad ``?format=``: DRF answers an unknown one with a bare 404, as if the
resource were missing; here it is a 400 naming ``format`` and the formats the operation answers in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from trust_portal.errors import InvalidQuery


class FormatNamingNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        renderers = list(renderers)
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            given = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) or ""
            formats = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise InvalidQuery(
                f"Unknown format {given[:40]!r} (this operation answers in: {formats}).", field="format"
            ) from None
