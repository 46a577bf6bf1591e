"""Issue 15 item 5: caches follow protection.

Any write that changes what a client reads changes the validators (ETag, Last-Modified) of
every response it touches, whatever the write path: a queryset `.update()` leaves no history
row and sends no signal, so the database itself counts changes (`archive.changes`).
Run on SQLite and, with DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils.http import http_date
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from archive import changes, services
from archive.models import Person, ProtectionLevel, Testimony, Visibility
from archive.querysets import TestimonyQuerySet

# An archive last changed long ago, so that a change now moves Last-Modified by whole seconds.
LONG_AGO = "2020-01-01 00:00:00"


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    cache.clear()
    yield
    cache.clear()


def counter() -> int:
    with connection.cursor() as cursor:
        return changes.current(cursor)[0]


def date_the_last_change_long_ago() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {changes.CHANGE_TABLE} SET changed_at = %s", [LONG_AGO])
    cache.clear()  # the signals' generation in the cache would otherwise date it


def a_public_named_speaker() -> Person:
    return Person.objects.public().order_by("pk").first()


def the_people_url() -> str:
    return "/api/v1/people/?page_size=100"


def endpoint_urls(person: Person) -> dict[str, str]:
    testimony = (
        Testimony.objects.public()
        .filter(TestimonyQuerySet.identified_q(), speaker=person)
        .select_related("article")
        .first()
    )
    return {
        "list": "/api/v1/testimonies/?page_size=100",
        "detail": f"/api/v1/articles/{testimony.article.slug}/",
        "search": f"/api/v1/search/?q={person.name.split()[-1]}",
        "people": the_people_url(),
        "person": f"/api/v1/people/{person.slug}/",
    }


BULK_UPDATES = {
    "person-protection": lambda person: Person.objects.filter(pk=person.pk).update(
        protection_level=ProtectionLevel.RESTRICTED, protection_reason="Bulk decision."
    ),
    "testimony-visibility": lambda person: Testimony.objects.filter(speaker=person).update(
        visibility=Visibility.PSEUDONYMISED, protection_reason="Bulk decision."
    ),
}


@pytest.mark.parametrize("update", BULK_UPDATES)
@pytest.mark.parametrize("endpoint", ["list", "detail", "search", "people", "person"])
def test_a_bulk_protection_change_gives_a_fresh_etag_not_a_stale_304(seed, endpoint, update):
    person = a_public_named_speaker()
    url = endpoint_urls(person)[endpoint]
    client = APIClient()
    date_the_last_change_long_ago()
    first = client.get(url)
    assert first.status_code == 200
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    BULK_UPDATES[update](person)

    for headers in (
        {"HTTP_IF_NONE_MATCH": etag},
        {"HTTP_IF_MODIFIED_SINCE": last_modified},
        {"HTTP_IF_NONE_MATCH": etag, "HTTP_IF_MODIFIED_SINCE": last_modified},
    ):
        response = client.get(url, **headers)
        assert response.status_code in (200, 404), (url, headers)
        if response.status_code == 200:
            assert response["ETag"] != etag
            assert response["Last-Modified"] != last_modified
    # And what the client now reads no longer names the person.
    assert person.name not in client.get(url).content.decode() or endpoint == "search"


def test_the_old_etag_still_gets_a_304_while_nothing_changed(seed):
    client = APIClient()
    url = "/api/v1/search/?q=Bakhmut"
    first = client.get(url)
    assert first.status_code == 200 and first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]


def test_last_modified_is_the_moment_of_the_last_change(seed):
    date_the_last_change_long_ago()
    response = APIClient().get(the_people_url())
    assert response["Last-Modified"] == http_date(1577836800)  # 2020-01-01T00:00:00Z


def test_every_archive_table_is_tracked_or_deliberately_exempt(db):
    """A new table (mentions, versions…) must be added to `archive.changes.TRACKED_TABLES`,
    with a migration installing its triggers, or be exempted there with a reason."""
    tables = {t for t in connection.introspection.table_names() if t.startswith("archive_")}
    untracked = {
        t for t in tables - set(changes.TRACKED_TABLES) if not t.startswith(changes.EXEMPT_PREFIXES)
    }
    assert not untracked
    assert set(changes.TRACKED_TABLES) <= tables


@pytest.mark.parametrize("table", changes.TRACKED_TABLES)
def test_any_write_to_a_tracked_table_bumps_the_change_counter(seed, table):
    from archive.models import Credit, Tag

    # The seeds hold rows in every table but the links of tags to testimonies.
    if table == "archive_testimony_tags":
        Testimony.objects.first().tags.add(Tag.objects.first())
    # Nor mentions: the fixture loads none; bootstrap proposes them by scanning the bodies.
    if table == "archive_mention":
        services.mentions_rescan_all()
    assert Credit.objects.exists()
    before = counter()
    with connection.cursor() as cursor:
        # Raw SQL: no model, no signal, no history: only the database can notice.
        cursor.execute(f'UPDATE "{table}" SET id = id')
    assert counter() > before


def test_inserting_and_deleting_bump_the_change_counter_too(db):
    before = counter()
    person = Person.objects.create(name="Counter Person", slug="counter-person")
    assert counter() > before
    after_insert = counter()
    Person.objects.filter(pk=person.pk).delete()
    assert counter() > after_insert
