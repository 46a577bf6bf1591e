"""Evidence that cannot vanish: articles are never deleted, take-downs leave a tombstone.

The database itself refuses to delete an article (it holds a raw capture), on SQLite and
PostgreSQL; taking an article down is a recorded act whose tombstone keeps the capture's
SHA-256, capture time and source; the API answers 410 Gone for it and its testimonies; its
capture cannot be imported again; only a superuser may purge its text, and the tombstone stays.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from archive import services
from archive.evidence import evidence_override
from archive.ingest.service import ImportRefused, dispatch_import
from archive.models import Article, Status, Testimony, Tombstone
from tests import factories
from tests.conftest import change_page_data

pytestmark = pytest.mark.django_db

CAPTURE = (
    "Front Dispatch\n\nTown under fire\n\n"
    "“We will not leave our street,” said Hanna, a retired nurse. The market is closed.\n"
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def superuser():
    return factories.UserFactory(username="chief", is_staff=True, is_superuser=True)


# --- the database refuses to delete an article ---------------------------------------------


def test_the_database_refuses_to_delete_an_article():
    article = factories.ArticleFactory()
    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM archive_article WHERE id = %s", [article.pk])
    assert Article.objects.filter(pk=article.pk).exists()


def test_the_orm_cannot_delete_an_article_either():
    article = factories.ArticleFactory()
    factories.TestimonyFactory(article=article)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        article.delete()
    assert Article.objects.filter(pk=article.pk).exists()
    assert article.testimonies.count() == 1  # the cascade was rolled back with it


def test_the_raw_capture_stays_immutable_outside_a_purge():
    article = factories.ArticleFactory()
    for change in ({"raw_text": ""}, {"raw_text": "edited"}):
        with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
            Article.objects.filter(pk=article.pk).update(**change)
    # Even the override lets through only a blanking that keeps the SHA-256.
    with (
        pytest.raises((IntegrityError, DatabaseError)),
        transaction.atomic(),
        evidence_override(reason="test"),
    ):
        Article.objects.filter(pk=article.pk).update(raw_text="a different text")
    article.refresh_from_db()
    assert article.raw_text.startswith("CAPTURE")


def test_the_admin_offers_no_delete_for_articles(admin_client):
    article = factories.ArticleFactory()
    url = reverse("admin:archive_article_delete", args=(article.pk,))
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()


# --- taking down -------------------------------------------------------------------------------


def test_taking_an_article_down_keeps_a_tombstone_of_the_capture_and_the_act(editor):
    article = factories.ArticleFactory()
    tombstone = services.article_take_down(
        article=article, by=editor, reason="The speaker's family was threatened."
    )
    article.refresh_from_db()
    assert article.status == Status.TAKEN_DOWN
    assert (tombstone.raw_sha256, tombstone.captured_at, tombstone.source_id) == (
        article.raw_sha256,
        article.captured_at,
        article.source_id,
    )
    assert tombstone.source_name == article.source.name
    assert tombstone.taken_down_by == editor and tombstone.taken_down_by_name == "ed"
    assert tombstone.reason == "The speaker's family was threatened."
    assert tombstone.history.count() == 1
    assert article.history.first().status == Status.TAKEN_DOWN


def test_taking_down_needs_an_editor_and_a_reason(editor, contributor):
    article = factories.ArticleFactory()
    with pytest.raises(PermissionDenied):
        services.article_take_down(article=article, by=contributor, reason="Because.")
    with pytest.raises(ValidationError):
        services.article_take_down(article=article, by=editor, reason="  ")
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and not Tombstone.objects.exists()


def test_a_taken_down_article_can_be_neither_edited_nor_published_again(editor):
    article = factories.ArticleFactory()
    services.article_take_down(article=article, by=editor, reason="Legal risk.")
    with pytest.raises(PermissionDenied):
        services.article_update(article=article, headline="Back", by=editor)
    with pytest.raises(ValidationError):
        services.article_publish(article=article, by=editor)
    with pytest.raises(ValidationError):
        services.article_return_to_draft(article=article, by=editor, reason="Try again")


def test_the_change_page_takes_an_article_down_with_the_typed_reason(editor):
    client = Client()
    client.force_login(editor)
    article = factories.ArticleFactory()
    url = reverse("admin:archive_article_change", args=(article.pk,))
    data, _ = change_page_data(client, url)
    response = client.post(
        url, {**data, "_workflow": "take_down", "_workflow_reason": "Court injunction 12/3."}
    )
    assert response.status_code == 302
    assert Tombstone.objects.get(article=article).reason == "Court injunction 12/3."


# --- the API answers 410 -----------------------------------------------------------------------


def test_the_api_answers_410_with_the_reason_for_the_article_and_its_testimonies(editor):
    article = factories.ArticleFactory(slug="market-shelled")
    testimony = factories.TestimonyFactory(article=article)
    other = factories.ArticleFactory()
    api = APIClient()
    assert api.get(f"/api/v1/articles/{article.slug}/").status_code == 200
    services.article_take_down(article=article, by=editor, reason="Source withdrew consent.")
    cache.clear()

    for url in (f"/api/v1/articles/{article.slug}/", f"/api/v1/testimonies/{testimony.uid}/"):
        response = api.get(url)
        assert response.status_code == 410, url
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert body["status"] == 410
        assert "Source withdrew consent." in body["detail"] and article.raw_sha256 in body["detail"]
    listed = [a["slug"] for a in api.get("/api/v1/articles/").json()["results"]]
    assert listed == [other.slug]
    assert api.get("/api/v1/articles/never-existed/").status_code == 404


# --- re-import ---------------------------------------------------------------------------------


def test_reimporting_a_taken_down_capture_is_refused_naming_the_tombstone(editor):
    result = dispatch_import(raw=CAPTURE.encode(), filename="front.txt")
    article = Article.objects.get(pk=result.article_id)
    tombstone = services.article_take_down(article=article, by=editor, reason="Threats.")
    with pytest.raises(ImportRefused) as refused:
        dispatch_import(raw=CAPTURE.encode(), filename="front-again.txt")
    assert refused.value.reason == "taken_down"
    assert f"Tombstone #{tombstone.pk}" in refused.value.messages[0]
    assert "Threats." in refused.value.messages[0]
    with pytest.raises(ValidationError, match=f"Tombstone #{tombstone.pk}"):
        services.article_create(raw_text=CAPTURE, headline="Again", body="B", language="en")
    assert Article.objects.count() == 1


def test_the_admin_add_form_names_the_tombstone_too(editor):
    client = Client()
    client.force_login(editor)
    article = factories.ArticleFactory()
    tombstone = services.article_take_down(article=article, by=editor, reason="Threats.")
    response = client.post(
        reverse("admin:archive_article_add"),
        {
            "headline": "Again",
            "language": "en",
            "raw_text": article.raw_text,
            "body": "Body",
            "date_precision": "day",
        },
    )
    assert response.status_code == 200
    assert f"Tombstone #{tombstone.pk}" in response.content.decode()


# --- purge by court order ------------------------------------------------------------------------


def test_only_a_superuser_purges_and_only_after_a_take_down(editor, superuser):
    article = factories.ArticleFactory()
    with pytest.raises(ValidationError):
        services.article_purge_capture(article=article, by=superuser, reason="Order 1")
    services.article_take_down(article=article, by=editor, reason="Court order pending.")
    with pytest.raises(PermissionDenied):
        services.article_purge_capture(article=article, by=editor, reason="Order 1")
    with pytest.raises(PermissionDenied):
        services.article_purge_capture(article=article, by=None, reason="Order 1")
    article.refresh_from_db()
    assert article.raw_text


def test_a_purge_blanks_the_text_everywhere_and_the_tombstone_stays(editor, superuser):
    article = factories.ArticleFactory()
    testimony = factories.TestimonyFactory(article=article)
    factories.AnnotationFactory(article=article)
    collection = factories.CollectionFactory()
    factories.CollectionItemFactory(collection=collection, article=None, testimony=testimony)
    services.article_update(article=article, standfirst="A standfirst quoting the text.")
    digest, captured_at = article.raw_sha256, article.captured_at
    services.article_take_down(article=article, by=editor, reason="Injunction.")

    tombstone = services.article_purge_capture(
        article=Article.objects.get(pk=article.pk), by=superuser, reason="Court order 2026/17"
    )

    article.refresh_from_db()
    assert (article.raw_text, article.body, article.standfirst) == ("", "", "")
    assert article.raw_sha256 == digest  # the evidence that it existed
    assert not article.testimonies.exists() and not article.annotations.exists()
    assert not collection.items.exists()
    assert set(Article.history.filter(id=article.pk).values_list("body", flat=True)) == {""}
    assert set(Testimony.history.filter(uid=testimony.uid).values_list("quote", flat=True)) == {""}
    tombstone.refresh_from_db()
    assert (tombstone.raw_sha256, tombstone.captured_at) == (digest, captured_at)
    assert tombstone.purged_by == superuser and tombstone.purge_reason == "Court order 2026/17"
    assert tombstone.history.count() == 2
    # Still gone, not unknown; still not deletable; still not importable.
    api = APIClient()
    assert api.get(f"/api/v1/articles/{article.slug}/").status_code == 410
    assert api.get(f"/api/v1/testimonies/{testimony.uid}/").status_code == 410
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Article.objects.filter(pk=article.pk).delete()
    # The override lasted only for the purge: the capture is immutable again.
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(raw_text="restored?")


def test_a_purge_cannot_be_repeated(editor, superuser):
    article = factories.ArticleFactory()
    services.article_take_down(article=article, by=editor, reason="Injunction.")
    services.article_purge_capture(article=article, by=superuser, reason="Order")
    with pytest.raises(ValidationError):
        services.article_purge_capture(article=article, by=superuser, reason="Order")


def test_a_superuser_purges_from_the_tombstones_page_and_an_editor_cannot(editor, superuser):
    article = factories.ArticleFactory()
    tombstone = services.article_take_down(article=article, by=editor, reason="Injunction.")
    url = reverse("admin:archive_tombstone_changelist")
    selection = {"action": "purge_selected", "_selected_action": [tombstone.pk]}

    as_editor = Client()
    as_editor.force_login(editor)
    as_editor.post(url, {**selection, "apply": "1", "reason": "Order 9"})
    article.refresh_from_db()
    assert article.raw_text  # the action is not theirs

    as_superuser = Client()
    as_superuser.force_login(superuser)
    page = as_superuser.post(url, selection)
    assert page.status_code == 200 and b"Court order" in page.content
    response = as_superuser.post(url, {**selection, "apply": "1", "reason": "Order 9"})
    assert response.status_code == 302
    article.refresh_from_db()
    tombstone.refresh_from_db()
    assert article.raw_text == "" and tombstone.purge_reason == "Order 9"
