"""Query parameters of the API, validated: a value that is malformed or names nothing the user
may see gets a 400 that says which parameter and why, never a 500 and never a silent empty list.

Lookups of people, articles and collections go through `visible_to(user)`, so an unknown slug
and a slug of something private get the same answer.
"""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from archive import selectors
from archive.models import (
    Article,
    Collection,
    CollectionItem,
    Person,
    Place,
    Source,
    Tag,
    Testimony,
)

MAX_VALUE_LENGTH = 200


def _unknown(name: str, what: str, value: str) -> ValidationError:
    shown = value if len(value) <= 60 else value[:59] + "…"
    return ValidationError({name: [f"No {what} is known as “{shown}”."]})


def _text(**kwargs) -> filters.CharFilter:
    # Django's CharField refuses NUL characters; max_length refuses absurd values.
    return filters.CharFilter(max_length=MAX_VALUE_LENGTH, **kwargs)


def _search_filter() -> filters.CharFilter:
    from archive.search.query import MAX_QUERY_CHARS

    return filters.CharFilter(
        max_length=MAX_QUERY_CHARS,
        method="filter_q",
        help_text="Full-text search: plain words, all of which must match (see /api/v1/search/ "
        "for ranked results with snippets).",
    )


class ArchiveFilterBackend(DjangoFilterBackend):
    """django-filter, skipped when the request names none of the filter set's parameters.

    An empty form filters nothing, but building and validating it (a deep copy of every
    field) was a noticeable share of an unfiltered list page, the page asked for most.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None or not set(request.query_params) & set(
            filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class ArchiveFilterSet(filters.FilterSet):
    """Shared lookups. `self.request.user` decides what a slug may name."""

    @property
    def user(self):
        return getattr(self.request, "user", None)

    def _source(self, name: str, value: str) -> Source:
        source = Source.objects.filter(slug=value).first()
        if source is None:
            raise _unknown(name, "source", value)
        return source

    def _tag_ids(self, name: str, value: str) -> list[int]:
        tag = Tag.objects.filter(slug=value).first()
        if tag is None:
            raise _unknown(name, "tag", value)
        return selectors.tag_with_narrower(tag)

    def _places(self, name: str, value: str):
        places = selectors.places_matching(value)
        if not places.exists():
            raise _unknown(name, "place (by slug or any name variant)", value)
        return places

    def _collection(self, name: str, value: str) -> Collection:
        collection = Collection.objects.visible_to(self.user).filter(slug=value).first()
        if collection is None:
            raise _unknown(name, "collection", value)
        return collection

    def _collection_items(self, name: str, value: str):
        return CollectionItem.objects.visible_to(self.user).filter(
            collection=self._collection(name, value)
        )

    def filter_q(self, queryset, name, value):
        from archive import search

        try:
            return search.filter_queryset(queryset, value, self.user)
        except search.SearchQueryError as exc:
            raise ValidationError({name: [str(exc)]}) from exc

    def noop(self, queryset, name, value):
        # `ordering` is validated here and applied by the cursor paginator.
        return queryset


ARTICLE_ORDERING = {
    "-published_on": ("-date_sort", "-id"),
    "published_on": ("date_sort", "id"),
    "headline": ("headline", "id"),
    "-headline": ("-headline", "-id"),
}


class ArticleFilterSet(ArchiveFilterSet):
    q = _search_filter()
    place = _text(method="filter_place", help_text="Slug, name or any name variant of a place.")
    tag = _text(method="filter_tag", help_text="Tag slug; narrower terms are included.")
    source = _text(method="filter_source", help_text="Source slug.")
    language = _text(field_name="language", help_text="BCP 47 code, e.g. `en`, `fr`, `uk`.")
    published_after = filters.DateFilter(
        field_name="published_on", lookup_expr="gte", help_text="On or after (YYYY-MM-DD)."
    )
    published_before = filters.DateFilter(
        field_name="published_on", lookup_expr="lte", help_text="On or before (YYYY-MM-DD)."
    )
    collection = _text(method="filter_collection", help_text="Slug of a collection.")
    ordering = filters.ChoiceFilter(
        choices=[(key, key) for key in ARTICLE_ORDERING],
        method="noop",
        help_text="Sort order; default `-published_on` (newest first, undated last).",
    )

    class Meta:
        model = Article
        fields = ()

    def filter_place(self, queryset, name, value):
        places = self._places(name, value)
        linked = Article.places.through.objects.filter(place__in=places).values("article_id")
        return queryset.filter(Q(pk__in=linked) | Q(dateline_place__in=places))

    def filter_tag(self, queryset, name, value):
        ids = self._tag_ids(name, value)
        return queryset.filter(
            pk__in=Article.tags.through.objects.filter(tag_id__in=ids).values("article_id")
        )

    def filter_source(self, queryset, name, value):
        return queryset.filter(source=self._source(name, value))

    def filter_collection(self, queryset, name, value):
        items = self._collection_items(name, value)
        return queryset.filter(pk__in=items.values("article_id"))


# The article comes before the testimony's own id so the database can walk the articles'
# date index (archive.Article "article_date_sort") and read only the testimonies of the first
# few articles; ordered by date then testimony id, it must read every testimony of the day.
TESTIMONY_ORDERING = {
    "-published_on": ("-date_sort", "-article_id", "-id"),
    "published_on": ("date_sort", "article_id", "id"),
}


class TestimonyFilterSet(ArchiveFilterSet):
    q = _search_filter()
    place = _text(method="filter_place", help_text="Slug, name or any name variant of a place.")
    tag = _text(method="filter_tag", help_text="Tag slug; narrower terms are included.")
    source = _text(method="filter_source", help_text="Slug of the article's source.")
    speaker = _text(method="filter_speaker", help_text="Slug of a person who may be named.")
    speaker_kind = filters.ChoiceFilter(
        choices=Person.Kind.choices,
        method="filter_speaker_kind",
        help_text="Kind of speaker (only speakers who may be named are matched).",
    )
    language = _text(field_name="language", help_text="BCP 47 code of the quote.")
    published_after = filters.DateFilter(
        field_name="article__published_on",
        lookup_expr="gte",
        help_text="Article published on or after (YYYY-MM-DD).",
    )
    published_before = filters.DateFilter(
        field_name="article__published_on",
        lookup_expr="lte",
        help_text="Article published on or before (YYYY-MM-DD).",
    )
    article = _text(method="filter_article", help_text="Slug of the article.")
    collection = _text(method="filter_collection", help_text="Slug of a collection.")
    ordering = filters.ChoiceFilter(
        choices=[(key, key) for key in TESTIMONY_ORDERING],
        method="noop",
        help_text="Sort order by the article's date; default `-published_on`.",
    )

    class Meta:
        model = Testimony
        fields = ()

    def filter_place(self, queryset, name, value):
        places = self._places(name, value)
        if self.form.cleaned_data.get("tag"):
            # With a tag as well, place and tag each narrow by a set of ids (index-only scans
            # of testimony_place_id and testimony_tags_tag_testimony) that PostgreSQL
            # intersects before reading a testimony; on the rows' place_id it read every
            # testimony of the place first. Alone, the plain condition is faster: the newest
            # rows are walked in date order until a page is full.
            at_place = Testimony.objects.filter(place__in=places).order_by().values("pk")
            return queryset.filter(pk__in=at_place)
        return queryset.filter(place__in=places)

    def filter_tag(self, queryset, name, value):
        ids = self._tag_ids(name, value)
        return queryset.filter(
            pk__in=Testimony.tags.through.objects.filter(tag_id__in=ids).values("testimony_id")
        )

    def filter_source(self, queryset, name, value):
        return queryset.filter(article__source=self._source(name, value))

    def filter_speaker(self, queryset, name, value):
        person = Person.objects.visible_to(self.user).filter(slug=value).first()
        if person is None:
            raise _unknown(name, "person", value)
        attributed = selectors.attributable_testimonies(self.user).filter(speaker=person)
        return queryset.filter(pk__in=attributed.values("pk"))

    def filter_speaker_kind(self, queryset, name, value):
        attributed = selectors.attributable_testimonies(self.user).filter(speaker__kind=value)
        return queryset.filter(pk__in=attributed.values("pk"))

    def filter_article(self, queryset, name, value):
        article = Article.objects.visible_to(self.user).filter(slug=value).first()
        if article is None:
            raise _unknown(name, "article", value)
        return queryset.filter(article=article)

    def filter_collection(self, queryset, name, value):
        items = self._collection_items(name, value)
        return queryset.filter(pk__in=items.values("testimony_id"))


class PersonFilterSet(ArchiveFilterSet):
    kind = filters.ChoiceFilter(choices=Person.Kind.choices, help_text="Kind of person.")

    class Meta:
        model = Person
        fields = ()


class PlaceFilterSet(ArchiveFilterSet):
    kind = filters.ChoiceFilter(choices=Place.Kind.choices, help_text="Kind of place.")
    parent = _text(method="filter_parent", help_text="Slug of the region it lies in.")
    name = _text(method="filter_name", help_text="Slug, name or any name variant.")

    class Meta:
        model = Place
        fields = ()

    def filter_parent(self, queryset, name, value):
        parent = Place.objects.filter(slug=value).first()
        if parent is None:
            raise _unknown(name, "place", value)
        return queryset.filter(parent=parent)

    def filter_name(self, queryset, name, value):
        return queryset.filter(pk__in=self._places(name, value).values("pk"))


class SourceFilterSet(ArchiveFilterSet):
    kind = filters.ChoiceFilter(choices=Source.Kind.choices, help_text="Kind of outlet.")
    country = _text(field_name="country", help_text="ISO 3166-1 alpha-2 code.")
    language = _text(field_name="language", help_text="BCP 47 code.")

    class Meta:
        model = Source
        fields = ()
