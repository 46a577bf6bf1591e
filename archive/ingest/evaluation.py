"""How close the importer comes to the hand-curated seed archive.

Used by tests/test_ingest_seeds.py (with thresholds) and bench/evaluate_import.py (figures).
It expects the curated fixture loaded, removes what editors made (articles, testimonies,
annotations, collections) while keeping the gazetteer, sources and people, imports the raw
seeds as new captures and compares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from archive.evidence import evidence_override
from archive.ingest.quotes import normalise_quote
from archive.ingest.service import dispatch_import
from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    Credit,
    Testimony,
    TestimonyStatus,
    Tombstone,
)

_STOP = frozenset(
    re.findall(r"\w+", "a an the of in at on to next her his their its by from with and or who")
)


@dataclass
class Curated:
    quote: str
    speaker_id: int | None
    description: str


@dataclass
class Figures:
    curated_testimonies: int = 0
    proposed_testimonies: int = 0
    correct_testimonies: int = 0
    quote_only_matches: int = 0
    curated_places: int = 0
    linked_places: int = 0
    correct_places: int = 0
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def testimony_recall(self) -> float:
        return self._ratio(self.correct_testimonies, self.curated_testimonies)

    @property
    def testimony_precision(self) -> float:
        return self._ratio(self.correct_testimonies, self.proposed_testimonies)

    @property
    def place_recall(self) -> float:
        return self._ratio(self.correct_places, self.curated_places)

    @property
    def place_precision(self) -> float:
        return self._ratio(self.correct_places, self.linked_places)

    def table(self) -> str:
        rows = [
            (
                "testimonies (quote and speaker)",
                self.testimony_recall,
                self.testimony_precision,
                f"{self.correct_testimonies} right of {self.curated_testimonies} curated, "
                f"{self.proposed_testimonies} proposed; {self.quote_only_matches} with the right "
                "quote but another speaker",
            ),
            (
                "places",
                self.place_recall,
                self.place_precision,
                f"{self.correct_places} right of {self.curated_places} curated, "
                f"{self.linked_places} linked",
            ),
        ]
        lines = [f"{'':34} {'recall':>7} {'precision':>9}"]
        lines += [f"{name:34} {r:7.2f} {p:9.2f}  {note}" for name, r, p, note in rows]
        return "\n".join(lines)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.casefold()) if w not in _STOP}


def same_speaker(curated: Curated, speaker_id: int | None, description: str) -> bool:
    if curated.speaker_id is not None or speaker_id is not None:
        return curated.speaker_id == speaker_id
    # Unnamed speakers: both descriptions must name the same kind of person ("a seller").
    return bool(_words(curated.description) & _words(description))


@transaction.atomic
def strip_editorial_work(
    *, throwaway_database: bool = False
) -> dict[str, tuple[list[Curated], set[int]]]:
    """Remember and delete every article, testimony, annotation and collection; keep places,
    sources and people. Only for a throwaway database (tests, benchmarks): it says so."""
    if not throwaway_database:
        raise RuntimeError("strip_editorial_work deletes every article: throwaway databases only.")
    curated: dict[str, tuple[list[Curated], set[int]]] = {}
    for article in Article.objects.prefetch_related("testimonies", "places"):
        curated[article.raw_sha256] = (
            [
                Curated(t.quote, t.speaker_id, t.speaker_description)
                for t in article.testimonies.all()
            ],
            {p.pk for p in article.places.all()},
        )
    CollectionItem.objects.all().delete()
    Collection.objects.all().delete()
    Annotation.objects.all().delete()
    Testimony.objects.all().delete()
    Credit.objects.all().delete()
    Tombstone.objects.all().delete()
    with evidence_override(reason="strip_editorial_work on a throwaway database"):
        Article.objects.all().delete()
    return curated


def evaluate(seed_dir: Path, *, throwaway_database: bool = False) -> Figures:
    """Replace the curated articles by fresh imports of the seeds and compare (destructive)."""
    curated = strip_editorial_work(throwaway_database=throwaway_database)
    figures = Figures()
    for path in sorted(seed_dir.glob("*.txt")):
        result = dispatch_import(raw=path.read_bytes(), filename=path.name)
        expected, places = curated.get(result.sha256, ([], set()))
        article = Article.objects.get(pk=result.article_id)
        proposals = list(article.testimonies.filter(status=TestimonyStatus.PROPOSED))
        figures.curated_testimonies += len(expected)
        figures.proposed_testimonies += len(proposals)
        unmatched = list(expected)
        for t in proposals:
            same_quote = [
                c for c in unmatched if normalise_quote(c.quote) == normalise_quote(t.quote)
            ]
            right = [c for c in same_quote if same_speaker(c, t.speaker_id, t.speaker_description)]
            if right:
                figures.correct_testimonies += 1
                unmatched.remove(right[0])
            else:
                if same_quote:
                    figures.quote_only_matches += 1
                figures.wrong.append(f"{path.name}: {t.speaker_label!r} “{t.quote[:60]}”")
        figures.misses += [f"{path.name}: “{c.quote[:60]}”" for c in unmatched]
        linked = set(article.places.values_list("pk", flat=True))
        figures.curated_places += len(places)
        figures.linked_places += len(linked)
        figures.correct_places += len(linked & places)
    return figures
