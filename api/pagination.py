"""Cursor pagination for every large list: stable under inserts, and a deep page costs
what the first page costs (keyset, no OFFSET over the skipped rows)."""

from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"
    ordering = "-id"


class PathCursor(Cursor):
    """Areas in tree order."""

    ordering = "path"


class IdCursor(Cursor):
    ordering = "id"
