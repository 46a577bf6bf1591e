"""What `/api/v1/search/` accepts and what it returns, spelled out field by field."""

from __future__ import annotations

from rest_framework import serializers

from archive.search.engine import ARTICLE, KINDS, SearchHit
from archive.search.query import MAX_QUERY_CHARS

MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
TITLE_CHARS = 200


MAX_PAGE = 1000


class SearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=MAX_QUERY_CHARS,
        trim_whitespace=True,
        help_text="Plain words; every word must match. Operators and quotes are ignored.",
    )
    type = serializers.ChoiceField(choices=KINDS, required=False, help_text="Only this kind.")
    place = serializers.SlugField(required=False, help_text="Slug of a place.")
    tag = serializers.SlugField(required=False, help_text="Slug of a tag.")
    source = serializers.SlugField(required=False, help_text="Slug of a source.")
    language = serializers.CharField(required=False, max_length=8, help_text="BCP 47 code.")
    date_from = serializers.DateField(required=False, help_text="Published on or after.")
    date_to = serializers.DateField(required=False, help_text="Published on or before.")
    # Ranked results are read from the top; a page past this depth is refused rather than
    # turned into an OFFSET the database cannot take (or would scan to no one's benefit).
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, default=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
    )

    def validate(self, attrs):
        date_from, date_to = attrs.get("date_from"), attrs.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise serializers.ValidationError({"date_to": "date_to is before date_from."})
        return attrs


class SearchHitSerializer(serializers.Serializer):
    """One hit; articles and testimonies share the keys (null where one does not apply)."""

    type = serializers.SerializerMethodField()
    slug = serializers.SerializerMethodField(help_text="The article's slug (articles).")
    uid = serializers.SerializerMethodField(help_text="The testimony's uid (testimonies).")
    article = serializers.SerializerMethodField(help_text="Slug of the article it is in.")
    title = serializers.SerializerMethodField(help_text="Headline, or the start of the quote.")
    speaker = serializers.SerializerMethodField(
        help_text="Who spoke (testimonies), only when they may be named to you."
    )
    published_on = serializers.SerializerMethodField()
    snippet = serializers.CharField(
        help_text="HTML: the text escaped, matched words in <mark>…</mark>."
    )
    rank = serializers.FloatField(help_text="Higher is better; comparable within one search.")

    def get_type(self, hit: SearchHit) -> str:
        return hit.kind

    def get_slug(self, hit: SearchHit) -> str | None:
        return hit.obj.slug if hit.kind == ARTICLE else None

    def get_uid(self, hit: SearchHit) -> str | None:
        return None if hit.kind == ARTICLE else str(hit.obj.uid)

    def get_article(self, hit: SearchHit) -> str:
        return hit.obj.slug if hit.kind == ARTICLE else hit.obj.article.slug

    def get_title(self, hit: SearchHit) -> str:
        title = hit.title
        return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"

    def get_speaker(self, hit: SearchHit) -> str | None:
        if hit.kind == ARTICLE:
            return None
        testimony = hit.obj
        if not hit.speaker_named:
            # Withheld: no name and no description either, as in the testimony endpoint.
            return None
        return testimony.speaker.name if testimony.speaker_id else testimony.speaker_description

    def get_published_on(self, hit: SearchHit) -> str | None:
        article = hit.obj if hit.kind == ARTICLE else hit.obj.article
        return article.published_on.isoformat() if article.published_on else None


class SearchPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(
        help_text="How many hits; exact up to 1000 of each kind, else a lower bound."
    )
    count_exact = serializers.BooleanField(help_text="False when `count` is a lower bound.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SearchHitSerializer(many=True)
