"""Cleaning a raw capture into a body, without rewriting a word of it.

Cleaning only removes whole lines (navigation and subscription debris, credit lines, repeated
paragraphs) and normalises whitespace; every character of the body that is not whitespace
comes, in order, from the raw capture. What was removed is returned so the importer can report
it and record dropped duplicates as annotations.
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from dataclasses import dataclass, field

# Lines that are page furniture, compared case-insensitively after stripping punctuation.
BOILERPLATE_EXACT = frozenset(
    {
        "search",
        "menu",
        "home",
        "close",
        "share",
        "print",
        "email",
        "listen",
        "listen to this article",
        "subscribe",
        "subscribe our news",
        "subscribe to our news",
        "subscribe to our newsletter",
        "sign in",
        "log in",
        "sign up",
        "advertisement",
        "read more",
        "related",
        "related articles",
        "most read",
        "skip to content",
        "follow us",
        "brought to you by",
        "article written by",
        "posted",
        "by",
        "photo",
        "photos",
        "video",
        "comments",
        "share this article",
        "copy link",
        "reading time",
    }
)

# Prefix rules apply to short lines only, so that a real sentence is never taken for furniture.
BOILERPLATE_SHORT_LINE = 60
BOILERPLATE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^reading time\s*:?\s*\d+\s*(min|mins|minutes?)\.?$",
        r"^\d+\s*(min|mins|minutes?)\s+read$",
        r"^source\s+site-\d+$",
        r"^posted(\s+(on|at|by)\b.*)?$",
        r"^(published|updated|posted|date)\s*:?\s*(on\s+)?\w+\.?\s+\d.*$",
        r"^(published|updated|posted|date)\s*:?\s*(on\s+)?\d.*$",
        r"^article written by\s*$",
        r"^subscribe\b.*$",
        r"^(listen|écouter)\s*(\(\d+.*\))?$",
        r"^(share|follow us)\s+on\b.*$",
        r"^(cookie|cookies)\b.*$",
        r"^all rights reserved\.?$",
        r"^©.*$",
    )
)

# Paragraphs at least this similar (difflib ratio) to an earlier one are capture repeats.
NEAR_DUPLICATE_RATIO = 0.85
# Short paragraphs ("He sighs.") may legitimately recur; only longer ones are deduplicated.
DUPLICATE_MIN_CHARS = 40
# Repeats produced by a capture sit close together; comparing with a window of recent
# paragraphs keeps the cost linear on very long files.
DUPLICATE_WINDOW = 60
# Share of word pairs two paragraphs must have in common before difflib compares them; a
# near repeat ("Since he was dropped off" / "Since being sent off") keeps most of them.
PAIR_OVERLAP = 0.5

_TERMINAL = tuple(".!?:;\"”’»)…]'")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


@dataclass(frozen=True)
class Paragraph:
    text: str
    line: int  # 1-based line number in the raw capture where it starts


@dataclass(frozen=True)
class DroppedDuplicate:
    text: str
    line: int
    kept_index: int  # index, among the kept paragraphs, of the one it repeats
    ratio: float


@dataclass
class Cleaned:
    paragraphs: list[Paragraph]
    boilerplate: list[Paragraph] = field(default_factory=list)
    duplicates: list[DroppedDuplicate] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(p.text for p in self.paragraphs)

    def paragraph_offsets(self) -> list[tuple[int, int]]:
        """(start, end) of each kept paragraph in `body`."""
        offsets, pos = [], 0
        for p in self.paragraphs:
            offsets.append((pos, pos + len(p.text)))
            pos += len(p.text) + 2
        return offsets


def normalise_line(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def is_boilerplate(line: str) -> bool:
    key = line.strip().strip(".:·|-–—•").strip().casefold()
    if not key:
        return False
    if key in BOILERPLATE_EXACT:
        return True
    return len(key) <= BOILERPLATE_SHORT_LINE and any(p.match(key) for p in BOILERPLATE_PATTERNS)


def split_paragraphs(text: str) -> list[Paragraph]:
    """Paragraphs of a capture: blocks between blank lines, each line its own paragraph unless
    the text is hard-wrapped (a long line that stops mid-sentence continues on the next)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    paragraphs: list[Paragraph] = []
    current: list[str] = []
    start = 0
    for number, raw_line in enumerate(lines, start=1):
        line = normalise_line(raw_line)
        if not line:
            if current:
                paragraphs.append(Paragraph(" ".join(current), start))
                current = []
            continue
        if current and _continues(current[-1], line):
            current.append(line)
            continue
        if current:
            paragraphs.append(Paragraph(" ".join(current), start))
        current, start = [line], number
    if current:
        paragraphs.append(Paragraph(" ".join(current), start))
    return paragraphs


def _continues(previous: str, line: str) -> bool:
    # A hard-wrapped line is long and stops mid-sentence; a short unpunctuated line is a
    # heading or furniture and stands alone.
    return len(previous) >= 50 and not previous.endswith(_TERMINAL) and not is_boilerplate(line)


@functools.lru_cache(maxsize=4096)
def _word_pairs(text: str) -> frozenset[tuple[str, str]]:
    words = text.split()
    return frozenset(itertools.pairwise(words))


def _similar(a: str, b: str) -> float:
    if a == b:
        return 1.0
    shorter, longer = sorted((len(a), len(b)))
    if longer == 0 or shorter / longer < NEAR_DUPLICATE_RATIO:
        return 0.0
    # Paragraphs that share few word pairs cannot be near repeats: a cheap test before difflib.
    pairs_a, pairs_b = _word_pairs(a), _word_pairs(b)
    if len(pairs_a & pairs_b) < PAIR_OVERLAP * max(len(pairs_a), len(pairs_b), 1):
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_DUPLICATE_RATIO:
        return 0.0
    if matcher.quick_ratio() < NEAR_DUPLICATE_RATIO:
        return 0.0
    return matcher.ratio()


def clean(text: str, *, extra_removed: frozenset[int] = frozenset()) -> Cleaned:
    """Split, drop furniture and repeats. `extra_removed` holds line numbers (of paragraphs)
    that detection has already taken out as credit lines or the headline."""
    result = Cleaned(paragraphs=[])
    seen_exact: dict[str, int] = {}
    for paragraph in split_paragraphs(text):
        if paragraph.line in extra_removed:
            continue
        if is_boilerplate(paragraph.text):
            result.boilerplate.append(paragraph)
            continue
        if len(paragraph.text) >= DUPLICATE_MIN_CHARS:
            kept = seen_exact.get(paragraph.text)
            ratio = 1.0
            if kept is None:
                kept, ratio = _near_duplicate_of(result.paragraphs, paragraph.text)
            if kept is not None:
                result.duplicates.append(
                    DroppedDuplicate(paragraph.text, paragraph.line, kept, round(ratio, 3))
                )
                continue
            seen_exact[paragraph.text] = len(result.paragraphs)
        result.paragraphs.append(paragraph)
    return result


def _near_duplicate_of(kept: list[Paragraph], text: str) -> tuple[int | None, float]:
    first = max(0, len(kept) - DUPLICATE_WINDOW)
    for index in range(len(kept) - 1, first - 1, -1):
        candidate = kept[index].text
        if len(candidate) < DUPLICATE_MIN_CHARS:
            continue
        ratio = _similar(candidate, text)
        if ratio >= NEAR_DUPLICATE_RATIO:
            return index, ratio
    return None, 0.0
