"""Cursor pagination by default: stable under inserts, O(1) per page at any depth."""

from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class CursorPagination(pagination.CursorPagination):
    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated_response(
    view: APIView, request: Request, queryset: Any, serializer: type, ordering: str | tuple[str, ...]
) -> Response:
    """One page of ``queryset`` in ``ordering`` (cursor-paginated), serialised, with next/previous links."""
    paginator = CursorPagination()
    paginator.ordering = ordering  # type: ignore[assignment]
    page: Any = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)
