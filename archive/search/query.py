"""Turning what a user typed into a search query, the same way on every database.

User input is plain words: whatever is not a letter or a digit separates words, so text-search
operators (`& | ! ( ) : * <->`), quotes and NUL bytes can never reach the database's query
parser. Every word must match (AND). A word or run of words that names a place under any of
its names (Bakhmout, Бахмут, Artemivsk) becomes an OR of all the place's names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 500
MAX_WORDS = 12
# A place name of up to this many words is recognised in a query ("Kryvyi Rih").
MAX_PLACE_NAME_WORDS = 3
# Fuzzy place matching (a misspelt place name) needs this pg_trgm-style similarity.
PLACE_SIMILARITY = 0.5
FUZZY_MIN_LENGTH = 5

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


class SearchQueryError(ValueError):
    """The query cannot be searched; the message says why, for a 400 response."""


def normalize(text: str) -> str:
    """Case- and accent-insensitive form, as the indexes see words (unaccent, casefold)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


@dataclass(frozen=True)
class Term:
    """One thing that must match: any of its alternatives (a word, or a phrase of words)."""

    text: str
    alternatives: tuple[str, ...]
    place_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    terms: tuple[Term, ...]

    @property
    def words(self) -> list[str]:
        return [w for term in self.terms for w in words(term.text)]


def clean(raw: str | None) -> list[str]:
    """The words of a query, or SearchQueryError saying why there are none to search for."""
    if raw is None or not raw.strip():
        raise SearchQueryError("Give some words to search for: the query is empty.")
    if len(raw) > MAX_QUERY_CHARS:
        raise SearchQueryError(
            f"The query is too long ({len(raw)} characters; at most {MAX_QUERY_CHARS})."
        )
    found = words(raw.replace("\x00", " "))
    if not found:
        raise SearchQueryError(
            "The query has no words to search for (only punctuation or operators)."
        )
    if len(found) > MAX_WORDS:
        raise SearchQueryError(f"The query has {len(found)} words; at most {MAX_WORDS}.")
    return found


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in words(normalize(text)):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all distinct trigrams."""
    ga, gb = trigrams(a), trigrams(b)
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / len(ga | gb)


class Gazetteer:
    """Every name of every place, loaded once per query (the gazetteer is small)."""

    def __init__(self, rows: list[tuple[int, str]]):
        self.names_of: dict[int, list[str]] = {}
        self.places_named: dict[tuple[str, ...], set[int]] = {}
        for place_id, name in rows:
            self.names_of.setdefault(place_id, [])
            if name not in self.names_of[place_id]:
                self.names_of[place_id].append(name)
            key = tuple(words(normalize(name)))
            if key:
                self.places_named.setdefault(key, set()).add(place_id)

    @classmethod
    def load(cls) -> Gazetteer:
        from archive.models import Place, PlaceName

        rows = list(Place.objects.values_list("id", "name"))
        rows += list(PlaceName.objects.values_list("place_id", "name"))
        return cls(rows)

    def exact(self, key: tuple[str, ...]) -> set[int]:
        return self.places_named.get(key, set())

    def fuzzy(self, word: str) -> set[int]:
        if len(word) < FUZZY_MIN_LENGTH:
            return set()
        found: set[int] = set()
        for key, place_ids in self.places_named.items():
            if len(key) == 1 and similarity(word, key[0]) >= PLACE_SIMILARITY:
                found |= place_ids
        return found


def parse(raw: str | None, gazetteer: Gazetteer | None = None) -> ParsedQuery:
    """Words in, terms out: runs of words naming a place become one term with every name."""
    found = clean(raw)
    gazetteer = gazetteer if gazetteer is not None else Gazetteer.load()
    normalized = [normalize(w) for w in found]
    terms: list[Term] = []
    i = 0
    while i < len(found):
        for size in range(min(MAX_PLACE_NAME_WORDS, len(found) - i), 0, -1):
            place_ids = gazetteer.exact(tuple(normalized[i : i + size]))
            if place_ids:
                break
        else:
            size = 1
            place_ids = gazetteer.fuzzy(normalized[i])
        text = " ".join(found[i : i + size])
        alternatives = [text]
        for place_id in sorted(place_ids):
            for name in gazetteer.names_of[place_id]:
                if normalize(name) not in {normalize(a) for a in alternatives}:
                    alternatives.append(name)
        terms.append(
            Term(text=text, alternatives=tuple(alternatives), place_ids=frozenset(place_ids))
        )
        i += size
    return ParsedQuery(raw=raw or "", terms=tuple(terms))
