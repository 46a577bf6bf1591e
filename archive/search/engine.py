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
from django.db.models.functions import Coalesce

from archive.models import (
    UNDATED,
    Article,
    Mention,
    MentionStatus,
    Person,
    PersonName,
    Testimony,
)
from archive.names import without_honorific
from archive.permissions import can_see_protected_identities
from archive.querysets import TestimonyQuerySet, can_see_unpublished, redact
from archive.search.backends import (
    MARK_END,
    MARK_START,
    Backend,
    backend_for,
    cut_snippet,
    plain_snippet,
    render_snippet,
)
from archive.search.query import ParsedQuery, SearchQueryError, normalize, parse
from archive.search.query import words as query_words
from archive.selectors import Redactor, attach_withheld_passages

if TYPE_CHECKING:
    from archive.querysets import User

ARTICLE, TESTIMONY = "article", "testimony"
KINDS = (ARTICLE, TESTIMONY)
MODELS = {ARTICLE: Article, TESTIMONY: Testimony}
# A speaker is looked for by name only in short queries of name-like words.
MAX_NAME_WORDS = 4
MIN_NAME_WORD = 3
# Bounds on the speaker route: a name query is about a few people, not thousands.
MAX_NAMED_PEOPLE = 50
MAX_SPEAKER_TESTIMONIES = 1000
# Matches of each kind are counted exactly up to this many.
COUNT_LIMIT = 1000
# Past COUNT_LIMIT matches of a kind, only its RANK_WINDOW newest matches are ranked: a rank is
# computed from each row's indexed document, so ranking every match of a frequent word (most
# of a million articles) read the whole table on every search.
RANK_WINDOW = 1000

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
    # Exact when count_exact; otherwise a lower bound (at least this many match).
    count: int
    hits: list[SearchHit]
    query: ParsedQuery
    count_exact: bool = True


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


def withheld_words(words: list[str], user: User | None) -> set[str]:
    """The query words (normalised) that name someone the viewer may not learn about.

    A person's name is withheld when their protection level asks for it or when one of their
    testimonies is not identified (`TestimonyQuerySet.identified_q`); a word that is also part
    of a name the viewer may know (`Person.objects.visible_to`) is not withheld, so a common
    first name stays searchable. A query using a withheld word finds nothing: the indexes hold
    the unredacted text, so any match would betray the name. (Snippets are masked separately,
    with `archive.querysets.withheld_names`, as all public text is.)

    Only people whose names contain one of the query's words are looked at, through the
    name indexes, so this stays cheap however many people and testimonies there are.
    """
    if can_see_protected_identities(user) or not words:
        return set()
    from archive.models import ProtectionLevel

    words = sorted({w for w in words if len(w) >= MIN_NAME_WORD})
    wanted = {normalize(w) for w in words}
    if not wanted:
        return set()
    backend = backend_for()
    named = Q()
    for word in words:
        named |= backend.name_matches("name", word, exact=True)
    candidates = set(Person.objects.filter(named).values_list("pk", flat=True))
    candidates |= set(PersonName.objects.filter(named).values_list("person_id", flat=True))
    # A spelling only the body uses, which no variant records, still names its person there.
    mentioned = Q()
    for word in words:
        mentioned |= backend.name_matches("exact", word, exact=True)
    spelt = list(
        Mention.objects.filter(mentioned)
        .exclude(status=MentionStatus.REJECTED)
        .values_list("person_id", "exact")[:500]
    )
    candidates |= {person_id for person_id, _ in spelt}
    if not candidates:
        return set()
    known = set(
        Person.objects.visible_to(user).filter(pk__in=candidates).values_list("pk", flat=True)
    )
    protected = set(
        Person.objects.filter(pk__in=candidates - known)
        .filter(
            ~Q(protection_level=ProtectionLevel.PUBLIC)
            | Q(
                pk__in=Testimony.objects.filter(speaker_id__in=candidates - known)
                .exclude(TestimonyQuerySet.identified_q())
                .values("speaker_id")
            )
        )
        .values_list("pk", flat=True)
    )
    names = list(Person.objects.filter(pk__in=candidates).values_list("pk", "name"))
    names += list(
        PersonName.objects.filter(person_id__in=candidates).values_list("person_id", "name")
    )
    names += [(pk, without_honorific(exact)) for pk, exact in spelt]

    def words_of(people: set[int]) -> set[str]:
        return {normalize(w) for pk, name in names if pk in people for w in query_words(name)}

    return (words_of(protected) - words_of(known)) & wanted


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


