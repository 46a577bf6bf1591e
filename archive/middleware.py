"""Text posted by a browser enters the archive here, in the archive's own form."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict

from archive.text import normalise


class NormalisePostedTextMiddleware:
    """Undo the browser's form encoding of line breaks before any form sees the data.

    HTML form submission sends every line break of a textarea or hidden input as CRLF, whatever
    the text held: an article saved after editing only its standfirst came back with a CRLF
    body, and a passage selected across a paragraph break no longer matched its own text. The
    inverse is applied once, here, for every form of the site (admin pages, inlines, the
    annotation tool); services normalise again for callers that are not browsers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.POST = _normalised(request.POST)
        return self.get_response(request)


def _normalised(data: QueryDict) -> QueryDict:
    if not any("\r" in value for values in data.lists() for value in values[1]):
        return data
    copy = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        copy.setlist(key, [normalise(value) for value in values])
    copy._mutable = False
    return copy
