"""Cursor pagination by default: stable under inserts, O(1) per page at any depth, and bounded.

A page holds at most ``API_PAGE_SIZE_MAX_ANON`` items for anonymous callers and ``API_PAGE_SIZE_MAX`` for
signed-in ones (``?page_size=`` above the cap is cut to it), and stops adding items once their JSON passes
``API_PAGE_MAX_BYTES``: the page is then shorter than asked and ``next`` carries on from the first item left
out, so an anonymous ``?page_size=500`` of large evidence records costs one bounded page, not 17 MB.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from trust_portal.api.params import int_schema, query_int
from trust_portal.errors import InvalidQuery


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
        size = query_int(request, self.page_size_query_param, default=int(api_settings.PAGE_SIZE or cap), minimum=1)
        return min(size, cap)

    def decode_cursor(self, request: Request) -> pagination.Cursor | None:
        # DRF answers a cursor it cannot read with a 404; it is a bad parameter, so a 400 naming it.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise InvalidQuery(
                "This cursor was not handed out by this list (take next or previous).", field="cursor"
            ) from None

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError):
            if self.cursor_query_param not in request.query_params:
                raise
            # A cursor that decodes but whose position is not a value of the ordering's field (crafted by hand).
            raise InvalidQuery(
                "This cursor was not handed out by this list (take next or previous).", field="cursor"
            ) from None

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