def _testimonies_by_speaker(
    backend: Backend, parsed: ParsedQuery, user: User | None
) -> list[int] | None:
    """Testimonies whose speaker every word of the query names (in their name or one of its
    variants), and who may be named to the viewer (`identified_q`); None when the query does
    not look like a name.

    A short list of ids, so that on PostgreSQL "text matches OR id in list" stays two index
    scans OR-ed together instead of a scan of every testimony.
    """
    found = parsed.words
    if not found or len(found) > MAX_NAME_WORDS or min(map(len, found)) < MIN_NAME_WORD:
        return None
    # Each word separately, names and variants separately: every query is one index scan
    # (an OR across the two tables would scan every person).
    people: set[int] | None = None
    for word in found:
        condition = backend.name_matches("name", word)
        named = set(Person.objects.filter(condition).values_list("pk", flat=True)[:500])
        named |= set(PersonName.objects.filter(condition).values_list("person_id", flat=True)[:500])
        people = named if people is None else people & named
        if not people:
            return None
    testimonies = Testimony.objects.filter(speaker__in=sorted(people)[:MAX_NAMED_PEOPLE])
    if not can_see_protected_identities(user):
        testimonies = testimonies.filter(TestimonyQuerySet.identified_q())
    return list(testimonies.values_list("pk", flat=True)[:MAX_SPEAKER_TESTIMONIES])


def matching(
    queryset: QuerySet,
    parsed: ParsedQuery,
    user: User | None,
    *,
    backend: Backend | None = None,
    prepared=None,
    ranked: bool = True,
) -> QuerySet:
    """`queryset` (articles or testimonies) narrowed to what the viewer may see and what
    matches, annotated with `search_rank` unless not `ranked`."""
    backend = backend or backend_for(queryset.db)
    if prepared is None:
        prepared = backend.prepare(parsed)
    queryset = queryset.visible_to(user)
    extra = None
    sees_all = can_see_unpublished(user) and can_see_protected_identities(user)
    if queryset.model is Testimony and not sees_all:
        # The public may not read the context of a testimony whose speaker is withheld, so
        # it must not match on it either: the public's query leaves context out entirely.
        prepared = backend.without_context(prepared)
    if queryset.model is Article and not sees_all:
        # The public reads an article with its restricted passages masked: a word only such
        # a passage holds must not find it (the hit alone would tell what the passage says).
        prepared = backend.as_read_by_public(prepared)
    if queryset.model is Testimony:
        by_speaker = _testimonies_by_speaker(backend, parsed, user)
        if by_speaker:
            extra = Q(pk__in=by_speaker)
    return backend.annotate(queryset, prepared, extra, ranked=ranked)


def newest_first(queryset: QuerySet) -> QuerySet:
    """Articles, or testimonies by their article's date, newest first (undated last), in the
    order of the article date index."""
    date = "published_on" if queryset.model is Article else "article__published_on"
    return queryset.annotate(newest=Coalesce(date, Value(UNDATED))).order_by("-newest", "-pk")


def filter_queryset(queryset: QuerySet, q: str, user: User | None) -> QuerySet:
    """`q=` for the article and testimony lists: the matching rows, best first.

    Raises SearchQueryError (a 400) when `q` has nothing to search for.
    """
    if queryset.model not in (Article, Testimony):
        raise TypeError(f"Search covers articles and testimonies, not {queryset.model.__name__}.")
    parsed = parse(q)
    if withheld_words(parsed.words, user):
        return queryset.none()
    return matching(queryset, parsed, user).order_by("-search_rank", "pk")


