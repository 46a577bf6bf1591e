"""Pagination: cursors on the large lists, pages on the small ones; a page size with a maximum.

A malformed page size, page or cursor is the client's mistake and gets a 400 that says so (DRF
would silently fall back to the default size, or answer 404 for a bad cursor).

A cursor is opaque to the client but not to us: its position is compared with the ordering
column in SQL, so a forged one (a non-date, a NUL, a 10,000-character string) would reach the
database and fail there (a 500 on PostgreSQL). Each position is parsed for the column it is
compared with before any query is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

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


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _date_position(raw: str) -> date:
    if not _ISO_DATE.fullmatch(raw):
        raise ValueError(raw)
    return date.fromisoformat(raw)


def _text_position(raw: str) -> str:
    # No column compared by cursor is longer than 500 characters (Article.headline).
    if "\x00" in raw or len(raw) > 500:
        raise ValueError(raw)
    return raw


# The column each ordering's cursor position is compared with, and how to read it. An ordering
# missing here cannot be paginated by cursor: adding one means saying how its position parses.
POSITION_PARSERS: dict[str, Callable[[str], object]] = {
    "date_sort": _date_position,
    "headline": _text_position,
}


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
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise self._invalid() from exc
        if cursor is None or cursor.position is None:
            return cursor
        parse = POSITION_PARSERS[self.ordering[0].lstrip("-")]
        try:
            parse(cursor.position)
        except ValueError as exc:
            raise self._invalid() from exc
        # Kept as the string: DRF compares it with str() of each row's value to find ties.
        return cursor

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})


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
