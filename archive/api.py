"""The public REST API (`/api/v1/`): read-only viewsets over the archive.

Views are thin: querysets come from `archive.selectors` (which build on the one definition of
what the public may see, `archive.querysets`), query parameters are validated by
`archive.filters`, output is shaped by `archive.serializers` and encoded by `archive.renderers`.
What the views add is HTTP: unknown parameters refused, conditional GET, cache headers, JSON
errors.
"""

from __future__ import annotations

import hashlib

from django.http import Http404
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.functional import cached_property
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from archive import selectors, serializers
from archive.filters import (
    ARTICLE_ORDERING,
    TESTIMONY_ORDERING,
    ArticleFilterSet,
    PersonFilterSet,
    PlaceFilterSet,
    SourceFilterSet,
    TestimonyFilterSet,
)
from archive.models import Article, Testimony
from archive.pagination import ArchiveCursorPagination, ArchivePagePagination
from archive.permissions import can_see_protected_identities
from archive.querysets import can_see_unpublished
from archive.renderers import CSVRenderer, JSONLDRenderer, NinjsRenderer
from archive.serializers import reverse
from newsroom.errors import error_body
from newsroom.requestid import request_id

# Longer than any slug or uid: looked up as "not found" without asking the database.
MAX_LOOKUP = 200

# How long a shared cache may keep a public response before revalidating it.
PUBLIC_MAX_AGE = 60

# --- Errors ------------------------------------------------------------------------------------


# Messages may quote the offending value; a 10,000-character value is not echoed in full.
MAX_MESSAGE = 200


def _short(message) -> str:
    text = str(message)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _messages(detail) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {_short(key): [_short(m) for m in _as_list(value)] for key, value in detail.items()}
    return {"non_field_errors": [_short(m) for m in _as_list(detail)]}


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def exception_handler(exc, context):
    """Every error the API answers is JSON: {"status", "detail"[, "errors"]}."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        errors = _messages(exc.detail)
        summary = "; ".join(f"{key}: {' '.join(values)}" for key, values in errors.items())
        response.data = {
            "status": response.status_code,
            "detail": f"Invalid request. {summary}",
            "errors": errors,
            "request_id": request_id(),
        }
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = error_body(response.status_code, str(detail or exc))
    return response


# Errors are always JSON, whatever format was asked for (see finalize_response).
ERRORS = {
    (400, "application/json"): OpenApiResponse(
        serializers.ErrorSerializer, description="A malformed or unknown parameter."
    ),
    (404, "application/json"): OpenApiResponse(
        serializers.ErrorSerializer, description="No such object."
    ),
    (410, "application/json"): OpenApiResponse(
        serializers.ErrorSerializer,
        description="Taken down on purpose (an article and its testimonies): the reason.",
    ),
    (429, "application/json"): OpenApiResponse(
        serializers.ErrorSerializer, description="Too many requests; see Retry-After."
    ),
}


class Gone(APIException):
    """410: the object was taken down on purpose (see archive.models.Tombstone)."""

    status_code = 410
    default_detail = "This was taken down."
    default_code = "gone"


def gone_detail(tombstone, what: str) -> str:
    return (
        f"{what} was taken down on {tombstone.taken_down_at:%Y-%m-%d}: {tombstone.reason} "
        f"(capture SHA-256 {tombstone.raw_sha256})."
    )


# --- The HTTP layer shared by every endpoint ---------------------------------------------------


def audience_of(user) -> str:
    """Which version of the archive this client reads, for validators: the public archive,
    staff's with protected people masked, or the editors' with their identities. A client
    that gains or loses the need-to-know never revalidates the other's copy."""
    if can_see_protected_identities(user):
        return "editorial"
    return "staff-masked" if can_see_unpublished(user) else "public"


PAGINATION_PARAMETERS = {
    ArchiveCursorPagination: {"cursor", "page_size"},
    ArchivePagePagination: {"page", "page_size"},
}


# Conditional GET. The validator is computed from the archive's fingerprint (one cheap query,
# see selectors.archive_fingerprint), the URL, the format and which version of the archive the
# client reads, so a 304 costs no serialisation at all.
def validators(request) -> tuple[str, int | None]:
    last_modified, token = selectors.archive_fingerprint()
    key = "\n".join(
        (
            token,
            request.get_full_path(),
            str(getattr(request, "accepted_media_type", "")),
            audience_of(request.user),
        )
    )
    etag = f'W/"{hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]}"'
    # HTTP dates have whole seconds; the ETag tells apart changes within one.
    return etag, int(last_modified.timestamp()) if last_modified else None


def not_modified_response(request, etag: str, last_modified: int | None) -> Response | None:
    if get_conditional_response(request, etag=etag, last_modified=last_modified) is None:
        return None
    return Response(status=304)


