"""Reads for the public API: querysets shaped for serialisation, built on the one definition of
what the public may see (`archive.querysets`). Nothing here decides visibility on its own; it
only combines `visible_to(user)`, `public()` and `identified_q()` and adds the joins and
prefetches that keep the number of queries independent of the page size.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connections, models, router
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_aware, make_aware

from archive import changes
from archive.models import (
    Annotation,
    Article,
    Collection,
    CollectionItem,
    ConsentRecord,
    Credit,
    Mention,
    MentionStatus,
    Person,
    Place,
    PlaceName,
    ProtectionLevel,
    Source,
    Tag,
    Testimony,
    Tombstone,
)
from archive.names import forms_of, without_honorific
from archive.permissions import can_see_protected_identities
from archive.precompiled import Ids, InIds, PrecompiledQuery
from archive.querysets import (
    WITHHELD_MASK,
    WITHHELD_SPEAKER_COLUMNS,
    MentionQuerySet,
    TestimonyQuerySet,
    redact,
    withheld_names_from_rows,
    withheld_speakers,
)

User = AbstractBaseUser | AnonymousUser | None

# Undated articles sort after every dated one (descending) without breaking cursor pagination,
# which cannot page over NULLs.
UNDATED = date(1, 1, 1)


def _count_of(queryset: models.QuerySet, field: str) -> Coalesce:
    """A correlated COUNT over `queryset` grouped by `field` = the outer row (0 when none)."""
    subquery = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(subquery, output_field=IntegerField()), Value(0))


# --- Testimonies ------------------------------------------------------------------------------


def identified_expression(prefix: str = "") -> ExpressionWrapper:
    """`identified_q` as a boolean column: may this testimony's speaker be named?"""
    return ExpressionWrapper(TestimonyQuerySet.identified_q(prefix), output_field=BooleanField())


def attributable_testimonies(user: User) -> TestimonyQuerySet:
    """Testimonies the user may attribute to their speaker.

    Anyone filtering or counting testimonies by speaker learns who said them, so for the
    public this is only the testimonies whose speaker may be named.
    """
    testimonies = Testimony.objects.visible_to(user)
    if can_see_protected_identities(user):
        return testimonies
    return testimonies.filter(TestimonyQuerySet.identified_q())


# What a testimony's serialisers show, and so all its list query loads.
TESTIMONY_COLUMNS = (
    "uid",
    "article_id",
    "quote",
    "start",
    "end",
    "speaker_description",
    "speaker_age",
    "context",
    "language",
    "translation_note",
    "visibility",
    "speaker__slug",
    "speaker__name",
    "speaker__role",
    "speaker__kind",
    "place__slug",
    "place__name",
    "article__slug",
    "article__headline",
    "article__published_on",
    "article__source__slug",
    "article__source__name",
)


def testimony_list(*, user: User) -> TestimonyQuerySet:
    return (
        Testimony.objects.visible_to(user)
        .select_related("speaker", "place", "article", "article__source")
        .annotate(
            is_identified=identified_expression(),
            date_sort=Coalesce("article__published_on", Value(UNDATED)),
        )
        # Only what the serialisers show: a testimony shows its article as a reference (slug,
        # headline, date), and its editorial fields (protection reasons, notes) and
        # timestamps were most of the bytes fetched and of the values parsed per row.
        .only(*TESTIMONY_COLUMNS)
    )


def testimony_detail(*, user: User) -> TestimonyQuerySet:
    return testimony_list(user=user)


# --- Articles ---------------------------------------------------------------------------------


def article_list(*, user: User) -> models.QuerySet[Article]:
    return (
        Article.objects.visible_to(user)
        .select_related("source", "dateline_place")
        .annotate(date_sort=Coalesce("published_on", Value(UNDATED)))
    )


