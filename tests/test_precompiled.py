"""archive.precompiled: ORM queries over lists of ids, compiled once and run with each list."""

import uuid

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from archive.models import Article, Place, Testimony
from archive.precompiled import Ids, InIds, PrecompiledQuery
from newsroom.routers import REPLICA_DB_ALIAS
from tests.factories import ArticleFactory, PlaceFactory, TestimonyFactory

pytestmark = pytest.mark.django_db


def _headlines(articles: Ids):
    return (
        Article.objects.filter(InIds(F("id"), articles))
        .order_by("headline")
        .values_list("id", "headline")
    )


def test_in_ids_used_directly_matches_the_listed_rows_only():
    a, b, _c = ArticleFactory.create_batch(3)

    assert set(Article.objects.filter(InIds(F("id"), [a.pk, b.pk]))) == {a, b}
    assert list(Article.objects.filter(InIds(F("id"), []))) == []
    # None matches nothing, as with `__in`.
    assert list(Article.objects.filter(InIds(F("id"), [None, a.pk]))) == [a]


def test_a_precompiled_query_answers_each_list_of_ids_with_the_same_sql():
    articles = ArticleFactory.create_batch(5)
    query = PrecompiledQuery(_headlines, "articles")
    ids = [a.pk for a in articles]

    with CaptureQueriesContext(connection) as captured:
        two = query.rows(articles=ids[:2])
        five = query.rows(articles=ids)
        none = query.rows(articles=[])

    assert [row[0] for row in two] == [a.pk for a in sorted(articles[:2], key=lambda a: a.headline)]
    assert {row[0] for row in five} == set(ids)
    assert none == []
    # An empty list asks nothing; the others send the same statement, whatever their length.
    assert len(captured) == 2
    assert captured[0]["sql"].split(" WHERE ")[0] == captured[1]["sql"].split(" WHERE ")[0]
    assert len({q["sql"].count("%s") for q in captured}) <= 1


def test_rows_are_converted_as_the_orm_would():
    testimony = TestimonyFactory()
    query = PrecompiledQuery(
        lambda ids: Testimony.objects.filter(InIds(F("id"), ids)).values_list(
            "uid", "start", "created_at"
        ),
        "ids",
    )

    (row,) = query.rows(ids=[testimony.pk])

    assert row == Testimony.objects.values_list("uid", "start", "created_at").get(pk=testimony.pk)
    # SQLite keeps a UUID as 32 hex characters: Django's converter makes it a UUID again.
    assert isinstance(row[0], uuid.UUID)


def test_later_runs_see_new_rows():
    query = PrecompiledQuery(
        lambda places: Place.objects.filter(InIds(F("id"), places)).values_list("name"),
        "places",
    )
    first = PlaceFactory(name="Bakhmut")
    assert query.rows(places=[first.pk]) == [("Bakhmut",)]
    second = PlaceFactory(name="Siversk")
    assert sorted(query.rows(places=[first.pk, second.pk])) == [("Bakhmut",), ("Siversk",)]


def test_every_placeholder_needs_its_ids():
    query = PrecompiledQuery(_headlines, "articles")
    with pytest.raises(TypeError):
        query.rows(testimonies=[1])


@pytest.mark.django_db(transaction=True)
def test_precompiled_reads_follow_the_router(replica):
    article = ArticleFactory()
    query = PrecompiledQuery(_headlines, "articles")

    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        assert [row[0] for row in query.rows(articles=[article.pk])] == [article.pk]
    assert len(on_replica) == 1 and len(on_primary) == 0

    # Inside a write transaction, on the primary, which sees the uncommitted row.
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        transaction.atomic(),
    ):
        Article.objects.filter(pk=article.pk).update(headline="Not yet on the replica")
        assert query.rows(articles=[article.pk])[0][1] == "Not yet on the replica"
    assert on_replica.captured_queries == []
    assert any("ANY" in q["sql"] or "json_each" in q["sql"] for q in on_primary.captured_queries)
    assert REPLICA_DB_ALIAS in connections


def test_a_page_loads_its_links_and_withheld_names_in_one_query(seed):
    from archive.querysets import withheld_names
    from archive.selectors import Redactor, load_page

    articles = list(Article.objects.all())
    testimonies = list(Testimony.objects.all())
    redactor = Redactor(active=True)
    article_ids = {a.pk for a in articles}

    with CaptureQueriesContext(connection) as captured:
        load_page(
            articles=articles,
            testimonies=testimonies,
            redactor=redactor,
            redacted=article_ids | {Redactor.NO_ARTICLE},
        )
    assert len(captured) == 1

    expected = withheld_names(article_ids)
    assert any(expected.values())  # the seeds withhold names (Guseva, Bardas)
    assert {pk: redactor.names(pk) for pk in article_ids} == expected
    # Texts of no one article (introductions) mask the people withheld everywhere (issue 15).
    assert {"Natalia Guseva", "Guseva", "Vitaly Bardas"} <= redactor.names(Redactor.NO_ARTICLE)
    for article in articles:
        assert [link.slug for link in article.place_links] == list(
            article.places.order_by("name", "slug").values_list("slug", flat=True)
        )
        assert [link.slug for link in article.tag_links] == list(
            article.tags.order_by("name", "slug").values_list("slug", flat=True)
        )
    for testimony in testimonies:
        assert [link.slug for link in testimony.tag_links] == list(
            testimony.tags.order_by("name", "slug").values_list("slug", flat=True)
        )
    # Names already loaded are not asked for again; staff need none.
    with CaptureQueriesContext(connection) as captured:
        load_page(redactor=redactor, redacted=article_ids)
        load_page(articles=[], redactor=Redactor(active=False), redacted=article_ids)
    assert len(captured) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL covering index")
@pytest.mark.django_db(transaction=True)
def test_withheld_speakers_are_found_from_the_index_alone():
    """The lookup every page makes reads no testimony row (migration 0011)."""
    from archive.querysets import withheld_speakers

    testimonies = [TestimonyFactory() for _ in range(30)]
    ids = [t.article_id for t in testimonies[:5]]
    sql, params = (
        withheld_speakers(ids).values_list("article_id", "speaker_id").query.sql_with_params()
    )
    with connection.cursor() as cursor:
        # Committed rows, vacuumed: as a live archive's are, so an index-only scan reads no row.
        cursor.execute("VACUUM ANALYZE archive_testimony")
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_bitmapscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_bitmapscan")
    assert "Index Only Scan using testimony_article_speaker" in plan, plan
