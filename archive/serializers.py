"""Output serializers of the public API: one for a listing, one for a detail, fields spelled out.

They never decide what may be seen: the querysets come from `archive.selectors`, which build on
`archive.querysets`. The one thing a serializer does with privacy is to leave out a speaker's
identity when the queryset's `is_identified` column (computed from `identified_q`) says so.
"""

from __future__ import annotations

import functools
from urllib.parse import quote

from django.urls import get_script_prefix
from django.urls import reverse as django_reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from archive.models import (
    Article,
    Collection,
    CollectionItem,
    Credit,
    Person,
    Place,
    PlaceFact,
    PlaceName,
    Source,
    Tag,
    Testimony,
)
from archive.permissions import can_see_protected_identities
from archive.selectors import Redactor

_PLACEHOLDER = "__LOOKUP__"
# What Django's reverse() leaves unescaped in a path (RFC 3986 sub-delimiters and "/~:@").
_PATH_SAFE = "!$&'()*+,;=/~:@"


@functools.lru_cache(maxsize=256)
def _route_template(viewname: str, key: str, prefix: str) -> str:
    return django_reverse(viewname, kwargs={key: _PLACEHOLDER})


def reverse(viewname, args=None, kwargs=None, request=None, format=None, **extra) -> str:
    """An absolute URL without the request's `?format=`: DRF's `reverse` carries it over,
    which would turn every link in a CSV or ninjs answer into a link to a CSV or ninjs.

    A list links every row to several objects: the route is resolved once per view name and
    request, and the lookup value filled in, as Django's reverse() would quote it.
    """
    if kwargs and len(kwargs) == 1 and not args:
        ((key, value),) = kwargs.items()
        template = _link_template(request, viewname, key)
        return template.replace(_PLACEHOLDER, quote(str(value), safe=_PATH_SAFE))
    url = django_reverse(viewname, args=args, kwargs=kwargs)
    return url if request is None else _absolute_base(request) + url


def _absolute_base(request) -> str:
    base = getattr(request, "_absolute_base", None)
    if base is None:
        base = request._absolute_base = request.build_absolute_uri("/")[:-1]
    return base


def _link_template(request, viewname: str, key: str) -> str:
    """The URL of `viewname` with a placeholder for `key`, absolute when there is a request;
    kept on the request, so a page asks for the script prefix and the host once per route."""
    if request is None:
        return _route_template(viewname, key, get_script_prefix())
    templates = getattr(request, "_link_templates", None)
    if templates is None:
        templates = request._link_templates = {}
    template = templates.get((viewname, key))
    if template is None:
        template = _absolute_base(request) + _route_template(viewname, key, get_script_prefix())
        templates[viewname, key] = template
    return template


class HyperlinkedIdentityField(serializers.HyperlinkedIdentityField):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reverse = reverse  # DRF sets its own in __init__


def redactor_for(context: dict) -> Redactor:
    """The request's redactor, built once per request; never absent (fail closed)."""
    if "redactor" not in context:
        context["redactor"] = Redactor.for_user(context["request"].user)
    return context["redactor"]


def nested(parent: serializers.Serializer, serializer_class, instance) -> dict:
    """Serialise `instance` with one `serializer_class` per parent serializer.

    A list serializer reuses its child for every row, so building the nested serializer (and
    its fields) once per request instead of once per row keeps method fields cheap.
    """
    cache = parent.__dict__.setdefault("_nested_serializers", {})
    if serializer_class not in cache:
        cache[serializer_class] = serializer_class(context=parent.context)
    return cache[serializer_class].to_representation(instance)


class RedactedMixin:
    """Masks withheld names in the text fields listed in `redacted_fields`, with the names
    withheld in the article the text belongs to (`redaction_article_id`)."""

    redacted_fields: tuple[str, ...] = ()

    def redaction_article_id(self, instance) -> int | None:
        return instance.pk

    def to_representation(self, instance):
        data = super().to_representation(instance)
        redactor = redactor_for(self.context)
        article_id = self.redaction_article_id(instance)
        for name in self.redacted_fields:
            if name in data:
                data[name] = redactor.text(data[name], article_id=article_id)
        return data


# --- Small summaries used inside other objects -------------------------------------------------


def _iso_date(value) -> str | None:
    """What DRF's DateField gives (ISO 8601, None for no date), without a field per row."""
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()


