"""Finding people's names in text: the forms a name takes and where they occur.

Below both the models and the services (it imports neither), so that the mention scanner,
the masking of public text and the check of editors' texts read names the same way.

A person's *forms* are each of their names (the name as published and every variant), each
word of those names long enough to name someone on its own (a surname or a first name alone),
and any of those preceded by an honorific ("Ms Guseva", "Dr Melnyk", "пані Гусєва"). Matching
respects word boundaries in every script (Python's `\\w` is Unicode-aware), so "Ivan" is not
found in "Ivanenko" nor "Олена" in "Оленами".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import NamedTuple

# Words of a name shorter than this are not a form on their own ("de", "Al").
MIN_NAME_WORD = 3

# Titles that may precede a name; the honorific belongs to the span (it tells a gender or a
# rank, which a withheld identity must not keep either).
HONORIFICS = (
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Prof",
    "Mme",
    "Mlle",
    "M",
    "Herr",
    "Frau",
    "Sgt",
    "Sergeant",
    "Lt",
    "Lieutenant",
    "Capt",
    "Captain",
    "Col",
    "Colonel",
    "Maj",
    "Major",
    "Gen",
    "General",
    "Cpl",
    "Corporal",
    "Pte",
    "Private",
    "Commander",
    "Pan",
    "Pani",
    "пан",
    "пані",
    "пане",
    "господин",
    "госпожа",
    "г-н",
    "г-жа",
)
_HONORIFIC = "(?:" + "|".join(re.escape(h) for h in sorted(HONORIFICS, key=len, reverse=True))
_HONORIFIC += r")\.?\s+"


class Found(NamedTuple):
    """One occurrence of a form: text[start:end] == exact, naming any of `people`."""

    start: int
    end: int
    exact: str
    people: frozenset[int]


_LEADING_HONORIFIC = re.compile(rf"^{_HONORIFIC}", re.IGNORECASE)


def without_honorific(text: str) -> str:
    """A mention's text without the title before the name ("Ms Guseva" → "Guseva")."""
    stripped = _LEADING_HONORIFIC.sub("", text)
    return stripped or text


def words_of(name: str) -> list[str]:
    return [w for w in re.split(r"[\s\-]+", name) if len(w) >= MIN_NAME_WORD]


def forms_of(names: Iterable[str]) -> set[str]:
    """Every form a person with these names may take in a text (without honorifics)."""
    forms = set()
    for name in names:
        name = " ".join(name.split())
        if name:
            forms.add(name)
            forms.update(words_of(name))
    return forms


def lexicon(people: Iterable[tuple[int, str]]) -> dict[str, frozenset[int]]:
    """(person id, a name or variant) rows → each form (case-folded) → the people it names."""
    found: dict[str, set[int]] = {}
    for person_id, name in people:
        for form in forms_of([name]):
            found.setdefault(form.casefold(), set()).add(person_id)
    return {form: frozenset(ids) for form, ids in found.items()}


@functools.lru_cache(maxsize=256)
def _pattern(forms: frozenset[str]) -> re.Pattern[str] | None:
    if not forms:
        return None
    # Longest first: at each position the longest form wins, so "Olena Petrova" is one
    # person's full name and not "Olena" (someone else's first name) followed by a word.
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(
        rf"(?<!\w)(?P<title>{_HONORIFIC})?(?P<name>{alternatives})(?!\w)", re.IGNORECASE
    )


def find(text: str, forms: Mapping[str, frozenset[int]], *, proper: bool = False) -> list[Found]:
    """Every occurrence of a form in `text`, left to right, never overlapping.

    With `proper`, only occurrences written as a proper noun (capitalised, as the scanner
    proposes them); without, any case (masking errs on the side of the person).
    """
    pattern = _pattern(frozenset(forms))
    if pattern is None or not text:
        return []
    found = []
    for match in pattern.finditer(text):
        name = match.group("name")
        if proper and not name[:1].isupper():
            continue
        people = forms.get(name.casefold())
        if people is None:  # IGNORECASE folds a little differently from casefold()
            people = frozenset().union(
                *(ids for form, ids in forms.items() if form.lower() == name.lower())
            )
        found.append(Found(match.start(), match.end(), match.group(0), people))
    return found