def article_summaries(*, user: User) -> models.QuerySet[Article]:
    """The article list's rows: without the stored texts, which a list row never shows and
    which made up most of the bytes its query fetched."""
    return article_list(user=user).defer("body", "raw_text")


def article_detail(*, user: User) -> models.QuerySet[Article]:
    return article_list(user=user).prefetch_related(
        Prefetch("credits", queryset=Credit.objects.order_by("position", "id")),
        Prefetch(
            "testimonies",
            queryset=testimony_list(user=user).order_by("start"),
            to_attr="visible_testimonies",
        ),
    )


def article_annotations(*, article: Article, user: User) -> models.QuerySet[Annotation]:
    return (
        Annotation.objects.visible_to(user)
        .filter(article=article)
        .select_related("article")
        .order_by("start", "id")
    )


# --- People, places, sources, tags ------------------------------------------------------------


def person_list(*, user: User) -> models.QuerySet[Person]:
    return (
        Person.objects.visible_to(user)
        .prefetch_related("name_variants")
        .annotate(testimony_count=_count_of(attributable_testimonies(user), "speaker"))
    )


def place_list(*, user: User) -> models.QuerySet[Place]:
    # The gazetteer is reference data and public; only the counts depend on the user.
    return (
        Place.objects.select_related("parent")
        .prefetch_related(
            Prefetch("variants", queryset=PlaceName.objects.order_by("name")),
            "facts",
        )
        .annotate(testimony_count=_count_of(Testimony.objects.visible_to(user), "place"))
    )


def source_list(*, user: User) -> models.QuerySet[Source]:
    return Source.objects.annotate(
        article_count=_count_of(Article.objects.visible_to(user), "source")
    )


def tag_list() -> models.QuerySet[Tag]:
    """Top-level themes with their narrower terms: the thesaurus as a tree."""
    return (
        Tag.objects.filter(parent__isnull=True)
        .prefetch_related(Prefetch("children", queryset=Tag.objects.order_by("name")))
        .order_by("name")
    )


def tag_detail() -> models.QuerySet[Tag]:
    return Tag.objects.select_related("parent").prefetch_related(
        Prefetch("children", queryset=Tag.objects.order_by("name"))
    )


def tag_with_narrower(tag: Tag) -> list[int]:
    """The ids of a term and of every narrower term under it (the vocabulary has two levels)."""
    return [tag.pk, *Tag.objects.filter(parent=tag).values_list("pk", flat=True)]


def places_matching(name: str) -> models.QuerySet[Place]:
    """Places whose slug, canonical name or any name variant is `name` (case-insensitive)."""
    return Place.objects.filter(
        Q(slug=name) | Q(name__iexact=name) | Q(variants__name__iexact=name)
    ).distinct()


# --- Places and tags of a page ----------------------------------------------------------------


class Link(NamedTuple):
    """A place or tag as a listed object shows it."""

    slug: str
    name: str


_LINK_RELATIONS = (
    # (kind, through model, owner column, target, whose ids)
    ("article-place", Article.places.through, "article_id", "place", "articles"),
    ("article-tag", Article.tags.through, "article_id", "tag", "articles"),
    ("testimony-tag", Testimony.tags.through, "testimony_id", "tag", "testimonies"),
)


# A withheld speaker's rows share the links' columns: (kind, article, name, name variant).
WITHHELD = "withheld"
# So do mentions: (kind, article, "start:end:exact\nname", name variant).
MENTION_MASKED, MENTION_PUBLIC = "mention-masked", "mention-public"
# And the people withheld everywhere: (kind, None, name, name variant).
EVERYWHERE = "everywhere"