def set_validators(response, etag: str | None, last_modified: int | None) -> None:
    if etag:
        response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)


class ArchiveViewMixin:
    """Refuses unknown query parameters, answers conditional GETs, sets cache headers."""

    detail_parameters = frozenset({"format"})

    def allowed_parameters(self) -> set[str]:
        allowed = set(self.detail_parameters)
        if getattr(self, "action", None) == "list":
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                allowed |= set(filterset.base_filters)
            allowed |= PAGINATION_PARAMETERS.get(self.pagination_class, set())
        return allowed

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        unknown = sorted(set(request.query_params) - self.allowed_parameters())
        if unknown:
            allowed = ", ".join(sorted(self.allowed_parameters()))
            raise ValidationError(
                {name[:60]: [f"Unknown parameter. Known here: {allowed}."] for name in unknown}
            )

    def not_modified(self, request) -> Response | None:
        self._etag, self._last_modified = validators(request)
        return not_modified_response(request, self._etag, self._last_modified)

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400 and type(
            getattr(request, "accepted_renderer", None)
        ) not in (JSONRenderer, BrowsableAPIRenderer):
            # Errors are JSON whatever format was asked for (a CSV of an error helps nobody).
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304):
            set_validators(
                response, getattr(self, "_etag", None), getattr(self, "_last_modified", None)
            )
            if request.user.is_authenticated:
                # Drafts and restricted material must never land in a shared cache.
                patch_cache_control(response, private=True, no_store=True)
            else:
                patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        patch_vary_headers(response, ("Accept", "Authorization", "Cookie"))
        return response

    def list(self, request, *args, **kwargs):
        return self.not_modified(request) or super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self.not_modified(request) or super().retrieve(request, *args, **kwargs)


class ArchiveViewSet(ArchiveViewMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = "[^/]+"
    list_serializer_class = None
    detail_serializer_class = None

    def get_serializer_class(self):
        if self.action == "list":
            return self.list_serializer_class
        return self.detail_serializer_class

    def page_rows(self, objects) -> tuple[list[Article], list[Testimony]]:
        """The articles and testimonies among (or inside) the serialised `objects`: their
        places and tags, and the names withheld in their articles, are loaded for them all at
        once (selectors.load_page)."""
        return [], []

    def redaction_article_ids(self, articles, testimonies) -> set[int | None]:
        """The articles whose withheld names these rows need (see Redactor)."""
        return {a.pk for a in articles} | {t.article_id for t in testimonies}

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["redactor"] = self.redactor
        return context

    def get_serializer(self, *args, **kwargs):
        if args:
            instance = args[0]
            objects = instance if isinstance(instance, list | tuple) else [instance]
            # One query for the names, places and tags of the whole page rather than queries
            # per object.
            articles, testimonies = self.page_rows(objects)
            selectors.load_page(
                articles=articles,
                testimonies=testimonies,
                redactor=self.redactor,
                redacted=self.redaction_article_ids(articles, testimonies),
            )
        return super().get_serializer(*args, **kwargs)

    @cached_property
    def redactor(self) -> selectors.Redactor:
        return selectors.Redactor.for_user(self.request.user)

    def get_object(self):
        lookup = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if "\x00" in lookup or len(lookup) > MAX_LOOKUP:
            # PostgreSQL refuses NUL in a query (a 500); no slug or uid is this long anyway.
            raise NotFound("No such object.")
        try:
            return super().get_object()
        except Http404 as exc:
            tombstone = self.tombstone(lookup)
            if tombstone is not None:
                raise Gone(gone_detail(tombstone, self.gone_what)) from exc
            # One answer for "does not exist" and "exists but not for you".
            raise NotFound("No such object.") from exc

    # What a lookup that finds nothing may have been: a taken-down article (or one of its
    # testimonies) answers 410 with the reason, not 404.
    gone_what = "This"

    def tombstone(self, lookup: str):
        return None


def _format_parameter(*formats: str) -> OpenApiParameter:
    return OpenApiParameter(
        "format",
        OpenApiTypes.STR,
        enum=list(formats),
        description="Response format (instead of an Accept header).",
    )


def _described(*, list_summary: str, detail_summary: str):
    """Document a viewset's list and detail from its own serializer classes."""

    def describe(viewset):
        return extend_schema_view(
            list=extend_schema(
                summary=list_summary,
                parameters=[_format_parameter("json")],
                responses={
                    (200, "application/json"): viewset.list_serializer_class(many=True),
                    **ERRORS,
                },
            ),
            retrieve=extend_schema(
                summary=detail_summary,
                parameters=[_format_parameter("json")],
                responses={(200, "application/json"): viewset.detail_serializer_class, **ERRORS},
            ),
        )(viewset)

    return describe


# --- Articles and testimonies: cursor-paginated, CSV ------------------------------------------

NINJS_RESPONSE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="The article as an IPTC ninjs 3.1 news item "
    "(http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json).",
)
ANNOTATION_PAGE_RESPONSE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="A W3C Web Annotation AnnotationPage (JSON-LD) of the article's annotations.",
)
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.STR, description="One CSV row per object.")


