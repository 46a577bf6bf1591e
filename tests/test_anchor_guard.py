"""The database itself refuses anchors that do not match the body (archive/anchor_guard.py),
on SQLite and on PostgreSQL, while the services' re-anchoring edits still go through."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import DatabaseError, IntegrityError, connection, transaction

from archive import services
from archive.anchor_guard import ANCHORED, REANCHORING_TABLE
from archive.models import Annotation, Article, Testimony
from tests.factories import AnnotationFactory, ArticleFactory, TestimonyFactory

pytestmark = pytest.mark.django_db

BODY = "Shelling at dawn.\n\n“We will stay,” said Mykola. The water is cut."


def checked(write) -> None:
    """Run `write` and the database's anchor checks now (PostgreSQL defers them to commit)."""
    with transaction.atomic():
        write()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def assert_refused(write) -> None:
    with pytest.raises((IntegrityError, DatabaseError)) as refused:
        checked(write)
    assert "no longer matches the article body" in str(refused.value)


@pytest.fixture
def anchored():
    article = ArticleFactory(body=BODY)
    testimony = TestimonyFactory(article=article)
    annotation = AnnotationFactory(article=article, start=0, end=8)
    assert testimony.quote == "We will stay,"
    return article, testimony, annotation


def test_a_raw_body_update_that_breaks_a_testimony_is_refused(anchored):
    article, _, _ = anchored
    new_body = BODY.replace("We will stay", "We shall stay")
    assert_refused(lambda: Article.objects.filter(pk=article.pk).update(body=new_body))
    assert Article.objects.get(pk=article.pk).body == BODY


def test_a_raw_body_update_that_breaks_an_annotation_is_refused(anchored):
    article, _, _ = anchored
    assert_refused(
        lambda: Article.objects.filter(pk=article.pk).update(body="X" + BODY)  # shifts all
    )


def test_a_raw_body_update_that_leaves_every_anchor_in_place_is_allowed(anchored):
    article, _, _ = anchored
    checked(lambda: Article.objects.filter(pk=article.pk).update(body=BODY + " More."))
    assert Article.objects.get(pk=article.pk).body == BODY + " More."


def test_a_span_that_does_not_match_its_text_is_refused_on_insert_and_update(anchored):
    article, testimony, annotation = anchored
    assert_refused(lambda: Testimony.objects.filter(pk=testimony.pk).update(start=0))
    assert_refused(lambda: Testimony.objects.filter(pk=testimony.pk).update(quote="We will go,"))
    assert_refused(lambda: Annotation.objects.filter(pk=annotation.pk).update(end=9))
    assert_refused(
        lambda: Testimony.objects.bulk_create(
            [Testimony(article=article, start=0, end=5, quote="Not this", speaker_description="x")]
        )
    )
    assert_refused(
        lambda: Annotation.objects.bulk_create(
            [Annotation(article=article, start=0, end=5, exact="Nope!", motivation="commenting")]
        )
    )


def test_an_edit_through_the_services_moves_the_spans_and_is_accepted(anchored):
    article, testimony, annotation = anchored
    new_body = "Editor's note.\n\n" + BODY.replace("The water", "The town's water")
    checked(lambda: services.article_update(article=article, body=new_body))
    testimony.refresh_from_db()
    annotation.refresh_from_db()
    assert new_body[testimony.start : testimony.end] == testimony.quote == "We will stay,"
    assert new_body[annotation.start : annotation.end] == annotation.exact
    # Nothing is left open: the guard checks this article's spans again.
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {REANCHORING_TABLE}")
            assert cursor.fetchone()[0] == 0
    assert_refused(lambda: Testimony.objects.filter(pk=testimony.pk).update(start=0))


def test_every_model_with_a_span_in_an_article_body_is_guarded():
    spans = {"article", "start", "end"}
    anchored_models = {
        model._meta.db_table
        for model in apps.get_app_config("archive").get_models()
        if spans <= {field.name for field in model._meta.get_fields()}
        and not hasattr(model, "history_id")  # history rows are copies, never checked
    }
    assert {table for table, _ in ANCHORED} == anchored_models


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_raw_update_is_refused_at_once():
    article = ArticleFactory(body=BODY)
    TestimonyFactory(article=article)
    with pytest.raises((IntegrityError, DatabaseError)):
        Article.objects.filter(pk=article.pk).update(body="Nothing of it left.")
    assert Article.objects.get(pk=article.pk).body == BODY
