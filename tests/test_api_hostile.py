"""Hostile input on the public API: forged cursors and every other opaque parameter.

Whatever a client sends, the answer is never a 5xx; a value the API cannot use is a 400 with a
JSON reason. Run on SQLite and on PostgreSQL (which refuses NUL, out-of-range dates and integers
where SQLite shrugs): the hypothesis tests are the ones that found the 500s.
"""

from __future__ import annotations

import base64
from datetime import date
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from archive.models import Status
from tests.factories import (
    ArticleFactory,
    CollectionFactory,
    PersonFactory,
    TestimonyFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b",
        "2024-01-01\x00",
        "'; DROP TABLE archive_article; --",
        "1 OR 1=1",
        "2024-02-30",
        "0000-00-00",
        "9999-12-31",
        "10000-01-01",
        "-2024-01-01",
        "2024-1-1",
        "１２３４-０１-０１",
        "9" * 400,
        "-" + "9" * 30,
        "1e309",
        "NaN",
        "x" * 10_000,
        "%00",
        "null",
        "[]",
    ]
)
ANY_TEXT = st.one_of(HOSTILE_TEXT, st.text(max_size=60), st.integers().map(str))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


STRUCTURED_CURSORS = st.fixed_dictionaries(
    {},
    optional={
        "o": ANY_TEXT,
        "r": ANY_TEXT,
        "p": st.one_of(ANY_TEXT, st.dates().map(date.isoformat)),
    },
).map(lambda fields: _b64(urlencode(fields).encode("ascii")))
CURSORS = st.one_of(
    STRUCTURED_CURSORS,
    st.binary(max_size=80).map(_b64),
    ANY_TEXT,
    # A valid-looking cursor with one field out of range.
    st.sampled_from(
        [
            _b64(b"p=2024-01-01"),
            _b64(b"o=5&p=2024-01-01"),
            _b64(b"r=1&p=0001-01-01"),
            _b64(b"p=2024-13-01"),
            _b64(b"p=" + b"9" * 30),
            _b64(b"p=%00"),
            _b64(b"p=2024-01-01%00"),
            _b64(b"p=%27%3B+SELECT+1%3B--"),
            _b64(b"o=" + b"9" * 5_000),
            _b64(b"r=" + b"9" * 5_000),
            _b64(b"o=-1&r=-1"),
        ]
    ),
)


@pytest.fixture(autouse=True)
def _no_throttle(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1000000/minute"})
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def small_archive():
    person = PersonFactory(slug="olena")
    for n in range(3):
        article = ArticleFactory(
            published_on=date(2024, 1, 1 + n),
            headline=f"Dispatch {n}",
            body=f"Dispatch {n}. “We stay,” said Olena.",
        )
        TestimonyFactory(article=article, speaker=person)
    ArticleFactory(published_on=None, headline="Undated", body="An undated dispatch.")
    CollectionFactory(slug="front", status=Status.PUBLISHED)


def _assert_not_a_server_error(response, url: str, params: dict) -> None:
    assert response.status_code < 500, (url, params, response.content[:300])
    if response.status_code == 400:
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["status"] == 400 and body["detail"], body


@pytest.mark.parametrize("url", ["/api/v1/articles/", "/api/v1/testimonies/"])
@pytest.mark.parametrize(
    "cursor",
    [
        _b64(b"p=not-a-date"),
        _b64(b"p=99999999999999999999"),
        _b64(b"p=2024-01-01%00"),
        _b64(b"p=%27+OR+1%3D1+--"),
        _b64(b"p=2024-02-30"),
        _b64(b"o=1&r=1&p=" + b"x" * 10_000),
    ],
)
def test_a_forged_cursor_is_a_400_with_a_json_reason(client, small_archive, url, cursor):
    response = client.get(url, {"cursor": cursor})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "cursor" in response.json()["errors"]


def test_a_forged_headline_cursor_is_a_400_too(client, small_archive):
    response = client.get(
        "/api/v1/articles/", {"ordering": "headline", "cursor": _b64(b"p=Dispatch%00")}
    )
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize("url", ["/api/v1/articles/", "/api/v1/testimonies/"])
def test_the_cursors_the_api_issues_are_still_accepted(client, small_archive, url):
    for ordering in ("-published_on", "published_on"):
        next_url, seen = f"{url}?page_size=1&ordering={ordering}", 0
        while next_url:
            response = client.get(next_url)
            assert response.status_code == 200, response.content
            page = response.json()
            seen += len(page["results"])
            if page["previous"]:
                assert client.get(page["previous"]).status_code == 200
            next_url = page["next"]
        assert seen >= 3


@pytest.fixture
def client():
    return APIClient()


HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(
    url=st.sampled_from(["/api/v1/articles/", "/api/v1/testimonies/"]),
    cursor=CURSORS,
    ordering=st.one_of(st.none(), st.sampled_from(["-published_on", "published_on", "headline"])),
    page_size=st.one_of(st.none(), ANY_TEXT),
)
def test_no_cursor_is_a_server_error(client, small_archive, url, cursor, ordering, page_size):
    params = {"cursor": cursor}
    if ordering is not None:
        params["ordering"] = ordering
    if page_size is not None:
        params["page_size"] = page_size
    _assert_not_a_server_error(client.get(url, params), url, params)


LIST_PARAMETERS = {
    "/api/v1/articles/": (
        "ordering",
        "published_after",
        "published_before",
        "place",
        "tag",
        "source",
        "language",
        "collection",
        "q",
        "page_size",
        "format",
    ),
    "/api/v1/testimonies/": (
        "ordering",
        "published_after",
        "published_before",
        "speaker",
        "speaker_kind",
        "article",
        "collection",
        "place",
        "q",
        "page_size",
    ),
    "/api/v1/people/": ("page", "page_size", "kind"),
    "/api/v1/places/": ("page", "page_size", "parent"),
    "/api/v1/sources/": ("page", "page_size"),
    "/api/v1/collections/": ("page", "page_size"),
}


@HYPOTHESIS
@given(data=st.data(), url=st.sampled_from(sorted(LIST_PARAMETERS)))
def test_no_list_parameter_is_a_server_error(client, small_archive, data, url):
    names = data.draw(st.sets(st.sampled_from(LIST_PARAMETERS[url]), min_size=1, max_size=3))
    params = {name: data.draw(ANY_TEXT, label=name) for name in sorted(names)}
    _assert_not_a_server_error(client.get(url, params), url, params)


@HYPOTHESIS
@given(
    endpoint=st.sampled_from(
        [
            "articles",
            "testimonies",
            "people",
            "places",
            "sources",
            "collections",
            "tags",
            "articles/{}/annotations",
        ]
    ),
    lookup=st.one_of(HOSTILE_TEXT, st.text(min_size=1, max_size=80), st.uuids().map(str)),
)
def test_no_slug_or_uid_is_a_server_error(client, small_archive, endpoint, lookup):
    from urllib.parse import quote

    path = quote(lookup.encode("utf-8", "surrogatepass"), safe="")
    if not path:
        return
    url = f"/api/v1/{endpoint.format(path)}/" if "{}" in endpoint else f"/api/v1/{endpoint}/{path}/"
    response = client.get(url)
    assert response.status_code < 500, (url, response.content[:300])