class SummarySerializer(serializers.ModelSerializer):
    """A tiny nested object (slug, name, a few plain columns, url) built as a plain dict.

    A list page nests dozens of these; DRF's per-field machinery cost more than the rest of
    the row. The declared fields still describe the object in the OpenAPI schema, and the
    output is the same: plain columns as stored, `url` from the lookup slug.
    """

    view_name: str

    def to_representation(self, instance) -> dict:
        request = self.context["request"]
        data = {}
        for name in self.Meta.fields:
            if name == "url":
                data[name] = reverse(
                    self.view_name, kwargs={"slug": instance.slug}, request=request
                )
            else:
                data[name] = getattr(instance, name)
        return data


class SourceSummarySerializer(SummarySerializer):
    view_name = "source-detail"
    url = HyperlinkedIdentityField(view_name=view_name, lookup_field="slug")

    class Meta:
        model = Source
        fields = ("slug", "name", "url")


class PlaceSummarySerializer(SummarySerializer):
    view_name = "place-detail"
    url = HyperlinkedIdentityField(view_name=view_name, lookup_field="slug")

    class Meta:
        model = Place
        fields = ("slug", "name", "url")


class TagSummarySerializer(SummarySerializer):
    view_name = "tag-detail"
    url = HyperlinkedIdentityField(view_name=view_name, lookup_field="slug")

    class Meta:
        model = Tag
        fields = ("slug", "name", "url")


class PersonSummarySerializer(SummarySerializer):
    view_name = "person-detail"
    url = HyperlinkedIdentityField(view_name=view_name, lookup_field="slug")

    class Meta:
        model = Person
        fields = ("slug", "name", "role", "kind", "url")


class ArticleReferenceSerializer(RedactedMixin, serializers.ModelSerializer):
    redacted_fields = ("headline",)
    url = HyperlinkedIdentityField(view_name="article-detail", lookup_field="slug")

    class Meta:
        model = Article
        fields = ("slug", "headline", "published_on", "url")

    def to_representation(self, article: Article) -> dict:
        # By hand for the same reason as SummarySerializer; redacted as RedactedMixin would.
        return {
            "slug": article.slug,
            "headline": redactor_for(self.context).text(article.headline, article_id=article.pk),
            "published_on": _iso_date(article.published_on),
            "url": reverse(
                "article-detail", kwargs={"slug": article.slug}, request=self.context["request"]
            ),
        }


# --- Testimonies -------------------------------------------------------------------------------