def _page_query(**ids: Ids) -> models.QuerySet:
    columns = ("link_kind", "link_owner", "link_slug", "link_name")
    parts = [
        through.objects.filter(InIds(F(owner), ids[whose]))
        .annotate(
            link_kind=Value(kind, output_field=models.CharField()),
            link_owner=F(owner),
            link_slug=F(f"{target}__slug"),
            link_name=F(f"{target}__name"),
        )
        .values_list(*columns)
        for kind, through, owner, target, whose in _LINK_RELATIONS
        if whose in ids
    ]
    if "redacted" in ids:
        parts.append(_mention_rows(ids["redacted"]).values_list(*columns))
    if "everywhere" in ids:
        parts.append(
            Person.objects.exclude(protection_level=ProtectionLevel.PUBLIC)
            .order_by()
            .annotate(
                link_kind=Value(EVERYWHERE, output_field=models.CharField()),
                link_owner=Value(None, output_field=models.IntegerField()),
                link_slug=F("name"),
                link_name=F("name_variants__name"),
            )
            .values_list(*columns)
        )
    if "redacted" in ids:
        owner, name, variant = WITHHELD_SPEAKER_COLUMNS
        parts.append(
            withheld_speakers(ids["redacted"])
            .annotate(
                link_kind=Value(WITHHELD, output_field=models.CharField()),
                link_owner=F(owner),
                link_slug=F(name),
                link_name=F(variant),
            )
            .values_list(*columns)
        )
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("link_name", "link_slug")


def _mention_rows(articles: Ids) -> models.QuerySet:
    """The unrejected mentions of these articles, one row per name of their person: whether
    the public may read them (`MentionQuerySet.masked_q`), "start:end:exact\nname", a variant."""
    return (
        Mention.objects.filter(InIds(F("article_id"), articles))
        .exclude(status=MentionStatus.REJECTED)
        .order_by()
        .annotate(
            link_kind=Case(
                When(MentionQuerySet.masked_q(), then=Value(MENTION_MASKED)),
                default=Value(MENTION_PUBLIC),
                output_field=models.CharField(),
            ),
            link_owner=F("article_id"),
            link_slug=Concat(
                Cast("start", models.CharField()),
                Value(":"),
                Cast("end", models.CharField()),
                Value(":"),
                F("exact"),
                Value("\n"),
                F("person__name"),
                output_field=models.CharField(),
            ),
            link_name=F("person__name_variants__name"),
        )
    )


@functools.cache
def _page_query_for(names: tuple[str, ...]) -> PrecompiledQuery:
    return PrecompiledQuery(_page_query, *names)


def load_page(
    *,
    articles: Iterable[Article] = (),
    testimonies: Iterable[Testimony] = (),
    redactor: Redactor | None = None,
    redacted: Iterable[int | None] = (),
) -> None:
    """What a page of rows needs besides the rows, in ONE query whatever the number of rows:
    `place_links` and `tag_links` on each article and `tag_links` on each testimony (`Link`s
    ordered by name), and the names withheld in the `redacted` articles, loaded into
    `redactor` (see `Redactor.load`).

    A prefetch would build a Place or Tag instance, and a related manager, per link of every
    row, and send a query per relation: on a list page that cost more than the rest of the
    page together, for two columns of each. One query rather than one per need: each round
    trip to the database was a tenth of a list page's time.
    """
    articles, testimonies = list(articles), list(testimonies)
    missing = redactor.missing(redacted) if redactor is not None else set()
    ids = {
        name: values
        for name, values in (
            ("articles", {row.pk for row in articles}),
            ("testimonies", {row.pk for row in testimonies}),
            ("redacted", {pk for pk in missing if pk is not None}),
            # Texts of no one article (a collection's introduction): the people withheld
            # everywhere. The list is a flag: the rows do not depend on it.
            ("everywhere", {0} if Redactor.NO_ARTICLE in missing else set()),
        )
        if values
    }
    found: dict[tuple[str, int], list[Link]] = {}
    withheld: list[tuple[int | None, str, str | None]] = []
    mentions: list[tuple[str, int, str, str | None]] = []
    if ids:
        for kind, owner, slug, name in _page_query_for(tuple(sorted(ids))).rows(**ids):
            if kind in (WITHHELD, EVERYWHERE):
                withheld.append((owner, slug, name))
            elif kind in (MENTION_MASKED, MENTION_PUBLIC):
                mentions.append((kind, owner, slug, name))
            else:
                found.setdefault((kind, owner), []).append(Link(slug, name))
    if missing:
        redactor.add(withheld_names_from_rows(missing, withheld), mentions=mentions)
    for article in articles:
        article.place_links = found.get(("article-place", article.pk), [])
        article.tag_links = found.get(("article-tag", article.pk), [])
    for testimony in testimonies:
        testimony.tag_links = found.get(("testimony-tag", testimony.pk), [])