def search_ids(model, q: str, user: User | None, *, limit: int = 1000) -> list[int]:
    """Primary keys of the best `limit` matches, best first (for the admin's search boxes)."""
    return list(
        filter_queryset(model._default_manager.all(), q, user).values_list("pk", flat=True)[:limit]
    )


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
    if withheld_words(parsed.words, user):
        # The query names someone the viewer may not learn about: it finds nothing, and the
        # count says nothing either.
        return SearchResults(count=0, hits=[], query=parsed, count_exact=True)
    backend = backend_for()
    prepared = backend.prepare(parsed)
    per_kind, counts = {}, []
    for kind in kinds:
        queryset = _apply_filters(kind, MODELS[kind].objects.all(), filters)
        found = matching(queryset, parsed, user, backend=backend, prepared=prepared, ranked=False)
        # Counted exactly up to COUNT_LIMIT per kind: a frequent word matches tens of thousands
        # of rows, and counting them all cost as much as ranking them.
        counts.append(found.order_by().values("pk")[: COUNT_LIMIT + 1].count())
        if counts[-1] > COUNT_LIMIT:
            # As a list: the match condition names its table, so as a subquery it would refer
            # to the outer query's row and be run once per row.
            newest = list(newest_first(found).values_list("pk", flat=True)[:RANK_WINDOW])
            queryset = queryset.filter(pk__in=newest)
        per_kind[kind] = (
            matching(queryset, parsed, user, backend=backend, prepared=prepared)
            .annotate(search_kind=Value(kind, output_field=CharField()))
            .order_by()
            .values_list("search_kind", "pk", "search_rank")
        )
    count = sum(min(c, COUNT_LIMIT) for c in counts)
    count_exact = all(c <= COUNT_LIMIT for c in counts)
    querysets = list(per_kind.values())
    combined = querysets[0].union(*querysets[1:], all=True) if len(querysets) > 1 else querysets[0]
    rows = list(combined.order_by("-search_rank", "search_kind", "pk")[offset : offset + limit])
    hits = _hits(rows, backend, prepared, parsed, user)
    return SearchResults(count=count, hits=hits, query=parsed, count_exact=count_exact)


def _public_article_snippets(
    articles: list[Article], parsed: ParsedQuery, redactor: Redactor
) -> dict[int, str]:
    """Snippets cut from each body as the public reads it.

    The database cuts its snippets from the stored body, which still holds the passages of
    restricted testimonies and the ages of pseudonymised speakers; the public's snippet is cut
    from the body with those masked, as the article endpoint serves it.
    """
    attach_withheld_passages(articles, user=None)
    return {article.pk: cut_snippet(redactor.body(article), parsed) for article in articles}


def _hits(rows, backend: Backend, prepared, parsed: ParsedQuery, user) -> list[SearchHit]:
    ids = {kind: [pk for k, pk, _ in rows if k == kind] for kind in KINDS}
    objects: dict[str, dict[int, object]] = {ARTICLE: {}, TESTIMONY: {}}
    snippets: dict[str, dict[int, str]] = {ARTICLE: {}, TESTIMONY: {}}
    if ids[ARTICLE]:
        objects[ARTICLE] = Article.objects.select_related("source").in_bulk(ids[ARTICLE])
    if ids[TESTIMONY]:
        objects[TESTIMONY] = (
            Testimony.objects.select_related("article", "speaker", "place")
            .annotate(
                search_named=Case(
                    When(TestimonyQuerySet.identified_q(), then=Value(True)),
                    default=Value(can_see_protected_identities(user)),
                    output_field=BooleanField(),
                )
            )
            .in_bulk(ids[TESTIMONY])
        )
        snippets[TESTIMONY] = backend.snippets(Testimony, ids[TESTIMONY], prepared)
    # Names the viewer may not read are masked in what a hit shows, as everywhere in public
    # text: one redactor for the page, its names loaded once for every article on it.
    article_of = {
        (kind, pk): (pk if kind == ARTICLE else objects[kind][pk].article_id)
        for kind, pk, _ in rows
    }
    redactor = Redactor.for_user(user)
    redactor.load(set(article_of.values()))
    if ids[ARTICLE]:
        if redactor.active:
            snippets[ARTICLE] = _public_article_snippets(
                list(objects[ARTICLE].values()), parsed, redactor
            )
        else:
            snippets[ARTICLE] = backend.snippets(Article, ids[ARTICLE], prepared)
    hits = []
    for kind, pk, rank in rows:
        obj = objects[kind][pk]
        withheld = redactor.names(article_of[kind, pk])
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