class TestimonySerializer(RedactedMixin, serializers.ModelSerializer):
    """A testimony. Its speaker's identity is left out unless the speaker may be named.

    `identity_withheld` is true for a pseudonymised testimony (or speaker). The public then
    gets no speaker, description, age or context, nor does staff without the need-to-know
    (`can_see_protected_identities`); those who may see them get them, with the flag as a marker.
    """

    redacted_fields = ("quote", "translation_note", "speaker_description", "context")

    url = HyperlinkedIdentityField(view_name="testimony-detail", lookup_field="uid")
    speaker = serializers.SerializerMethodField()
    speaker_description = serializers.SerializerMethodField()
    speaker_age = serializers.SerializerMethodField()
    context = serializers.SerializerMethodField()
    identity_withheld = serializers.SerializerMethodField()
    place = PlaceSummarySerializer(read_only=True, allow_null=True)
    # Attached by selectors.load_page, which the views call for a whole page.
    tags = TagSummarySerializer(many=True, read_only=True, source="tag_links")
    article = ArticleReferenceSerializer(read_only=True)
    source = serializers.SerializerMethodField()

    class Meta:
        model = Testimony
        fields = (
            "uid",
            "url",
            "quote",
            "speaker",
            "speaker_description",
            "speaker_age",
            "identity_withheld",
            "place",
            "context",
            "language",
            "translation_note",
            "tags",
            "article",
            "source",
            "visibility",
        )

    def redaction_article_id(self, testimony: Testimony) -> int:
        return testimony.article_id

    def to_representation(self, testimony: Testimony) -> dict:
        """The row by hand (a list page runs it for every testimony): the same keys, values and
        redaction as the declared fields and `redacted_fields` give, without DRF's per-field
        cost. The identity is still decided by `_reveal` alone."""
        request = self.context["request"]
        redactor = redactor_for(self.context)
        article_id = testimony.article_id
        reveal = self._reveal(testimony)
        fields = self.fields
        place = testimony.place
        article = testimony.article

        def text(value):
            return redactor.text(value, article_id=article_id)

        return {
            "uid": str(testimony.uid),
            "url": reverse("testimony-detail", kwargs={"uid": testimony.uid}, request=request),
            "quote": text(testimony.quote),
            "speaker": self.get_speaker(testimony),
            "speaker_description": text(testimony.speaker_description) if reveal else None,
            "speaker_age": testimony.speaker_age if reveal else None,
            "identity_withheld": self.get_identity_withheld(testimony),
            "place": fields["place"].to_representation(place) if place is not None else None,
            "context": text(testimony.context) if reveal else None,
            "language": testimony.language,
            "translation_note": text(testimony.translation_note),
            "tags": [fields["tags"].child.to_representation(t) for t in testimony.tag_links],
            "article": fields["article"].to_representation(article)
            if article is not None
            else None,
            "source": self.get_source(testimony),
            "visibility": testimony.visibility,
        }

    def _reveal(self, testimony: Testimony) -> bool:
        if bool(getattr(testimony, "is_identified", False)):
            return True
        return can_see_protected_identities(self.context["request"].user)

    @extend_schema_field(PersonSummarySerializer(allow_null=True))
    def get_speaker(self, testimony: Testimony) -> dict | None:
        if testimony.speaker is None or not self._reveal(testimony):
            return None
        return nested(self, PersonSummarySerializer, testimony.speaker)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_speaker_description(self, testimony: Testimony) -> str | None:
        return testimony.speaker_description if self._reveal(testimony) else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_speaker_age(self, testimony: Testimony) -> int | None:
        return testimony.speaker_age if self._reveal(testimony) else None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_context(self, testimony: Testimony) -> str | None:
        return testimony.context if self._reveal(testimony) else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_identity_withheld(self, testimony: Testimony) -> bool:
        return not bool(getattr(testimony, "is_identified", False))

    @extend_schema_field(SourceSummarySerializer(allow_null=True))
    def get_source(self, testimony: Testimony) -> dict | None:
        source = testimony.article.source
        return nested(self, SourceSummarySerializer, source) if source else None


# --- Articles ----------------------------------------------------------------------------------


class ArticleListSerializer(RedactedMixin, serializers.ModelSerializer):
    redacted_fields = ("headline", "standfirst")
    url = HyperlinkedIdentityField(view_name="article-detail", lookup_field="slug")
    source = SourceSummarySerializer(read_only=True, allow_null=True)
    dateline_place = PlaceSummarySerializer(read_only=True, allow_null=True)
    # Attached by selectors.load_page, which the views call for a whole page.
    places = PlaceSummarySerializer(many=True, read_only=True, source="place_links")
    tags = TagSummarySerializer(many=True, read_only=True, source="tag_links")

    class Meta:
        model = Article
        fields = (
            "slug",
            "url",
            "headline",
            "standfirst",
            "source",
            "language",
            "published_on",
            "date_precision",
            "date_inferred",
            "dateline_place",
            "places",
            "tags",
            "status",
        )

    def to_representation(self, article: Article) -> dict:
        """The row by hand: the article list's cost was mostly DRF fields run per row and per
        nested place and tag. Same keys, same values, same redaction as the declared fields."""
        request = self.context["request"]
        redactor = redactor_for(self.context)
        fields = self.fields
        place = fields["dateline_place"]
        return {
            "slug": article.slug,
            "url": reverse("article-detail", kwargs={"slug": article.slug}, request=request),
            "headline": redactor.text(article.headline, article_id=article.pk),
            "standfirst": redactor.text(article.standfirst, article_id=article.pk),
            "source": fields["source"].to_representation(article.source)
            if article.source_id is not None
            else None,
            "language": article.language,
            "published_on": _iso_date(article.published_on),
            "date_precision": article.date_precision,
            "date_inferred": bool(article.date_inferred),
            "dateline_place": place.to_representation(article.dateline_place)
            if article.dateline_place_id is not None
            else None,
            "places": [place.to_representation(p) for p in article.place_links],
            "tags": [fields["tags"].child.to_representation(t) for t in article.tag_links],
            "status": article.status,
        }