# --- Collections ------------------------------------------------------------------------------


def collection_list(*, user: User) -> models.QuerySet[Collection]:
    return Collection.objects.visible_to(user).annotate(
        item_count=_count_of(CollectionItem.objects.visible_to(user), "collection")
    )


def collection_detail(*, user: User) -> models.QuerySet[Collection]:
    items = (
        CollectionItem.objects.visible_to(user)
        .select_related(
            "article",
            "article__source",
            "article__dateline_place",
            "testimony",
            "testimony__speaker",
            "testimony__place",
            "testimony__article",
            "testimony__article__source",
        )
        .annotate(testimony_identified=identified_expression("testimony__"))
        .order_by("position")
    )
    return collection_list(user=user).prefetch_related(
        Prefetch("items", queryset=items, to_attr="visible_items")
    )


# --- Freshness, for conditional GET -----------------------------------------------------------

GENERATION_CACHE_KEY = "archive:generation"


def bump_generation() -> None:
    """Note that the archive changed (a belt to the database's braces, `archive.changes`)."""
    cache.set(GENERATION_CACHE_KEY, datetime.now(tz=UTC).timestamp(), timeout=None)


def archive_fingerprint() -> tuple[datetime | None, str]:
    """(when the archive last changed, a token that changes with it): one primary-key lookup.

    The database bumps a change row on every write to a table that reaches public output,
    whatever the write path: saves, deletes, queryset `.update()`s, many-to-many links, raw SQL
    (`archive.changes`). Signals also bump a generation in the cache (`archive.signals`).
    """
    # Ask the database the bodies are read from: a validator newer than a lagging replica's
    # data would let a client keep a stale body under a fresh ETag.
    alias = router.db_for_read(Article)
    with connections[alias].cursor() as cursor:
        row = changes.current(cursor) or (None, None)
    moments = [_as_datetime(row[1])] if row[1] is not None else []
    generation = cache.get(GENERATION_CACHE_KEY)
    if generation is not None:
        moments.append(datetime.fromtimestamp(generation, tz=UTC))
    last_modified = max(moments, default=None)
    token = "|".join(str(value) for value in (*row, generation))
    return last_modified, token


def _as_datetime(value: datetime | str) -> datetime:
    # SQLite returns the aggregate as text; PostgreSQL as an aware datetime.
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"Unreadable history date {value!r}")
        value = parsed
    return value if is_aware(value) else make_aware(value, UTC)


# --- What the public may read of a text -------------------------------------------------------

_AGE_PATTERNS = (
    r"\b{age}(?=[- ]years?[- ]old\b)",
    r"(?<=\baged )\b{age}\b",
    r"(?<=, ){age}(?=,)",
)


def _mask(match: re.Match) -> str:
    return WITHHELD_MASK * len(match.group(0))


