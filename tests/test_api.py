"""Issue 4: the public REST API — shapes, filters, pagination, formats, HTTP behaviour.

Privacy has its own sweep in test_api_privacy.py.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import referencing
import referencing.jsonschema
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from openapi_spec_validator import validate as validate_openapi
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from archive import services
from archive.models import Person, Place, Visibility
from tests.factories import (
    AnnotationFactory,
    ArticleFactory,
    CollectionFactory,
    CollectionItemFactory,
    PersonFactory,
    PlaceFactory,
    PlaceNameFactory,
    SourceFactory,
    TagFactory,
    TestimonyFactory,
)

SPECS = Path(__file__).parent / "specs"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client():
    return APIClient()


def body_with_quote(n: int) -> str:
    return f"Dispatch {n} from the front. “We are staying here, number {n},” said the speaker."


@pytest.fixture
def archive():
    """A small archive: one of everything, linked the way the seeds are."""
    oblast = PlaceFactory(slug="donetsk-oblast", name="Donetsk Oblast", kind=Place.Kind.REGION)
    bakhmut = PlaceFactory(slug="bakhmut", name="Bakhmut", parent=oblast)
    PlaceNameFactory(place=bakhmut, name="Bakhmout", language="fr")
    PlaceNameFactory(place=bakhmut, name="Бахмут", language="uk", kind="native")
    toretsk = PlaceFactory(slug="toretsk", name="Toretsk", parent=oblast)
    theme = TagFactory(slug="displacement", name="Displacement")
    narrower = TagFactory(slug="evacuation", name="Evacuation", parent=theme)
    other_theme = TagFactory(slug="utilities", name="Utilities")
    afp = SourceFactory(slug="afp", name="AFP", language="fr", country="FR")
    reuters = SourceFactory(slug="reuters", name="Reuters", language="en", country="GB")

    old = ArticleFactory(
        slug="bakhmut-2023",
        headline="Bakhmut holds",
        source=afp,
        language="fr",
        published_on=date(2023, 2, 1),
        body=body_with_quote(1),
        dateline_place=bakhmut,
        standfirst="Winter in the city.",
    )
    old.places.add(bakhmut)
    old.tags.add(narrower)
    new = ArticleFactory(
        slug="toretsk-2024",
        headline="Leaving Toretsk",
        source=reuters,
        published_on=date(2024, 6, 1),
        body=body_with_quote(2),
    )
    new.places.add(toretsk)
    new.tags.add(other_theme)
    undated = ArticleFactory(slug="undated", headline="Undated", published_on=None, source=None)

    soldier = PersonFactory(slug="valery", name="Valery", kind=Person.Kind.MILITARY)
    retiree = PersonFactory(slug="mykola", name="Mykola", kind=Person.Kind.CIVILIAN)
    first = TestimonyFactory(article=old, speaker=soldier, place=bakhmut, speaker_age=45)
    first.tags.add(narrower)
    second = TestimonyFactory(article=new, speaker=retiree, place=toretsk, language="uk")
    AnnotationFactory(article=old, body="Dateline confirmed.", author_name="Archive editors")

    collection = CollectionFactory(slug="those-who-stay", title="Those who stay")
    CollectionItemFactory(collection=collection, position=1, article=new, caption="The town.")
    CollectionItemFactory(
        collection=collection, position=2, article=None, testimony=first, caption="Valery."
    )
    return {
        "old": old,
        "new": new,
        "undated": undated,
        "first": first,
        "second": second,
        "collection": collection,
    }


# --- Shapes: exact key sets --------------------------------------------------------------------

SUMMARY = {"slug", "name", "url"}
ARTICLE_LIST_KEYS = {
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
}
ARTICLE_DETAIL_KEYS = ARTICLE_LIST_KEYS | {
    "body",
    "credits",
    "original_url",
    "published_at",
    "updated_at",
    "testimonies",
    "annotations_url",
    "ninjs_url",
}
TESTIMONY_KEYS = {
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
}
PERSON_LIST_KEYS = {"slug", "url", "name", "role", "kind", "testimony_count", "protection_level"}
PLACE_LIST_KEYS = {
    "slug",
    "url",
    "name",
    "kind",
    "parent",
    "latitude",
    "longitude",
    "variants",
    "testimony_count",
}
SOURCE_LIST_KEYS = {"slug", "url", "name", "kind", "country", "language", "article_count"}
TAG_TREE_KEYS = {"slug", "url", "name", "description", "narrower"}
COLLECTION_LIST_KEYS = {
    "slug",
    "url",
    "title",
    "introduction",
    "curator",
    "published_at",
    "item_count",
    "status",
}


def test_the_api_root_links_to_every_endpoint(client, archive):
    links = client.get("/api/v1/").json()
    for name in ("collections", "articles", "testimonies", "people", "places", "sources", "tags"):
        assert client.get(links[name]).status_code == 200, name
    assert {"schema", "docs"} <= set(links)


def test_every_list_has_exactly_its_keys(client, archive):
    cursor_page = {"next", "previous", "results"}
    numbered_page = {"count", "next", "previous", "results"}
    expected = {
        "/api/v1/articles/": (cursor_page, ARTICLE_LIST_KEYS),
        "/api/v1/testimonies/": (cursor_page, TESTIMONY_KEYS),
        "/api/v1/people/": (numbered_page, PERSON_LIST_KEYS),
        "/api/v1/places/": (numbered_page, PLACE_LIST_KEYS),
        "/api/v1/sources/": (numbered_page, SOURCE_LIST_KEYS),
        "/api/v1/collections/": (numbered_page, COLLECTION_LIST_KEYS),
    }
    for url, (page_keys, item_keys) in expected.items():
        page = client.get(url).json()
        assert set(page) == page_keys, url
        assert page["results"], url
        for item in page["results"]:
            assert set(item) == item_keys, url
    tree = client.get("/api/v1/tags/").json()
    assert {tuple(sorted(theme)) for theme in tree} == {tuple(sorted(TAG_TREE_KEYS))}
    assert set(tree[0]["narrower"][0]) == {"slug", "url", "name", "description"}


def test_every_detail_has_exactly_its_keys(client, archive):
    article = client.get("/api/v1/articles/bakhmut-2023/").json()
    assert set(article) == ARTICLE_DETAIL_KEYS
    assert set(article["source"]) == SUMMARY
    assert set(article["places"][0]) == SUMMARY
    assert set(article["tags"][0]) == SUMMARY
    assert set(article["testimonies"][0]) == TESTIMONY_KEYS
    assert set(article["testimonies"][0]["speaker"]) == {"slug", "name", "role", "kind", "url"}
    assert set(article["testimonies"][0]["article"]) == {"slug", "headline", "published_on", "url"}

    testimony = client.get(f"/api/v1/testimonies/{archive['first'].uid}/").json()
    assert set(testimony) == TESTIMONY_KEYS
    person = client.get("/api/v1/people/valery/").json()
    assert set(person) == PERSON_LIST_KEYS | {"name_variants", "testimonies_url"}
    place = client.get("/api/v1/places/bakhmut/").json()
    assert set(place) == PLACE_LIST_KEYS | {"facts", "testimonies_url", "articles_url"}
    assert set(place["variants"][0]) == {"name", "language", "kind"}
    source = client.get("/api/v1/sources/afp/").json()
    assert set(source) == SOURCE_LIST_KEYS | {"website", "rights_note", "articles_url"}
    tag = client.get("/api/v1/tags/evacuation/").json()
    assert set(tag) == TAG_TREE_KEYS | {"broader"}
    assert tag["broader"]["slug"] == "displacement"
    collection = client.get("/api/v1/collections/those-who-stay/").json()
    assert set(collection) == COLLECTION_LIST_KEYS | {"items"}
    article_item, testimony_item = collection["items"]
    assert set(article_item) == {"position", "type", "caption", "article", "testimony"}
    assert (article_item["type"], article_item["testimony"]) == ("article", None)
    assert set(article_item["article"]) == ARTICLE_LIST_KEYS
    assert (testimony_item["type"], testimony_item["article"]) == ("testimony", None)
    assert set(testimony_item["testimony"]) == TESTIMONY_KEYS
    assert testimony_item["testimony"]["speaker"]["name"] == "Valery"
    assert testimony_item["testimony"]["place"]["slug"] == "bakhmut"
    assert testimony_item["testimony"]["source"]["slug"] == "afp"
    assert testimony_item["testimony"]["tags"][0]["slug"] == "evacuation"


def test_places_list_their_name_variants_and_testimony_counts(client, archive):
    bakhmut = client.get("/api/v1/places/bakhmut/").json()
    assert {v["name"] for v in bakhmut["variants"]} == {"Bakhmout", "Бахмут"}
    assert bakhmut["testimony_count"] == 1
    assert bakhmut["parent"]["slug"] == "donetsk-oblast"


# --- Filters -----------------------------------------------------------------------------------


def slugs(client, url, **params) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return [item.get("slug") or item.get("uid") for item in response.json()["results"]]


def test_place_filter_accepts_a_slug_the_name_or_any_variant(client, archive):
    for value in ("bakhmut", "Bakhmut", "bakhmout", "Бахмут"):
        assert slugs(client, "/api/v1/articles/", place=value) == ["bakhmut-2023"], value
        assert slugs(client, "/api/v1/testimonies/", place=value) == [str(archive["first"].uid)]
    assert slugs(client, "/api/v1/places/", name="Bakhmout") == ["bakhmut"]
    assert slugs(client, "/api/v1/places/", parent="donetsk-oblast") == ["bakhmut", "toretsk"]


def test_tag_filter_includes_narrower_terms(client, archive):
    assert slugs(client, "/api/v1/articles/", tag="displacement") == ["bakhmut-2023"]
    assert slugs(client, "/api/v1/articles/", tag="evacuation") == ["bakhmut-2023"]
    assert slugs(client, "/api/v1/testimonies/", tag="displacement") == [str(archive["first"].uid)]
    assert slugs(client, "/api/v1/articles/", tag="utilities") == ["toretsk-2024"]


def test_place_and_tag_together_keep_only_testimonies_with_both(client, archive):
    testimonies = "/api/v1/testimonies/"
    first = str(archive["first"].uid)
    # The place given first or last, by slug or by variant: the same intersection.
    assert slugs(client, testimonies, place="bakhmut", tag="displacement") == [first]
    assert slugs(client, testimonies, tag="evacuation", place="Bakhmout") == [first]
    # Each alone matches one testimony; together nothing, not either.
    assert slugs(client, testimonies, place="toretsk") == [str(archive["second"].uid)]
    assert slugs(client, testimonies, place="toretsk", tag="displacement") == []
    assert client.get(testimonies, {"place": "bakhmut", "tag": "no-such-tag"}).status_code == 400


def test_source_language_date_collection_and_speaker_filters(client, archive):
    articles = "/api/v1/articles/"
    assert slugs(client, articles, source="afp") == ["bakhmut-2023"]
    assert slugs(client, articles, language="fr") == ["bakhmut-2023"]
    assert slugs(client, articles, published_after="2024-01-01") == ["toretsk-2024"]
    assert slugs(client, articles, published_before="2023-12-31") == ["bakhmut-2023"]
    assert slugs(client, articles, collection="those-who-stay") == ["toretsk-2024"]
    testimonies = "/api/v1/testimonies/"
    first, second = str(archive["first"].uid), str(archive["second"].uid)
    assert slugs(client, testimonies, speaker_kind="military") == [first]
    assert slugs(client, testimonies, speaker="mykola") == [second]
    assert slugs(client, testimonies, source="reuters") == [second]
    assert slugs(client, testimonies, language="uk") == [second]
    assert slugs(client, testimonies, collection="those-who-stay") == [first]
    assert slugs(client, testimonies, article="bakhmut-2023") == [first]
    assert slugs(client, testimonies, published_after="2024-01-01") == [second]
    assert slugs(client, "/api/v1/people/", kind="civilian") == ["mykola"]
    assert slugs(client, "/api/v1/sources/", kind="wire_agency", country="FR") == ["afp"]


def test_ordering_and_undated_articles_last(client, archive):
    newest_first = ["toretsk-2024", "bakhmut-2023", "undated"]
    assert slugs(client, "/api/v1/articles/") == newest_first
    assert slugs(client, "/api/v1/articles/", ordering="published_on") == newest_first[::-1]
    assert slugs(client, "/api/v1/articles/", ordering="headline") == [
        "bakhmut-2023",
        "toretsk-2024",
        "undated",
    ]


BAD_PARAMETERS = [
    ("/api/v1/articles/", {"published_after": "yesterday"}, "published_after"),
    ("/api/v1/articles/", {"published_before": "2024-13-45"}, "published_before"),
    ("/api/v1/articles/", {"page_size": "-5"}, "page_size"),
    ("/api/v1/articles/", {"page_size": "0"}, "page_size"),
    ("/api/v1/articles/", {"page_size": "1000"}, "page_size"),
    ("/api/v1/articles/", {"page_size": "ten"}, "page_size"),
    ("/api/v1/articles/", {"place": "\x00"}, "place"),
    ("/api/v1/articles/", {"place": "x" * 10_000}, "place"),
    ("/api/v1/articles/", {"place": "atlantis"}, "place"),
    ("/api/v1/articles/", {"tag": "no-such-tag"}, "tag"),
    ("/api/v1/articles/", {"source": "no-such-outlet"}, "source"),
    ("/api/v1/articles/", {"collection": "no-such-collection"}, "collection"),
    ("/api/v1/articles/", {"ordering": "sideways"}, "ordering"),
    ("/api/v1/articles/", {"cursor": "not-a-cursor"}, "cursor"),
    ("/api/v1/articles/", {"colour": "blue"}, "colour"),
    ("/api/v1/testimonies/", {"speaker_kind": "alien"}, "speaker_kind"),
    ("/api/v1/testimonies/", {"speaker": "\x00"}, "speaker"),
    ("/api/v1/testimonies/", {"language": "y" * 10_000}, "language"),
    ("/api/v1/testimonies/", {"published_after": "\x00"}, "published_after"),
    ("/api/v1/people/", {"page": "-1"}, "page"),
    ("/api/v1/people/", {"kind": "x" * 10_000}, "kind"),
    ("/api/v1/places/", {"parent": "nowhere"}, "parent"),
    ("/api/v1/tags/", {"page_size": "5"}, "page_size"),
    ("/api/v1/articles/bakhmut-2023/", {"place": "bakhmut"}, "place"),
]


@pytest.mark.parametrize(("url", "params", "parameter"), BAD_PARAMETERS)
def test_a_bad_parameter_gets_a_400_that_names_it(client, archive, url, params, parameter):
    response = client.get(url, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == 400
    assert parameter in body["errors"]
    assert parameter in body["detail"]
    assert len(response.content) < 2_000  # an absurd value is not echoed back in full


def test_a_bad_parameter_in_csv_format_still_gets_a_json_error(client, archive):
    response = client.get("/api/v1/articles/", {"format": "csv", "published_after": "soon"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_not_found_is_json_everywhere_under_the_api(client, archive):
    for url in (
        "/api/v1/articles/no-such-article/",
        "/api/v1/testimonies/not-a-uuid/",
        "/api/v1/testimonies/00000000-0000-0000-0000-000000000000/",
        "/api/v1/articles/%00/",
        "/api/v1/testimonies/%00/",
        "/api/v1/people/a%00b/",
        f"/api/v1/places/{'x' * 10_000}/",
        "/api/v1/no-such-endpoint/",
        "/api/v1/articles/bakhmut-2023/?format=nonsense",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json()["status"] == 404


# --- Pagination --------------------------------------------------------------------------------


def test_cursor_pages_cover_every_article_once(client):
    for n in range(7):
        ArticleFactory(published_on=date(2024, 1, 1 + n % 3), body=body_with_quote(n))
    seen, url, pages = [], "/api/v1/articles/?page_size=3", 0
    while url:
        response = client.get(url)
        page = response.json()
        seen += [a["slug"] for a in page["results"]]
        assert len(page["results"]) <= 3
        if page["next"]:
            assert response["Link"].startswith(f"<{page['next']}>")
        url, pages = page["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 7


def test_page_size_has_a_maximum(client, archive):
    assert client.get("/api/v1/articles/?page_size=100").status_code == 200
    assert client.get("/api/v1/articles/?page_size=101").status_code == 400


def _queries(client, url: str) -> int:
    cache.clear()  # a fresh fingerprint every time, as after any change
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.fixture
def big_archive():
    """Sixty of everything, every relation filled in, so that an N+1 would show."""
    region = PlaceFactory(kind=Place.Kind.REGION)
    theme = TagFactory()
    source = SourceFactory()
    collection = CollectionFactory(slug="big")
    for n in range(60):
        place = PlaceFactory(parent=region)
        PlaceNameFactory(place=place)
        tag = TagFactory(parent=theme)
        article = ArticleFactory(source=source, body=body_with_quote(n), dateline_place=place)
        article.places.add(place)
        article.tags.add(tag)
        testimony = TestimonyFactory(article=article, place=place)
        testimony.tags.add(tag)
        if n % 3 == 0:
            TestimonyFactory(
                article=ArticleFactory(body=body_with_quote(1000 + n)),
                visibility=Visibility.PSEUDONYMISED,
                protection_reason="Safety.",
            )
        CollectionItemFactory(collection=collection, position=2 * n + 1, article=article)
        CollectionItemFactory(
            collection=collection, position=2 * n + 2, article=None, testimony=testimony
        )
        SourceFactory()
        CollectionFactory()
        TagFactory()  # more themes for the tree


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/articles/?page_size={n}",
        "/api/v1/articles/?page_size={n}&format=csv",
        "/api/v1/testimonies/?page_size={n}",
        "/api/v1/testimonies/?page_size={n}&format=csv",
        "/api/v1/people/?page_size={n}",
        "/api/v1/places/?page_size={n}",
        "/api/v1/sources/?page_size={n}",
        "/api/v1/collections/?page_size={n}",
    ],
)
def test_queries_do_not_grow_with_the_page_size(client, big_archive, url):
    assert _queries(client, url.format(n=5)) == _queries(client, url.format(n=50))


def test_nested_collection_items_and_the_tag_tree_cost_a_fixed_number_of_queries(client):
    small = CollectionFactory(slug="small")
    big = CollectionFactory(slug="large")
    theme = TagFactory()
    for n in range(50):
        article = ArticleFactory(body=body_with_quote(n))
        article.tags.add(TagFactory(parent=theme))
        testimony = TestimonyFactory(article=article)
        for collection, limit in ((small, 5), (big, 50)):
            if n < limit:
                CollectionItemFactory(collection=collection, position=2 * n + 1, article=article)
                CollectionItemFactory(
                    collection=collection, position=2 * n + 2, article=None, testimony=testimony
                )
    assert _queries(client, "/api/v1/collections/small/") == _queries(
        client, "/api/v1/collections/large/"
    )
    few = _queries(client, "/api/v1/tags/")
    for _ in range(45):
        TagFactory(parent=TagFactory())
    assert _queries(client, "/api/v1/tags/") == few


def _article_with_testimonies(slug: str, count: int):
    quotes = [f"Quote number {i} of {slug}" for i in range(count)]
    body = " ".join(f"“{quote},” said speaker {i}." for i, quote in enumerate(quotes))
    article = ArticleFactory(slug=slug, body=body)
    for i, quote in enumerate(quotes):
        start = body.index(quote)
        testimony = TestimonyFactory(
            article=article,
            start=start,
            end=start + len(quote),
            quote=quote,
            place=PlaceFactory(),
            visibility=Visibility.PSEUDONYMISED if i % 4 == 0 else Visibility.PUBLIC,
            protection_reason="Safety." if i % 4 == 0 else "",
        )
        testimony.tags.add(TagFactory())
        AnnotationFactory(
            article=article, start=start, end=start + len(quote), exact=quote, body=f"Note {i}"
        )
    article.places.add(*[PlaceFactory() for _ in range(count)])
    return article


@pytest.mark.parametrize("suffix", ["", "?format=ninjs", "annotations/"])
def test_an_article_detail_costs_the_same_with_5_or_50_testimonies(client, suffix):
    _article_with_testimonies("few", 5)
    _article_with_testimonies("many", 50)
    few = _queries(client, f"/api/v1/articles/few/{suffix}")
    assert few == _queries(client, f"/api/v1/articles/many/{suffix}")


# --- Formats -----------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_of_articles_and_testimonies_has_exactly_its_columns(client, archive):
    articles = client.get("/api/v1/articles/?format=csv")
    rows = read_csv(articles)
    assert list(rows[0]) == [
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
    ]
    assert [r["slug"] for r in rows] == ["toretsk-2024", "bakhmut-2023", "undated"]
    assert rows[1]["url"] == "http://testserver/api/v1/articles/bakhmut-2023/"
    assert rows[1]["tags.slug"] == "evacuation"
    testimonies = read_csv(client.get("/api/v1/testimonies/", {"format": "csv"}))
    assert list(testimonies[0]) == [
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
    ]
    by_uid = {row["uid"]: row for row in testimonies}
    assert by_uid[str(archive["first"].uid)]["speaker_age"] == "45"


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client):
    ArticleFactory(headline='=HYPERLINK("http://evil")', body=body_with_quote(9))
    (row,) = read_csv(client.get("/api/v1/articles/?format=csv"))
    assert row["headline"].startswith("'=")


def test_csv_of_an_empty_page_still_has_its_header(client):
    response = client.get("/api/v1/testimonies/?format=csv")
    assert response.content.decode().splitlines()[0].startswith("uid,url,quote,")


def test_ninjs_is_valid_against_the_iptc_schema(client, archive):
    response = client.get("/api/v1/articles/bakhmut-2023/?format=ninjs")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.iptc.ninjs+json"
    item = response.json()
    ninjs_validator().validate(item)
    assert item["uri"] == "http://testserver/api/v1/articles/bakhmut-2023/"
    assert item["headlines"] == [{"role": "main", "value": "Bakhmut holds"}]
    assert [p["name"] for p in item["people"]] == ["Valery"]
    assert [p["literal"] for p in item["places"]] == ["bakhmut"]
    assert [s["literal"] for s in item["subjects"]] == ["evacuation"]
    assert item["infoSources"][0]["name"] == "AFP"
    assert item["located"] == "Bakhmut"
    assert set(item) == {
        "uri",
        "standard",
        "type",
        "representationType",
        "profile",
        "versionCreated",
        "firstCreated",
        "pubStatus",
        "language",
        "headlines",
        "bodies",
        "altIds",
        "people",
        "places",
        "subjects",
        "descriptions",
        "located",
        "infoSources",
        "organisations",
    }


def test_the_ninjs_validator_rejects_what_the_schema_forbids():
    validator = ninjs_validator()
    assert not validator.is_valid({"headlines": []})  # no uri
    assert not validator.is_valid({"uri": "http://x.example/1", "byline": "someone"})
    assert not validator.is_valid({"uri": "http://x.example/1", "pubStatus": "draft"})


def _is_uri(value) -> bool:
    # jsonschema checks "uri" only with an optional package; this is the part that matters
    # here: an absolute URI with a scheme.
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in {"urn", "mailto"})


def format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    checker.checks("uri")(_is_uri)
    return checker


def ninjs_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SPECS / "ninjs" / "ninjs-schema_3.1.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=format_checker())


def w3c_validators(test_file: str) -> list[tuple[str, jsonschema.protocols.Validator]]:
    """The W3C's own MUST assertions listed in a .test file, with their definitions.

    Assertions and definitions name each other by bare file name ("id.json#/definitions/…"),
    relative to the assertion's own `id`: every definition is registered under its file name.
    """
    root = SPECS / "web-annotation"
    resources = []
    for path in (root / "definitions").glob("*.json"):
        contents = json.loads(path.read_text())
        resources.append((path.name, referencing.jsonschema.DRAFT4.create_resource(contents)))
    registry = referencing.Registry().with_resources(resources)
    listing = json.loads((root / test_file).read_text())
    validators = []
    for assertion in listing["assertions"]:
        schema = json.loads((root / assertion).read_text())
        assert schema["expectedResult"] == "valid"
        validator = jsonschema.Draft4Validator(
            schema, registry=registry, format_checker=format_checker()
        )
        validators.append((assertion, validator))
    return validators


def test_annotations_are_a_w3c_annotation_page_passing_every_must_assertion(client, archive):
    AnnotationFactory(
        article=archive["old"], motivation="questioning", body="Which unit?", start=9, end=20
    )
    response = client.get("/api/v1/articles/bakhmut-2023/annotations/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    page = response.json()
    assert set(page) == {"@context", "id", "type", "startIndex", "items"}
    for assertion, validator in w3c_validators("collections/pages/pageMusts.test"):
        errors = list(validator.iter_errors(page))
        assert not errors, (assertion, errors[0].message)
    annotation_must = w3c_validators("annotations/annotationMusts.test")
    assert len(annotation_must) > 50
    assert len(page["items"]) == 2
    for annotation in page["items"]:
        assert set(annotation) == {
            "@context",
            "id",
            "type",
            "motivation",
            "created",
            "modified",
            "body",
            "target",
            "creator",
        } - ({"creator"} if "creator" not in annotation else set())
        for assertion, validator in annotation_must:
            errors = list(validator.iter_errors(annotation))
            assert not errors, (assertion, errors[0].message)
        quote, position = annotation["target"]["selector"]
        assert quote["type"] == "TextQuoteSelector" and position["type"] == "TextPositionSelector"
        body = archive["old"].body
        assert body[position["start"] : position["end"]] == quote["exact"]


def test_the_w3c_assertions_reject_a_broken_annotation():
    annotation_must = w3c_validators("annotations/annotationMusts.test")
    broken = {
        "id": "not a uri",
        "type": "Annotation",
        "body": {"type": "TextualBody", "value": "x"},
        "bodyValue": "y",
        "target": {"source": "http://x.example/", "selector": {"type": "TextQuoteSelector"}},
    }
    failed = {name for name, validator in annotation_must if not validator.is_valid(broken)}
    assert "annotations/3.1-annotationContextValidated.json" in failed
    assert "annotations/3.1-annotationIdValidated.json" in failed
    assert "annotations/3.2.5-notBodyBodyValue.json" in failed
    assert "annotations/specificResource/4.2.4-textQuoteSelectorValid.json" in failed


# --- Schema and docs ---------------------------------------------------------------------------


def test_the_openapi_schema_is_valid_and_describes_every_endpoint(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_openapi(schema)
    paths = schema["paths"]
    for path in (
        "/api/v1/collections/",
        "/api/v1/collections/{slug}/",
        "/api/v1/articles/",
        "/api/v1/articles/{slug}/",
        "/api/v1/articles/{slug}/annotations/",
        "/api/v1/testimonies/",
        "/api/v1/testimonies/{uid}/",
        "/api/v1/people/",
        "/api/v1/people/{slug}/",
        "/api/v1/places/",
        "/api/v1/places/{slug}/",
        "/api/v1/sources/",
        "/api/v1/sources/{slug}/",
        "/api/v1/tags/",
        "/api/v1/tags/{slug}/",
    ):
        operation = paths[path]["get"]
        assert operation.get("summary"), path
        assert {"200", "400", "404", "429"} <= set(operation["responses"]), path
    articles = {p["name"] for p in paths["/api/v1/articles/"]["get"]["parameters"]}
    assert {
        "place",
        "tag",
        "source",
        "language",
        "published_after",
        "published_before",
        "collection",
        "ordering",
        "cursor",
        "page_size",
        "format",
    } <= articles
    testimonies = {p["name"] for p in paths["/api/v1/testimonies/"]["get"]["parameters"]}
    assert {"speaker", "speaker_kind", "place", "tag"} <= testimonies
    assert "text/csv" in paths["/api/v1/articles/"]["get"]["responses"]["200"]["content"]


def test_the_interactive_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


def test_the_browsable_api_is_kept_for_people(client, archive):
    response = client.get("/api/v1/articles/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# --- HTTP --------------------------------------------------------------------------------------


def test_conditional_get_answers_304_cheaply_until_the_archive_changes(client, archive):
    url = "/api/v1/articles/"
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=60"
    assert "Accept" in first["Vary"] and "Authorization" in first["Vary"]
    etag, last_modified = first["ETag"], first["Last-Modified"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert len(queries) == 1  # the fingerprint only
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    # Another format or another URL is another representation.
    assert client.get(f"{url}?format=csv", HTTP_IF_NONE_MATCH=etag).status_code == 200

    archive["new"].tags.add(TagFactory())  # a change that leaves no history row
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    changed = client.get(url)["ETag"]
    services.article_withdraw(article=archive["new"])
    assert client.get(url, HTTP_IF_NONE_MATCH=changed).status_code == 200


def test_renaming_reference_data_changes_the_validator(client, archive):
    # Places have no history table: the signal-kept generation must move the ETag.
    etag = client.get("/api/v1/places/")["ETag"]
    place = Place.objects.get(slug="toretsk")
    place.name = "Toretsk (Dzerzhynsk)"
    place.save()
    response = client.get("/api/v1/places/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Toretsk (Dzerzhynsk)" in response.content.decode()


def test_the_public_and_the_editors_never_share_a_validator(client, archive, editor):
    public = client.get("/api/v1/articles/")
    staff = APIClient()
    staff.force_login(editor)
    response = staff.get("/api/v1/articles/", HTTP_IF_NONE_MATCH=public["ETag"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["ETag"] != public["ETag"]


@override_settings(CORS_ALLOWED_ORIGINS=["https://partner.example"])
def test_cors_allows_configured_partner_origins_only(client, archive):
    allowed = client.get("/api/v1/articles/", HTTP_ORIGIN="https://partner.example")
    assert allowed["Access-Control-Allow-Origin"] == "https://partner.example"
    other = client.get("/api/v1/articles/", HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in other
    preflight = client.options(
        "/api/v1/articles/",
        HTTP_ORIGIN="https://partner.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight["Access-Control-Allow-Origin"] == "https://partner.example"


def test_anonymous_clients_are_throttled_with_a_json_429(client, archive, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    cache.clear()
    for _ in range(3):
        assert client.get("/api/v1/tags/").status_code == 200
    response = client.get("/api/v1/tags/")
    assert response.status_code == 429
    assert response.json()["status"] == 429
    assert int(response["Retry-After"]) > 0


def test_staff_are_not_throttled_as_anonymous_clients(archive, editor, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})
    staff = APIClient()
    staff.force_authenticate(editor)
    assert [staff.get("/api/v1/tags/").status_code for _ in range(3)] == [200, 200, 200]