class CreditSerializer(serializers.ModelSerializer):
    class Meta:
        model = Credit
        fields = ("name", "role")


class ArticleDetailSerializer(ArticleListSerializer):
    credits = CreditSerializer(many=True, read_only=True)
    testimonies = TestimonySerializer(many=True, read_only=True, source="visible_testimonies")
    annotations_url = serializers.SerializerMethodField()
    ninjs_url = serializers.SerializerMethodField()

    class Meta(ArticleListSerializer.Meta):
        fields = (
            *ArticleListSerializer.Meta.fields,
            "body",
            "credits",
            "original_url",
            "published_at",
            "updated_at",
            "testimonies",
            "annotations_url",
            "ninjs_url",
        )

    def to_representation(self, article: Article) -> dict:
        # The declared fields, not the list's hand-built row: the detail has more of them.
        data = RedactedMixin.to_representation(self, article)
        data["body"] = redactor_for(self.context).body(article)
        return data

    @extend_schema_field(OpenApiTypes.URI)
    def get_annotations_url(self, article: Article) -> str:
        return reverse(
            "article-annotations", kwargs={"slug": article.slug}, request=self.context["request"]
        )

    @extend_schema_field(OpenApiTypes.URI)
    def get_ninjs_url(self, article: Article) -> str:
        url = reverse(
            "article-detail", kwargs={"slug": article.slug}, request=self.context["request"]
        )
        return f"{url}?format=ninjs"


# --- People, places, sources, tags -------------------------------------------------------------


class PersonListSerializer(serializers.ModelSerializer):
    url = HyperlinkedIdentityField(view_name="person-detail", lookup_field="slug")
    testimony_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Person
        fields = ("slug", "url", "name", "role", "kind", "testimony_count", "protection_level")


class PersonDetailSerializer(PersonListSerializer):
    name_variants = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    testimonies_url = serializers.SerializerMethodField()

    class Meta(PersonListSerializer.Meta):
        fields = (*PersonListSerializer.Meta.fields, "name_variants", "testimonies_url")

    @extend_schema_field(OpenApiTypes.URI)
    def get_testimonies_url(self, person: Person) -> str:
        url = reverse("testimony-list", request=self.context["request"])
        return f"{url}?speaker={person.slug}"


class PlaceNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaceName
        fields = ("name", "language", "kind")


class PlaceFactSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaceFact
        fields = ("kind", "value", "as_of", "source_note")


class PlaceListSerializer(serializers.ModelSerializer):
    url = HyperlinkedIdentityField(view_name="place-detail", lookup_field="slug")
    parent = PlaceSummarySerializer(read_only=True, allow_null=True)
    variants = PlaceNameSerializer(many=True, read_only=True)
    testimony_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Place
        fields = (
            "slug",
            "url",
            "name",
            "kind",
            "parent",
            "latitude",
            "longitude",
            "variants",
            "testimony_count",
        )


class PlaceDetailSerializer(PlaceListSerializer):
    facts = PlaceFactSerializer(many=True, read_only=True)
    testimonies_url = serializers.SerializerMethodField()
    articles_url = serializers.SerializerMethodField()

    class Meta(PlaceListSerializer.Meta):
        fields = (*PlaceListSerializer.Meta.fields, "facts", "testimonies_url", "articles_url")

    @extend_schema_field(OpenApiTypes.URI)
    def get_testimonies_url(self, place: Place) -> str:
        return f"{reverse('testimony-list', request=self.context['request'])}?place={place.slug}"

    @extend_schema_field(OpenApiTypes.URI)
    def get_articles_url(self, place: Place) -> str:
        return f"{reverse('article-list', request=self.context['request'])}?place={place.slug}"


class SourceListSerializer(serializers.ModelSerializer):
    url = HyperlinkedIdentityField(view_name="source-detail", lookup_field="slug")
    article_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Source
        fields = ("slug", "url", "name", "kind", "country", "language", "article_count")


class SourceDetailSerializer(SourceListSerializer):
    articles_url = serializers.SerializerMethodField()

    class Meta(SourceListSerializer.Meta):
        fields = (*SourceListSerializer.Meta.fields, "website", "rights_note", "articles_url")

    @extend_schema_field(OpenApiTypes.URI)
    def get_articles_url(self, source: Source) -> str:
        return f"{reverse('article-list', request=self.context['request'])}?source={source.slug}"