class Redactor:
    """What a reader may read of the archive's texts.

    Names are masked with `archive.querysets.withheld_names` / `redact` (the one definition;
    character for character, so offsets into a body stay valid). An article's body also gets
    the passages of its restricted testimonies and the ages of its pseudonymised speakers
    masked. Only readers who may see protected identities (`can_see_protected_identities`)
    get an inactive redactor; staff without the need-to-know read protected people masked.

    Names are loaded per article in batches (`load`), one query for a whole page.
    """

    # The key for texts that belong to no one article (a collection's introduction): only the
    # names withheld everywhere apply.
    NO_ARTICLE = None

    def __init__(self, *, active: bool) -> None:
        self.active = active
        self._names: dict[int | None, frozenset[str]] = {}
        # Per article: names of public people it mentions (their namesakes' forms stay
        # readable), the spans of masked mentions, and those of public people's mentions.
        self._keep: dict[int | None, frozenset[str]] = {}
        self._masked_spans: dict[int | None, tuple[tuple[int, int], ...]] = {}
        self._public_spans: dict[int | None, tuple[tuple[int, int], ...]] = {}

    @classmethod
    def for_user(cls, user: User) -> Redactor:
        return cls(active=not can_see_protected_identities(user))

    def load(self, article_ids) -> None:
        load_page(redactor=self, redacted=article_ids)

    def missing(self, article_ids) -> set[int | None]:
        """The articles among these whose names are still to be loaded."""
        if not self.active:
            return set()
        return set(article_ids) - set(self._names)

    def add(
        self,
        names: dict[int | None, frozenset[str]],
        *,
        mentions: Iterable[tuple[str, int, str, str | None]] = (),
    ) -> None:
        """Names loaded elsewhere (`load_page`), per article, and the rows of the articles'
        mentions: (kind, article, "start:end:name", a name variant or None)."""
        withheld = {pk: set(found) for pk, found in names.items()}
        keep: dict[int | None, set[str]] = {pk: set() for pk in names}
        masked: dict[int | None, set[tuple[int, int]]] = {pk: set() for pk in names}
        public: dict[int | None, set[tuple[int, int]]] = {pk: set() for pk in names}
        for kind, article_id, slug, variant in mentions:
            start, end, rest = slug.split(":", 2)
            exact, name = rest.rsplit("\n", 1)
            span = (int(start), int(end))
            # However the body spells them here too (a spelling no variant records yet).
            spelled = forms_of([without_honorific(exact), name, *([variant] if variant else [])])
            if kind == MENTION_MASKED:
                masked[article_id].add(span)
                withheld[article_id] |= spelled
            else:
                public[article_id].add(span)
                keep[article_id] |= spelled
        for pk in names:
            self._names[pk] = frozenset(withheld[pk])
            self._keep[pk] = frozenset(keep[pk] - withheld[pk])
            self._masked_spans[pk] = tuple(sorted(masked[pk]))
            # A span some withheld person's mention also claims stays masked.
            self._public_spans[pk] = tuple(
                sorted(
                    (s, e)
                    for s, e in public[pk]
                    if not any(s < me and ms < e for ms, me in masked[pk])
                )
            )

    def names(self, article_id: int | None) -> frozenset[str]:
        if not self.active:
            return frozenset()
        if article_id not in self._names:
            self.load([article_id])
        return self._names[article_id]

    def text(self, value: str | None, *, article_id: int | None) -> str | None:
        if not self.active or not value:
            return value
        names = self.names(article_id)
        return redact(value, names, self._keep.get(article_id, frozenset()))

    def editors_text(self, value: str | None, *, article_id: int | None) -> str | None:
        """An editor's own text about an article (a caption): it has no mentions of its own,
        so the people withheld everywhere are masked in it too, besides the article's."""
        if not self.active or not value:
            return value
        names = self.names(article_id) | self.names(self.NO_ARTICLE)
        return redact(value, names, self._keep.get(article_id, frozenset()))

    def body(self, article: Article) -> str:
        """The article's body as this reader may see it, offsets unchanged."""
        if not self.active:
            return article.body
        if not hasattr(article, "withheld_spans"):
            # Fail closed: a body never goes out without its restricted passages masked.
            raise RuntimeError("Call with_withheld_passages() on the article first.")
        # The mentions decide first: a public person's mention stays readable even where their
        # name is also a withheld person's (a namesake); every masked mention is masked,
        # however the person is spelt there. Names found by their spelling alone (text no
        # mention covers yet) are masked too, erring on the side of the person.
        chars = list(self.text(article.body, article_id=article.pk) or "")
        for start, end in self._public_spans.get(article.pk, ()):
            chars[start:end] = article.body[start:end]
        for start, end in self._masked_spans.get(article.pk, ()):
            chars[start:end] = WITHHELD_MASK * (end - start)
        for start, end in article.withheld_spans:
            chars[start:end] = WITHHELD_MASK * (end - start)
        body = "".join(chars)
        for age in article.withheld_ages:
            for pattern in _AGE_PATTERNS:
                body = re.sub(pattern.format(age=age), _mask, body)
        return body