@extend_schema_view(
    list=extend_schema(
        summary="Published articles",
        description="Cursor-paginated; follow `next`. `?format=csv` gives the page as CSV.",
        parameters=[_format_parameter("json", "csv")],
        responses={
            (200, "application/json"): serializers.ArticleListSerializer(many=True),
            (200, "text/csv"): CSV_RESPONSE,
            **ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One article, with its testimonies",
        description="`?format=ninjs` gives the article as IPTC ninjs 3.1.",
        parameters=[_format_parameter("json", "ninjs")],
        responses={
            (200, "application/json"): serializers.ArticleDetailSerializer,
            (200, NinjsRenderer.media_type): NINJS_RESPONSE,
            **ERRORS,
        },
    ),
    annotations=extend_schema(
        summary="The article's annotations as a W3C Web Annotation page",
        parameters=[_format_parameter("jsonld", "json")],
        responses={
            (200, JSONLDRenderer.media_type): ANNOTATION_PAGE_RESPONSE,
            (200, "application/json"): ANNOTATION_PAGE_RESPONSE,
            **ERRORS,
        },
    ),
)
class ArticleViewSet(ArchiveViewSet):
    """Dispatches. The public sees published articles only."""

    filterset_class = ArticleFilterSet
    pagination_class = ArchiveCursorPagination
    list_serializer_class = serializers.ArticleListSerializer
    detail_serializer_class = serializers.ArticleDetailSerializer
    csv_columns = (
        "slug",
        "url",
        "headline",
        "standfirst",
        "source.slug",
        "source.name",
        "language",
        "published_on",
        "date_precision",
        "date_inferred",
        "dateline_place.slug",
        "places.slug",
        "tags.slug",
        "status",
    )

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.article_detail(user=self.request.user)
        if self.action == "list":
            return selectors.article_summaries(user=self.request.user)
        return selectors.article_list(user=self.request.user)

    def get_renderers(self):
        formats = {
            "list": [CSVRenderer()],
            "retrieve": [NinjsRenderer()],
        }.get(self.action, [])
        if self.action == "annotations":
            return [JSONLDRenderer(), JSONRenderer(), BrowsableAPIRenderer()]
        return [JSONRenderer(), BrowsableAPIRenderer(), *formats]

    def get_serializer_class(self):
        renderer = getattr(self.request, "accepted_renderer", None)
        if self.action == "retrieve" and isinstance(renderer, NinjsRenderer):
            return serializers.NinjsArticleSerializer
        return super().get_serializer_class()

    def page_rows(self, articles) -> tuple[list[Article], list[Testimony]]:
        testimonies = [t for a in articles for t in getattr(a, "visible_testimonies", ())]
        return list(articles), testimonies

    def get_object(self):
        article = super().get_object()
        return selectors.with_withheld_passages(article, user=self.request.user)

    gone_what = "This article"

    def tombstone(self, lookup: str):
        return selectors.tombstone_of_article(lookup)

    def cursor_ordering(self, request) -> tuple[str, ...]:
        return ARTICLE_ORDERING.get(request.query_params.get("ordering") or "-published_on")

    @action(detail=True, url_path="annotations", url_name="annotations")
    def annotations(self, request, slug=None):
        response = self.not_modified(request)
        if response is not None:
            return response
        article = self.get_object()
        page_url = reverse("article-annotations", kwargs={"slug": article.slug}, request=request)
        redactor = self.redactor
        redactor.load([article.pk])
        context = {
            "request": request,
            "redactor": redactor,
            "article_body": redactor.body(article),
            "page_url": page_url,
            "article_url": reverse(
                "article-detail", kwargs={"slug": article.slug}, request=request
            ),
        }
        items = selectors.article_annotations(article=article, user=request.user)
        return Response(
            {
                "@context": serializers.ANNO_CONTEXT,
                "id": page_url,
                "type": "AnnotationPage",
                "startIndex": 0,
                "items": serializers.WebAnnotationSerializer(
                    items, many=True, context=context
                ).data,
            }
        )


@extend_schema_view(
    list=extend_schema(
        summary="Testimonies from published articles",
        description="Cursor-paginated. Restricted testimonies are never listed; pseudonymised "
        "ones come without their speaker's identity. `?format=csv` gives the page as CSV.",
        parameters=[_format_parameter("json", "csv")],
        responses={
            (200, "application/json"): serializers.TestimonySerializer(many=True),
            (200, "text/csv"): CSV_RESPONSE,
            **ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One testimony, by its uid",
        parameters=[_format_parameter("json")],
        responses={(200, "application/json"): serializers.TestimonySerializer, **ERRORS},
    ),
)
class TestimonyViewSet(ArchiveViewSet):
    """What people said. The public never sees restricted testimonies, nor who said a
    pseudonymised one."""

    lookup_field = "uid"
    filterset_class = TestimonyFilterSet
    pagination_class = ArchiveCursorPagination
    list_serializer_class = serializers.TestimonySerializer
    detail_serializer_class = serializers.TestimonySerializer
    csv_columns = (
        "uid",
        "url",
        "quote",
        "speaker.slug",
        "speaker.name",
        "speaker_description",
        "speaker_age",
        "identity_withheld",
        "place.slug",
        "place.name",
        "context",
        "language",
        "translation_note",
        "tags.slug",
        "article.slug",
        "article.headline",
        "article.published_on",
        "source.slug",
        "visibility",
    )

    def get_queryset(self):
        return selectors.testimony_list(user=self.request.user)

    def page_rows(self, testimonies) -> tuple[list[Article], list[Testimony]]:
        return [], list(testimonies)

    def get_renderers(self):
        formats = [CSVRenderer()] if self.action == "list" else []
        return [JSONRenderer(), BrowsableAPIRenderer(), *formats]

    gone_what = "The article of this testimony"

    def tombstone(self, lookup: str):
        return selectors.tombstone_of_testimony(lookup)

    def cursor_ordering(self, request) -> tuple[str, ...]:
        return TESTIMONY_ORDERING.get(request.query_params.get("ordering") or "-published_on")


# --- Reference data and collections: numbered pages ------------------------------------------


@_described(
    list_summary="People who may be named",
    detail_summary="One person",
)
class PersonViewSet(ArchiveViewSet):
    """Speakers. The public sees only people who may be named and who are quoted, by name, in
    published material; counts cover only those attributed testimonies."""

    filterset_class = PersonFilterSet
    pagination_class = ArchivePagePagination
    list_serializer_class = serializers.PersonListSerializer
    detail_serializer_class = serializers.PersonDetailSerializer

    def get_queryset(self):
        return selectors.person_list(user=self.request.user)


@_described(
    list_summary="The gazetteer",
    detail_summary="One place, with its name variants",
)
class PlaceViewSet(ArchiveViewSet):
    """Places with their name variants and the number of testimonies the client may see."""

    filterset_class = PlaceFilterSet
    pagination_class = ArchivePagePagination
    list_serializer_class = serializers.PlaceListSerializer
    detail_serializer_class = serializers.PlaceDetailSerializer

    def get_queryset(self):
        return selectors.place_list(user=self.request.user)


@_described(
    list_summary="Sources (outlets and agencies)",
    detail_summary="One source",
)
class SourceViewSet(ArchiveViewSet):
    filterset_class = SourceFilterSet
    pagination_class = ArchivePagePagination
    list_serializer_class = serializers.SourceListSerializer
    detail_serializer_class = serializers.SourceDetailSerializer

    def get_queryset(self):
        return selectors.source_list(user=self.request.user)


@_described(
    list_summary="The thesaurus as a tree (themes with their narrower terms)",
    detail_summary="One term, with its broader and narrower terms",
)
class TagViewSet(ArchiveViewSet):
    pagination_class = None
    filter_backends = ()
    list_serializer_class = serializers.TagTreeSerializer
    detail_serializer_class = serializers.TagDetailSerializer

    def get_queryset(self):
        return selectors.tag_list() if self.action == "list" else selectors.tag_detail()


@_described(
    list_summary="Published collections",
    detail_summary="One collection, its items in order, expanded",
)
class CollectionViewSet(ArchiveViewSet):
    """Curated collections. Items the client may not see are left out (not emptied)."""

    pagination_class = ArchivePagePagination
    filter_backends = ()
    list_serializer_class = serializers.CollectionListSerializer
    detail_serializer_class = serializers.CollectionDetailSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.collection_detail(user=self.request.user)
        return selectors.collection_list(user=self.request.user)

    def redaction_article_ids(self, articles, testimonies) -> set[int | None]:
        # A collection's own texts belong to no article: the names withheld everywhere.
        return {selectors.Redactor.NO_ARTICLE} | super().redaction_article_ids(
            articles, testimonies
        )

    def page_rows(self, collections) -> tuple[list[Article], list[Testimony]]:
        items = [item for c in collections for item in getattr(c, "visible_items", ())]
        return (
            [item.article for item in items if item.article is not None],
            [item.testimony for item in items if item.testimony is not None],
        )


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other path under /api/: a JSON 404 rather than an HTML page."""

    def get(self, request, *args, **kwargs):
        raise NotFound("No such endpoint. The API root lists them all.")

    post = put = patch = delete = get
