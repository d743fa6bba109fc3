"""Cursor pagination by default: stable under inserts, O(1) per page at any depth, and bounded.

A page holds at most ``API_PAGE_SIZE_MAX_ANON`` items for anonymous callers and ``API_PAGE_SIZE_MAX`` for
signed-in ones (``?page_size=`` above the cap is cut to it), and stops adding items once their JSON passes
``API_PAGE_MAX_BYTES``: the page is then shorter than asked and ``next`` carries on from the first item left
out, so an anonymous ``?page_size=500`` of large evidence records costs one bounded page, not 17 MB.
"""

from __future__ import annotations

from base64 import b64encode
from typing import Any
from urllib import parse

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from trust_portal.api.params import int_schema, query_int
from trust_portal.errors import InvalidQuery

CURSOR_REFUSED = "This cursor was not handed out by this list (follow next or previous)."


def page_size_cap(request: Request) -> int:
    signed_in = bool(request.user and request.user.is_authenticated)
    return int(settings.API_PAGE_SIZE_MAX if signed_in else settings.API_PAGE_SIZE_MAX_ANON)


class CursorPagination(pagination.CursorPagination):
    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        cap = page_size_cap(request)
        self.max_page_size = cap
        # Absent: the default; present: a whole number from 1 (anything else is a 400 naming it, unlike DRF,
        # which reads a bad value as the default: the schema says integer, so the server holds to it).
        if len(request.query_params.getlist(self.page_size_query_param)) > 1:
            raise InvalidQuery(f"Give {self.page_size_query_param} once.", field=self.page_size_query_param)
        size = query_int(request, self.page_size_query_param, default=int(api_settings.PAGE_SIZE or cap), minimum=1)
        return min(size, cap)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        """Only a cursor this list hands out (DRF answers one it cannot read with a 404, and reads most garbage —
        ``!!!``, a base64 of anything — as the first page): one that decodes and encodes back to itself."""
        given = request.query_params.getlist(self.cursor_query_param)
        if len(given) > 1:
            raise InvalidQuery("Give cursor once.", field=self.cursor_query_param)
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
        else:
            if cursor is None or self._token(cursor) == given[0]:
                return cursor
        raise InvalidQuery(CURSOR_REFUSED, field=self.cursor_query_param)

    @staticmethod
    def _token(cursor: pagination.Cursor) -> str:
        """The cursor parameter DRF's ``encode_cursor`` writes for ``cursor`` (without the URL around it)."""
        tokens: dict[str, str] = {}
        if cursor.offset != 0:
            tokens["o"] = str(cursor.offset)
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.position is not None:
            tokens["p"] = str(cursor.position)
        return b64encode(parse.urlencode(tokens, doseq=True).encode("ascii")).decode("ascii")

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError, DataError):
            if self.cursor_query_param not in request.query_params:
                raise
            # A cursor that decodes but whose position is not a value of the ordering's field (crafted by hand).
            raise InvalidQuery(CURSOR_REFUSED, field=self.cursor_query_param) from None

    def get_previous_link(self) -> str | None:
        # DRF, on a final page whose items share one position, steps back a whole page size from the end, which
        # skips the items before a short final page: step back over the items this page has.
        if self.page and not self.has_next:
            page_size, self.page_size = self.page_size, len(self.page)
            try:
                return super().get_previous_link()  # type: ignore[no-any-return]
            finally:
                self.page_size = page_size
        return super().get_previous_link()  # type: ignore[no-any-return]

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = int_schema(minimum=1)
                parameter["description"] = (
                    f"Items per page: {api_settings.PAGE_SIZE} by default, at most "
                    f"{settings.API_PAGE_SIZE_MAX_ANON} for anonymous callers and {settings.API_PAGE_SIZE_MAX} "
                    "signed in (a larger value is cut to the cap). A page also ends once its items pass "
                    f"{settings.API_PAGE_MAX_BYTES:,} bytes of JSON, keeping at least one: it is then shorter "
                    "than asked, and `next` carries on from the first item left out."
                )
        return parameters

    def keep(self, count: int) -> None:
        """Cut the page to its ``count`` items nearest the cursor, with the links a page size of ``count`` gives."""
        page = self.page or []
        if count >= len(page):
            return
        if self.cursor is not None and self.cursor.reverse:  # walking back: the nearest items are the last ones
            self.previous_position = self._get_position_from_instance(page[-count - 1], self.ordering)
            self.has_previous = True
            self.page = page[-count:]
        else:
            self.next_position = self._get_position_from_instance(page[count], self.ordering)
            self.has_next = True
            self.page = page[:count]


def serialize_within_budget(paginator: CursorPagination, serializer: type) -> list[Any]:
    """The page's items serialised, nearest the cursor first, until their JSON passes the byte budget.

    At least one item is kept whatever its size (or the list could never move on); the paginator's page and
    links are cut to the items kept.
    """
    budget = int(settings.API_PAGE_MAX_BYTES)
    reverse = paginator.cursor is not None and paginator.cursor.reverse
    child = serializer()
    page = paginator.page or []
    if reverse:
        page = list(reversed(page))
    items: list[Any] = []
    used = 0
    for obj in page:
        item = child.to_representation(obj)
        used += len(orjson.dumps(item, default=str)) + 1  # the comma between items
        if items and used > budget:
            break
        items.append(item)
    paginator.keep(len(items))
    return list(reversed(items)) if reverse else items


def paginated_response(
    view: APIView, request: Request, queryset: Any, serializer: type, ordering: str | tuple[str, ...]
) -> Response:
    """One page of ``queryset`` in ``ordering`` (cursor-paginated, capped in items and bytes), serialised, with
    next/previous links."""
    paginator = CursorPagination()
    paginator.ordering = ordering  # type: ignore[assignment]
    paginator.paginate_queryset(queryset, request, view=view)
    items = serialize_within_budget(paginator, serializer)
    return paginator.get_paginated_response(items)
