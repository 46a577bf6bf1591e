"""Searching the archive: ranked, filtered, paginated, highlighted, privacy-safe.

Visibility is never decided here: every search starts from `Article.objects.visible_to(user)`
and `Testimony.objects.visible_to(user)` (archive/querysets.py), so counts, hits and snippets
only ever come from rows the viewer may see. A testimony's indexed text holds no speaker name;
its speaker is matched by name through the ORM, and only under
`TestimonyQuerySet.identified_q()` for anyone who may not see unpublished material.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Case, CharField, Q, QuerySet, Value, When

from archive.models import Article, Person, PersonName, Testimony
from archive.querysets import TestimonyQuerySet, can_see_unpublished, redact, withheld_names
from archive.search.backends import (
    MARK_END,
    MARK_START,
    Backend,
    backend_for,
    plain_snippet,
    render_snippet,
)
from archive.search.query import ParsedQuery, SearchQueryError, normalize, parse
from archive.search.query import words as query_words

if TYPE_CHECKING:
    from archive.querysets import User

ARTICLE, TESTIMONY = "article", "testimony"
KINDS = (ARTICLE, TESTIMONY)
MODELS = {ARTICLE: Article, TESTIMONY: Testimony}
# A speaker is looked for by name only in short queries of name-like words.
MAX_NAME_WORDS = 4
MIN_NAME_WORD = 3

__all__ = ["KINDS", "SearchFilters", "SearchHit", "SearchQueryError", "SearchResults", "search"]


@dataclass(frozen=True)
class SearchFilters:
    place: str | None = None
    tag: str | None = None
    source: str | None = None
    language: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@dataclass(frozen=True)
class SearchHit:
    kind: str
    obj: Article | Testimony
    rank: float
    snippet: str
    # The headline, or the quote, as the viewer may read it.
    title: str
    # For a testimony: whether its speaker may be named to this viewer.
    speaker_named: bool = False


@dataclass(frozen=True)
class SearchResults:
    count: int
    hits: list[SearchHit]
    query: ParsedQuery


# --- Filters -----------------------------------------------------------------------------------


def _apply_filters(kind: str, queryset: QuerySet, filters: SearchFilters) -> QuerySet:
    article_places = Article.places.through.objects
    if kind == ARTICLE:
        if filters.place:
            queryset = queryset.filter(
                pk__in=article_places.filter(place__slug=filters.place).values("article_id")
            )
        if filters.tag:
            queryset = queryset.filter(
                pk__in=Article.tags.through.objects.filter(tag__slug=filters.tag).values(
                    "article_id"
                )
            )
        if filters.source:
            queryset = queryset.filter(source__slug=filters.source)
        if filters.language:
            queryset = queryset.filter(language=filters.language)
        if filters.date_from:
            queryset = queryset.filter(published_on__gte=filters.date_from)
        if filters.date_to:
            queryset = queryset.filter(published_on__lte=filters.date_to)
        return queryset
    if filters.place:
        queryset = queryset.filter(
            Q(place__slug=filters.place)
            | Q(
                article_id__in=article_places.filter(place__slug=filters.place).values("article_id")
            )
        )
    if filters.tag:
        queryset = queryset.filter(
            pk__in=Testimony.tags.through.objects.filter(tag__slug=filters.tag).values(
                "testimony_id"
            )
        )
    if filters.source:
        queryset = queryset.filter(article__source__slug=filters.source)
    if filters.language:
        queryset = queryset.filter(
            Q(language=filters.language) | Q(language="", article__language=filters.language)
        )
    if filters.date_from:
        queryset = queryset.filter(article__published_on__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(article__published_on__lte=filters.date_to)
    return queryset


# --- People whose names are withheld ----------------------------------------------------------


def withheld_words(user: User | None) -> set[str]:
    """Normalised words of the names the viewer may not learn, for refusing and redacting.

    A person's name is withheld when their protection level asks for it or when one of their
    testimonies is not identified (`TestimonyQuerySet.identified_q`); a word that is also part
    of a name the viewer may know (`Person.objects.visible_to`) is not withheld, so a common
    first name stays searchable. A query using such a word finds nothing (the indexes hold the
    unredacted text, so a match would betray the name); snippets are masked separately, with
    `archive.querysets.withheld_names`, as all public text is.
    """
    if can_see_unpublished(user):
        return set()
    from archive.models import ProtectionLevel

    visible = Person.objects.visible_to(user).values("pk")
    protected = ~Q(protection_level=ProtectionLevel.PUBLIC) | Q(
        pk__in=Testimony.objects.exclude(TestimonyQuerySet.identified_q())
        .filter(speaker__isnull=False)
        .values("speaker")
    )
    # Two queries: the names and variants of people known or protected, flagged known or not.
    people = Person.objects.filter(Q(pk__in=visible) | protected)
    known = Case(When(pk__in=visible, then=Value(True)), default=Value(False))
    rows = list(people.annotate(search_known=known).values_list("name", "search_known"))
    rows += list(
        PersonName.objects.filter(person__in=people.values("pk"))
        .annotate(
            search_known=Case(When(person__in=visible, then=Value(True)), default=Value(False))
        )
        .values_list("name", "search_known")
    )
    known_words = {normalize(w) for name, is_known in rows if is_known for w in query_words(name)}
    return {
        normalize(w) for name, is_known in rows if not is_known for w in query_words(name)
    } - known_words


def redact_marked(fragment: str, names: frozenset[str]) -> str:
    """`archive.querysets.redact` for a fragment carrying highlight markers.

    The markers are set aside, the text redacted (character for character, so positions hold)
    and the markers put back: a withheld name is masked even when it is highlighted.
    """
    if not names:
        return fragment
    masked = iter(redact(fragment.replace(MARK_START, "").replace(MARK_END, ""), names))
    return "".join(c if c in (MARK_START, MARK_END) else next(masked) for c in fragment)


# --- Matching ----------------------------------------------------------------------------------


def _speakers_named(backend: Backend, parsed: ParsedQuery) -> QuerySet | None:
    """People every word of the query names (in their name or one of its variants)."""
    found = parsed.words
    if not found or len(found) > MAX_NAME_WORDS or min(map(len, found)) < MIN_NAME_WORD:
        return None
    people = Person.objects.all()
    for word in found:
        people = people.filter(
            backend.name_matches("name", word)
            | Q(
                pk__in=PersonName.objects.filter(backend.name_matches("name", word)).values(
                    "person_id"
                )
            )
        )
    return people.values("pk")


def matching(
    queryset: QuerySet,
    parsed: ParsedQuery,
    user: User | None,
    *,
    backend: Backend | None = None,
    prepared=None,
) -> QuerySet:
    """`queryset` (articles or testimonies) narrowed to what the viewer may see and what
    matches, annotated with `search_rank`."""
    backend = backend or backend_for(queryset.db)
    if prepared is None:
        prepared = backend.prepare(parsed)
    queryset = queryset.visible_to(user)
    extra = None
    if queryset.model is Testimony:
        speakers = _speakers_named(backend, parsed)
        if speakers is not None:
            extra = Q(speaker__in=speakers)
            if not can_see_unpublished(user):
                extra &= TestimonyQuerySet.identified_q()
    return backend.annotate(queryset, prepared, extra)


def filter_queryset(queryset: QuerySet, q: str, user: User | None) -> QuerySet:
    """`q=` for the article and testimony lists: the matching rows, best first.

    Raises SearchQueryError (a 400) when `q` has nothing to search for.
    """
    if queryset.model not in (Article, Testimony):
        raise TypeError(f"Search covers articles and testimonies, not {queryset.model.__name__}.")
    parsed = parse(q)
    if _names_withheld(parsed, user):
        return queryset.none()
    return matching(queryset, parsed, user).order_by("-search_rank", "pk")


def search_ids(model, q: str, user: User | None, *, limit: int = 1000) -> list[int]:
    """Primary keys of the best `limit` matches, best first (for the admin's search boxes)."""
    return list(
        filter_queryset(model._default_manager.all(), q, user).values_list("pk", flat=True)[:limit]
    )


def _names_withheld(parsed: ParsedQuery, user: User | None) -> set[str]:
    """The withheld name words, when the query uses one (then it finds nothing), else empty."""
    withheld = withheld_words(user)
    return withheld if withheld & {normalize(w) for w in parsed.words} else set()


# --- The search endpoint ---------------------------------------------------------------------


def search(
    *,
    q: str,
    user: User | None,
    kinds: tuple[str, ...] = KINDS,
    filters: SearchFilters | None = None,
    offset: int = 0,
    limit: int = 20,
) -> SearchResults:
    """One page of ranked hits over articles and testimonies, with the total count."""
    filters = filters or SearchFilters()
    parsed = parse(q)
    withheld = withheld_words(user)
    if withheld & {normalize(w) for w in parsed.words}:
        # The query names someone the viewer may not learn about: it finds nothing, and the
        # count says nothing either.
        return SearchResults(count=0, hits=[], query=parsed)
    backend = backend_for()
    prepared = backend.prepare(parsed)
    per_kind = {}
    for kind in kinds:
        queryset = _apply_filters(kind, MODELS[kind].objects.all(), filters)
        per_kind[kind] = (
            matching(queryset, parsed, user, backend=backend, prepared=prepared)
            .annotate(search_kind=Value(kind, output_field=CharField()))
            .order_by()
            .values_list("search_kind", "pk", "search_rank")
        )
    count = sum(qs.count() for qs in per_kind.values())
    querysets = list(per_kind.values())
    combined = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    rows = list(combined.order_by("-search_rank", "search_kind", "pk")[offset : offset + limit])
    hits = _hits(rows, backend, prepared, user)
    return SearchResults(count=count, hits=hits, query=parsed)


def _hits(rows, backend: Backend, prepared, user) -> list[SearchHit]:
    ids = {kind: [pk for k, pk, _ in rows if k == kind] for kind in KINDS}
    objects: dict[str, dict[int, object]] = {ARTICLE: {}, TESTIMONY: {}}
    snippets: dict[str, dict[int, str]] = {ARTICLE: {}, TESTIMONY: {}}
    if ids[ARTICLE]:
        objects[ARTICLE] = Article.objects.select_related("source").in_bulk(ids[ARTICLE])
        snippets[ARTICLE] = backend.snippets(Article, ids[ARTICLE], prepared)
    if ids[TESTIMONY]:
        objects[TESTIMONY] = (
            Testimony.objects.select_related("article", "speaker", "place")
            .annotate(
                search_named=Case(
                    When(TestimonyQuerySet.identified_q(), then=Value(True)),
                    default=Value(can_see_unpublished(user)),
                    output_field=BooleanField(),
                )
            )
            .in_bulk(ids[TESTIMONY])
        )
        snippets[TESTIMONY] = backend.snippets(Testimony, ids[TESTIMONY], prepared)
    # Names the viewer may not read are masked in what a hit shows, as everywhere in public
    # text (archive.querysets.withheld_names).
    article_of = {
        (kind, pk): (pk if kind == ARTICLE else objects[kind][pk].article_id)
        for kind, pk, _ in rows
    }
    names = {} if can_see_unpublished(user) else withheld_names(set(article_of.values()))
    hits = []
    for kind, pk, rank in rows:
        obj = objects[kind][pk]
        withheld = names.get(article_of[kind, pk], frozenset())
        if kind == ARTICLE:
            fallback = plain_snippet(obj.standfirst or obj.body)
            named = False
        else:
            fallback = plain_snippet(obj.quote)
            named = bool(obj.search_named)
        fragment = snippets[kind].get(pk, fallback)
        hits.append(
            SearchHit(
                kind=kind,
                obj=obj,
                rank=float(rank or 0.0),
                snippet=render_snippet(redact_marked(fragment, withheld)),
                title=redact(obj.headline if kind == ARTICLE else obj.quote, withheld),
                speaker_named=named,
            )
        )
    return hits