class NarrowerTagSerializer(serializers.ModelSerializer):
    url = HyperlinkedIdentityField(view_name="tag-detail", lookup_field="slug")

    class Meta:
        model = Tag
        fields = ("slug", "url", "name", "description")


class TagTreeSerializer(serializers.ModelSerializer):
    """A top-level theme with its narrower terms."""

    url = HyperlinkedIdentityField(view_name="tag-detail", lookup_field="slug")
    narrower = NarrowerTagSerializer(many=True, read_only=True, source="children")

    class Meta:
        model = Tag
        fields = ("slug", "url", "name", "description", "narrower")


class TagDetailSerializer(TagTreeSerializer):
    broader = TagSummarySerializer(read_only=True, allow_null=True, source="parent")

    class Meta(TagTreeSerializer.Meta):
        fields = (*TagTreeSerializer.Meta.fields, "broader")


# --- Collections -------------------------------------------------------------------------------


class CollectionListSerializer(RedactedMixin, serializers.ModelSerializer):
    redacted_fields = ("title", "introduction")

    def redaction_article_id(self, collection: Collection) -> None:
        return None  # only the names withheld everywhere apply

    url = HyperlinkedIdentityField(view_name="collection-detail", lookup_field="slug")
    item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Collection
        fields = (
            "slug",
            "url",
            "title",
            "introduction",
            "curator",
            "published_at",
            "item_count",
            "status",
        )


class CollectionItemSerializer(serializers.ModelSerializer):
    type = serializers.SerializerMethodField()
    article = serializers.SerializerMethodField()
    testimony = serializers.SerializerMethodField()

    class Meta:
        model = CollectionItem
        fields = ("position", "type", "caption", "article", "testimony")

    def redaction_article_id(self, item: CollectionItem) -> int:
        return item.article_id or item.testimony.article_id

    def to_representation(self, item: CollectionItem) -> dict:
        data = super().to_representation(item)
        data["caption"] = redactor_for(self.context).editors_text(
            data["caption"], article_id=self.redaction_article_id(item)
        )
        return data

    @extend_schema_field({"type": "string", "enum": ["article", "testimony"]})
    def get_type(self, item: CollectionItem) -> str:
        return "article" if item.article_id else "testimony"

    @extend_schema_field(ArticleListSerializer(allow_null=True))
    def get_article(self, item: CollectionItem) -> dict | None:
        if item.article is None:
            return None
        return nested(self, ArticleListSerializer, item.article)

    @extend_schema_field(TestimonySerializer(allow_null=True))
    def get_testimony(self, item: CollectionItem) -> dict | None:
        if item.testimony is None:
            return None
        # The identity column was computed on the item's row (selectors.collection_detail).
        item.testimony.is_identified = item.testimony_identified
        return nested(self, TestimonySerializer, item.testimony)


class CollectionDetailSerializer(CollectionListSerializer):
    items = CollectionItemSerializer(many=True, read_only=True, source="visible_items")

    class Meta(CollectionListSerializer.Meta):
        fields = (*CollectionListSerializer.Meta.fields, "items")


# --- Errors, for the schema --------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For a 400: what was wrong with each parameter.",
    )
    request_id = serializers.CharField(
        allow_null=True,
        help_text="The id in the X-Request-ID header and in the server's log lines.",
    )


# --- IPTC ninjs 3.1 ----------------------------------------------------------------------------

