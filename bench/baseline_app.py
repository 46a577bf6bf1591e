"""The benchmark's hand-written baseline: the article list's first page, same fields and same
order as `/api/v1/articles/`, from ONE SQL query and `json.dumps`, with no DRF.

It is mounted only by the benchmark's own WSGI entry point (`bench.wsgi`, which sets this
module as the URLconf when BENCH_BASELINE=1), never by the public URLconf. Which articles the
public may see still comes from `Article.objects.published()`: the baseline measures what
serialisation costs, not a shortcut around visibility. PostgreSQL only (the benchmark's
database): places and tags are aggregated to JSON by the database in the same query.
"""

from __future__ import annotations

import json

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef, Value
from django.db.models.functions import Coalesce, JSONObject
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import include, path

from archive.models import Article, Place, Tag

UNDATED = "0001-01-01"
MAX_PAGE_SIZE = 100


def _summaries(model, through_field: str):
    """An ordered array of {slug, name} of the article's places or tags, as one subquery."""
    return ArraySubquery(
        model.objects.filter(**{through_field: OuterRef("pk")})
        .order_by("name")
        .values(json=JSONObject(slug="slug", name="name"))
    )


def articles(request):
    raw = request.GET.get("page_size", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        return HttpResponseBadRequest("page_size must be between 1 and 100")
    rows = (
        Article.objects.published()
        .annotate(date_sort=Coalesce("published_on", Value(UNDATED)))
        .order_by("-date_sort", "-id")
        .values(
            "slug",
            "headline",
            "standfirst",
            "language",
            "published_on",
            "date_precision",
            "date_inferred",
            "status",
            source_json=JSONObject(slug=F("source__slug"), name=F("source__name")),
            dateline_json=JSONObject(
                slug=F("dateline_place__slug"), name=F("dateline_place__name")
            ),
            places_json=_summaries(Place, "articles"),
            tags_json=_summaries(Tag, "articles"),
        )[: int(raw)]
    )
    base = request.build_absolute_uri("/api/v1/")

    def summary(kind: str, obj: dict | None) -> dict | None:
        if not obj or obj.get("slug") is None:
            return None
        return {**obj, "url": f"{base}{kind}/{obj['slug']}/"}

    results = [
        {
            "slug": row["slug"],
            "url": f"{base}articles/{row['slug']}/",
            "headline": row["headline"],
            "standfirst": row["standfirst"],
            "source": summary("sources", row["source_json"]),
            "language": row["language"],
            "published_on": row["published_on"].isoformat() if row["published_on"] else None,
            "date_precision": row["date_precision"],
            "date_inferred": row["date_inferred"],
            "dateline_place": summary("places", row["dateline_json"]),
            "places": [summary("places", p) for p in row["places_json"]],
            "tags": [summary("tags", t) for t in row["tags_json"]],
            "status": row["status"],
        }
        for row in rows
    ]
    body = json.dumps({"next": None, "previous": None, "results": results}, ensure_ascii=False)
    return HttpResponse(body, content_type="application/json")


urlpatterns = [
    path("bench/articles/", articles, name="bench-baseline-articles"),
    path("", include("newsroom.urls")),
]
