"""Text as the archive stores it, and the anchors that point into it.

Below both the models and the services (it imports neither), so that both can check an anchor
without importing each other. Every text that enters — a posted form, the annotation tool, the
importer, a service called from code — goes through `normalise` once before it is compared or
stored, so that the same words are always the same characters.
"""

from __future__ import annotations

import hashlib
import re

from django.core.exceptions import ValidationError

# How much context a TextQuoteSelector keeps on each side of the exact text.
CONTEXT_CHARS = 32

_LINE_BREAK = re.compile(r"\r\n?")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def normalise(text: str) -> str:
    """The archive's form of a text: line breaks are LF.

    Browsers submit every textarea and hidden input with CRLF line breaks (the HTML form
    encoding requires it), and captures come with CRLF or lone CR; the offsets of anchors count
    one character per line break, so all of them become LF. Nothing else is rewritten: quote
    marks, dashes, spaces and the composition of accented letters stay exactly as typed, since
    a quote must remain the speaker's words character for character.
    """
    return _LINE_BREAK.sub("\n", text) if "\r" in text else text


def normalise_fields(fields: dict) -> dict:
    """`fields` with every str value normalised (other values as they are)."""
    return {
        name: normalise(value) if isinstance(value, str) else value
        for name, value in fields.items()
    }


def refuse_unstorable(**texts: str | None) -> None:
    """Refuse, with a message per field, characters no database of the archive can store.

    PostgreSQL cannot store NUL in text (SQLite can); a lone UTF-16 surrogate cannot be encoded
    as UTF-8 at all. Refused rather than dropped: silently removing a character would change
    the text without anyone knowing.
    """
    errors = {}
    for name, text in texts.items():
        if not text:
            continue
        if "\x00" in text:
            errors[name] = "The text contains a NUL character."
        elif _SURROGATE.search(text):
            errors[name] = "The text contains an unpaired surrogate (not a character)."
    if errors:
        raise ValidationError(dict(sorted(errors.items())))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def quote_context(*, body: str, start: int, end: int) -> tuple[str, str]:
    """The prefix and suffix of a TextQuoteSelector for body[start:end]."""
    return body[max(0, start - CONTEXT_CHARS) : start], body[end : end + CONTEXT_CHARS]


def check_anchor(
    *,
    body: str,
    start: int,
    end: int,
    exact: str,
    prefix: str | None = None,
    suffix: str | None = None,
) -> None:
    """Raise ValidationError unless body[start:end] is `exact` (and the context agrees)."""
    if start is None or end is None:
        raise ValidationError("Both start and end offsets are required.")
    if not 0 <= start < end:
        raise ValidationError(f"Offsets must satisfy 0 <= start < end (got {start}, {end}).")
    if end > len(body):
        raise ValidationError(
            f"The passage ends at {end}, past the end of the body ({len(body)} characters)."
        )
    if body[start:end] != exact:
        raise ValidationError(
            f"The text at {start}–{end} is “{body[start:end][:80]}”, not the quoted “{exact[:80]}”."
        )
    if prefix and not body[:start].endswith(prefix):
        raise ValidationError("The TextQuote prefix does not match the text before the passage.")
    if suffix and not body[end:].startswith(suffix):
        raise ValidationError("The TextQuote suffix does not match the text after the passage.")
