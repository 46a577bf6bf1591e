"""Formats besides JSON: CSV for researchers, IPTC ninjs, W3C Web Annotation JSON-LD.

The renderers only encode; what goes in is decided by the views and serializers, so every
format carries exactly what the JSON carries.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from rest_framework.renderers import BaseRenderer, JSONRenderer

# Spreadsheet programs run cells that start with these as formulas; a leading apostrophe keeps
# a quote such as "=…" or "-…" a piece of text (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _pluck(row: dict, path: str):
    """`speaker.name` → row["speaker"]["name"]; a list is joined with '; ' (tags.slug)."""
    value = row
    for part in path.split("."):
        if isinstance(value, list):
            return "; ".join(_cell(item.get(part) if item else None) for item in value)
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, list):
        return "; ".join(_cell(item) for item in value)
    return value


class CSVRenderer(BaseRenderer):
    """One row per object of the page, with the columns the view names in `csv_columns`.

    Cursor pages are followed with the `Link` header (and the `next` URL of the JSON).
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        renderer_context = renderer_context or {}
        view = renderer_context.get("view")
        columns: Iterable[str] = getattr(view, "csv_columns", ())
        rows = data.get("results", []) if isinstance(data, dict) else (data or [])
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(_pluck(row, column)) for column in columns])
        response = renderer_context.get("response")
        if response is not None and view is not None:
            response["Content-Disposition"] = f'inline; filename="{view.basename}.csv"'
        return buffer.getvalue().encode(self.charset)


class NinjsRenderer(JSONRenderer):
    """An article as an IPTC ninjs 3.1 news item (the view picks the ninjs serializer)."""

    media_type = "application/vnd.iptc.ninjs+json"  # no registered type; a vendor-tree name
    format = "ninjs"
    charset = None


class JSONLDRenderer(JSONRenderer):
    """W3C Web Annotation JSON-LD (the Web Annotation protocol's media type)."""

    media_type = "application/ld+json"
    format = "jsonld"
    charset = None