def with_withheld_passages(article: Article, *, user: User) -> Article:
    """Attach what `Redactor.body` needs to one article (see `attach_withheld_passages`)."""
    attach_withheld_passages([article], user=user)
    return article


def attach_withheld_passages(articles: list[Article], *, user: User) -> None:
    """Attach what `Redactor.body` needs: spans of the articles' restricted testimonies (of
    any status: a restricted proposal is masked too) and ages of speakers who may not be
    identified. Two queries, whatever the number of articles."""
    if can_see_protected_identities(user):
        for article in articles:
            article.withheld_spans, article.withheld_ages = (), ()
        return
    spans: dict[int, list[tuple[int, int]]] = {article.pk: [] for article in articles}
    ages: dict[int, set[int]] = {article.pk: set() for article in articles}
    for article_id, start, end in (
        Testimony.objects.filter(article_id__in=list(spans))
        .filter(TestimonyQuerySet.restricted_q())
        .values_list("article_id", "start", "end")
    ):
        spans[article_id].append((start, end))
    # Of any status and any article state: staff without the need-to-know read drafts and
    # proposals with the same masking as the public reads published articles.
    for article_id, age in (
        Testimony.objects.filter(article_id__in=list(spans), speaker_age__isnull=False)
        .exclude(TestimonyQuerySet.identified_q())
        .values_list("article_id", "speaker_age")
    ):
        ages[article_id].add(age)
    for article in articles:
        article.withheld_spans = tuple(spans[article.pk])
        article.withheld_ages = tuple(sorted(ages[article.pk]))


# --- Consent ----------------------------------------------------------------------------------


def consent_current(*, person: Person) -> ConsentRecord | None:
    """The person's current consent: their newest record."""
    return person.consent_records.order_by("-recorded_at", "-pk").first()


def consent_due_for_review(*, within_days: int, limit: int) -> list[ConsentRecord]:
    """Current consent records whose review-by date has passed or falls within `within_days`,
    most overdue first. A superseded record's date no longer counts."""
    horizon = timezone.localdate() + timedelta(days=within_days)
    newest = (
        ConsentRecord.objects.filter(person=OuterRef("person"))
        .order_by("-recorded_at", "-pk")
        .values("pk")[:1]
    )
    return list(
        ConsentRecord.objects.filter(review_by__lte=horizon)
        .filter(pk=Subquery(newest))
        .select_related("person", "recorded_by")
        .order_by("review_by", "pk")[:limit]
    )


def tombstone_of_article(slug: str) -> Tombstone | None:
    """The tombstone of a taken-down article, by the slug it was published under."""
    return Tombstone.objects.filter(slug=slug).first()


def tombstone_of_testimony(uid: str) -> Tombstone | None:
    """The tombstone of the article a testimony belonged to, by the testimony's uid; read
    from the history, which keeps the uid after a purge has deleted the testimony."""
    try:
        uuid_value = uuid.UUID(uid)
    except ValueError:
        return None
    article_ids = Testimony.history.model.objects.filter(uid=uuid_value).values("article_id")
    return Tombstone.objects.filter(article_id__in=article_ids).first()