NINJS_SCHEMA_URI = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"
NINJS_PUB_STATUS = {"published": "usable", "withdrawn": "canceled"}


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class NinjsArticleSerializer(serializers.BaseSerializer):
    """An article as an IPTC ninjs 3.1 news item: people (speakers who may be named), places,
    subjects (tags) and the source (as an info source and an organisation)."""

    def to_representation(self, article: Article) -> dict:
        request = self.context["request"]
        redactor = redactor_for(self.context)
        body = redactor.body(article)

        def url(view_name: str, slug: str) -> str:
            return reverse(view_name, kwargs={"slug": slug}, request=request)

        speakers: dict[int, Person] = {}
        for testimony in article.visible_testimonies:
            reveal = bool(testimony.is_identified) or can_see_protected_identities(request.user)
            if testimony.speaker is not None and reveal:
                speakers.setdefault(testimony.speaker_id, testimony.speaker)
        item: dict = {
            "uri": url("article-detail", article.slug),
            "standard": {"name": "ninjs", "version": "3.1", "schema": NINJS_SCHEMA_URI},
            "type": "text",
            "representationType": "full",
            "profile": "newsroom-archive-dispatch",
            "versionCreated": _iso(article.updated_at),
            "firstCreated": _iso(article.published_at or article.created_at),
            "pubStatus": NINJS_PUB_STATUS.get(article.status, "withheld"),
            "language": article.language,
            "headlines": [
                {"role": "main", "value": redactor.text(article.headline, article_id=article.pk)}
            ],
            "bodies": [
                {
                    "role": "main",
                    "contentType": "text/plain",
                    "value": body,
                    "charCount": len(body),
                    "wordCount": len(body.split()),
                }
            ],
            "altIds": [{"role": "slug", "value": article.slug}],
            "people": [
                {
                    "name": person.name,
                    "rel": "quoted",
                    "uri": url("person-detail", person.slug),
                    "literal": person.slug,
                }
                for person in speakers.values()
            ],
            "places": [
                {
                    "name": place.name,
                    "rel": "mentions",
                    "uri": url("place-detail", place.slug),
                    "literal": place.slug,
                }
                for place in article.place_links
            ],
            "subjects": [
                {
                    "name": tag.name,
                    "rel": "about",
                    "uri": url("tag-detail", tag.slug),
                    "literal": tag.slug,
                }
                for tag in article.tag_links
            ],
        }
        if article.standfirst:
            item["descriptions"] = [
                {
                    "role": "summary",
                    "value": redactor.text(article.standfirst, article_id=article.pk),
                }
            ]
        credits = list(article.credits.all())
        if credits:
            item["by"] = ", ".join(f"{c.name} ({c.get_role_display().lower()})" for c in credits)
        if article.dateline_place is not None:
            item["located"] = article.dateline_place.name
        if article.source is not None:
            source = {
                "name": article.source.name,
                "uri": url("source-detail", article.source.slug),
                "literal": article.source.slug,
            }
            item["infoSources"] = [{**source, "role": "originatingSource"}]
            item["organisations"] = [{**source, "rel": "source"}]
            if article.source.rights_note:
                item["usageTerms"] = article.source.rights_note
        return item


# --- W3C Web Annotation ------------------------------------------------------------------------

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"


class WebAnnotationSerializer(serializers.BaseSerializer):
    """One annotation in the W3C Web Annotation Data Model, anchored with a TextQuoteSelector
    and a TextPositionSelector on the article (its `body`, in characters)."""

    def to_representation(self, annotation) -> dict:
        article_url = self.context["article_url"]
        page_url = self.context["page_url"]
        redactor = redactor_for(self.context)
        # The selectors quote the body as this reader sees it (masking keeps offsets).
        body = self.context["article_body"]
        start, end = annotation.start, annotation.end
        prefix = body[max(0, start - len(annotation.prefix)) : start]
        suffix = body[end : end + len(annotation.suffix)]
        item = {
            "@context": ANNO_CONTEXT,
            "id": f"{page_url}#{annotation.uid}",
            "type": "Annotation",
            "motivation": annotation.motivation,
            "created": _iso(annotation.created_at),
            "modified": _iso(annotation.updated_at),
            "body": {
                "type": "TextualBody",
                "value": redactor.text(annotation.body, article_id=annotation.article_id),
                "format": "text/plain",
            },
            "target": {
                "source": article_url,
                "selector": [
                    {
                        "type": "TextQuoteSelector",
                        "exact": body[start:end],
                        "prefix": prefix,
                        "suffix": suffix,
                    },
                    {
                        "type": "TextPositionSelector",
                        "start": annotation.start,
                        "end": annotation.end,
                    },
                ],
            },
        }
        if annotation.author_name:
            item["creator"] = {"type": "Person", "name": annotation.author_name}
        if not annotation.is_public:
            # Only staff ever get here (the queryset is `visible_to`); mark the note as theirs.
            item["audience"] = {"type": "schema:Audience", "schema:audienceType": "editors"}
        return item
