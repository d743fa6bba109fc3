"""Cursor pagination by default: stable under inserts, O(1) per page at any depth."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500
