"""Pagination: cursors on the large lists, pages on the small ones; a page size with a maximum.

A malformed page size, page or cursor is the client's mistake and gets a 400 that says so (DRF
would silently fall back to the default size, or answer 404 for a bad cursor).
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def _strict_int(request, name: str, default: int, *, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    upper = f" and {maximum}" if maximum else ""
    message = f"'{name}' must be a whole number between 1{upper}."
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise ValidationError({name: [message]})
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        raise ValidationError({name: [message]})
    return value


def _link_header(next_url: str | None, previous_url: str | None) -> str:
    pairs = (("next", next_url), ("prev", previous_url))
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in pairs if url)


class LinkHeaderMixin:
    """Next and previous pages in an RFC 8288 `Link` header as well as in the body."""

    def get_paginated_response(self, data) -> Response:
        response = super().get_paginated_response(data)
        link = _link_header(self.get_next_link(), self.get_previous_link())
        if link:
            response["Link"] = link
        return response


class ArchiveCursorPagination(LinkHeaderMixin, CursorPagination):
    """Stable pages over large lists; the order comes from the view's validated `ordering`."""

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    invalid_cursor_message = "The cursor is not one this API issued; follow 'next' or 'previous'."

    def get_page_size(self, request) -> int:
        return _strict_int(
            request, self.page_size_query_param, self.page_size, maximum=self.max_page_size
        )

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        return view.cursor_ordering(request)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from exc


class ArchivePagePagination(LinkHeaderMixin, PageNumberPagination):
    """Numbered pages for the small tables (people, places, sources, collections)."""

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"

    def get_page_size(self, request) -> int:
        return _strict_int(
            request, self.page_size_query_param, self.page_size, maximum=self.max_page_size
        )

    def paginate_queryset(self, queryset, request, view=None):
        _strict_int(request, self.page_query_param, 1)
        return super().paginate_queryset(queryset, request, view)
