"""`GET /api/v1/search/?q=…`: ranked hits over articles and testimonies, one page at a time."""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from archive.api import not_modified_response, set_validators, validators
from archive.search.engine import KINDS, SearchFilters, search
from archive.search.query import SearchQueryError
from archive.search.serializers import (
    SearchHitSerializer,
    SearchPageSerializer,
    SearchParamsSerializer,
)

PUBLIC_MAX_AGE = 60


class SearchView(APIView):
    """Search the archive: every word must match; a place's other names count as the place.

    Results are ranked (best first) and paginated by page number; `snippet` is HTML with the
    matched words in `<mark>`. Anonymous clients search the published archive only.
    """

    permission_classes = (AllowAny,)

    @extend_schema(
        parameters=[SearchParamsSerializer],
        responses={
            200: SearchPageSerializer,
            400: OpenApiResponse(description="Nothing to search for, or a bad parameter."),
            404: OpenApiResponse(description="No such page."),
        },
    )
    def get(self, request, *args, **kwargs):
        unknown = set(request.query_params) - set(SearchParamsSerializer().fields) - {"format"}
        if unknown:
            raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown parameter."))
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        # Conditional GET on the same validators as every other endpoint, checked before the
        # search runs.
        etag, last_modified = validators(request)
        response = not_modified_response(request, etag, last_modified)
        if response is not None:
            return self._cache_headers(request, response, etag, last_modified)
        page, page_size = data["page"], data["page_size"]
        filters = SearchFilters(
            **{
                name: data.get(name)
                for name in ("place", "tag", "source", "language", "date_from", "date_to")
            }
        )
        try:
            results = search(
                q=data["q"],
                user=request.user,
                kinds=(data["type"],) if data.get("type") else KINDS,
                filters=filters,
                offset=(page - 1) * page_size,
                limit=page_size,
            )
        except SearchQueryError as exc:
            raise ValidationError({"q": [str(exc)]}) from exc
        if page > 1 and not results.hits:
            raise NotFound("No such page.")
        url = request.build_absolute_uri()
        # Past an inexact count, another page exists as long as this one is full.
        has_next = page * page_size < results.count or (
            not results.count_exact and len(results.hits) == page_size
        )
        body = {
            "count": results.count,
            "count_exact": results.count_exact,
            "next": replace_query_param(url, "page", page + 1) if has_next else None,
            "previous": (
                None
                if page == 1
                else (
                    remove_query_param(url, "page")
                    if page == 2
                    else replace_query_param(url, "page", page - 1)
                )
            ),
            "results": SearchHitSerializer(results.hits, many=True).data,
        }
        response = Response(body, status=status.HTTP_200_OK)
        return self._cache_headers(request, response, etag, last_modified)

    @staticmethod
    def _cache_headers(request, response, etag: str, last_modified: int | None):
        set_validators(response, etag, last_modified)
        # What a search returns depends on who asks: never let a shared cache mix them up.
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response
