"""Linking the places a body names to the gazetteer, through every name variant.

Only gazetteer entries are linked. Capitalised names that read like places ("in Borivske",
"the town of Kostiantynivka") but are not in the gazetteer are listed for the editor, never
invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PLACE_WORD = r"[A-ZÀ-ÖØ-ÞА-ЯІЇЄҐ][\w'’-]+"
PLACE_CUE = re.compile(
    r"\b(?:in|of|near|from|to|towards|toward|around|outside|across|into|reach|"
    r"village|town|city|region|district)\s+(?:the\s+)?(?:(?:town|city|village|region|"
    r"district|oblast|settlement)\s+of\s+)?(?P<name>"
    + PLACE_WORD
    + r"(?:[ -]"
    + PLACE_WORD
    + r")?)"
)
NOT_PLACES = _words(
    """
    january february march april may june july august september october november december monday
    tuesday wednesday thursday friday saturday sunday spring summer autumn winter the a an he
    she they we i it this that his her their our its my your one two three god president
    governor army mr mrs ms dr general colonel captain police
    """
)
# Demonyms and adjectives of nationality ("to Russian forces") are not places.
DEMONYM = re.compile(r"(?:ian|ians|ans|ese|ish|ic|ics)$", re.I)


@dataclass
class PlaceLinks:
    place_ids: list[int] = field(default_factory=list)
    mentions: list[tuple[int, int, int, str]] = field(default_factory=list)  # place, start, end
    unknown: list[str] = field(default_factory=list)


class Gazetteer:
    """Every name and variant of every place, matched case-insensitively, longest first."""

    def __init__(self, names: Iterable[tuple[int, str]]):
        self.by_name: dict[str, int] = {}
        for place_id, name in names:
            key = name.strip().casefold()
            if key:
                self.by_name.setdefault(key, place_id)
        alternatives = sorted(self.by_name, key=len, reverse=True)
        self.pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)",
                re.IGNORECASE,
            )
            if alternatives
            else None
        )

    @classmethod
    def from_database(cls) -> Gazetteer:
        from archive.models import Place, PlaceName

        names = list(Place.objects.values_list("pk", "name"))
        names += list(PlaceName.objects.values_list("place_id", "name"))
        return cls(names)

    def lookup(self, name: str) -> int | None:
        return self.by_name.get(name.strip().casefold())

    def link(self, body: str, *, not_places: Iterable[str] = ()) -> PlaceLinks:
        links = PlaceLinks()
        known_spans: list[tuple[int, int]] = []
        if self.pattern is not None:
            for m in self.pattern.finditer(body):
                place_id = self.by_name[m.group(1).casefold()]
                links.mentions.append((place_id, m.start(), m.end(), m.group(1)))
                known_spans.append((m.start(), m.end()))
                if place_id not in links.place_ids:
                    links.place_ids.append(place_id)
        excluded = {n.casefold() for n in not_places}
        for m in PLACE_CUE.finditer(body):
            name = re.split(r"['’]s\b", m["name"])[0]
            start = m.start("name")
            if any(s <= start < e for s, e in known_spans):
                continue
            words = name.split()
            if (
                name.casefold() in excluded
                or any(w.casefold() in excluded for w in words)
                or words[0].casefold() in NOT_PLACES
                or DEMONYM.search(words[0])
                or name.isupper()
                or self.lookup(name) is not None
                or self.lookup(words[0]) is not None
            ):
                continue
            if name not in links.unknown:
                links.unknown.append(name)
        return links
