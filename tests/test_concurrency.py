"""Optimistic concurrency: two editors open the same object; the second save is refused.

Two real logged-in admin clients (two editor accounts) open the change page, each reads the
version the page was built from, both post; the first change survives and the second editor is
told who changed what since. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from archive import services
from archive.models import Article, Collection, Status, Visibility
from tests import factories
from tests.conftest import open_change_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editors(groups):
    clients = []
    for username, full_name in (("olha", "Olha"), ("taras", "Taras")):
        user = factories.UserFactory(username=username, first_name=full_name, is_staff=True)
        user.groups.add(groups["editor"])
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def page_errors(response) -> str:
    return response.content.decode()


def test_the_second_of_two_editors_saving_an_article_is_refused(two_editors):
    first, second = two_editors
    article = factories.ArticleFactory(
        headline="Original headline", standfirst="Original standfirst"
    )
    url = reverse("admin:archive_article_change", args=(article.pk,))
    data_1, version_1 = open_change_page(first, url)
    data_2, version_2 = open_change_page(second, url)
    assert version_1 == version_2 == article.version

    response = first.post(url, {**data_1, "headline": "Olha's headline"})
    assert response.status_code == 302
    response = second.post(url, {**data_2, "standfirst": "Taras's standfirst"})

    assert response.status_code == 200  # the form again, with the editor's text kept
    html = page_errors(response)
    assert "was changed since you opened it" in html
    assert "headline by Olha" in html
    assert "Taras&#x27;s standfirst" in html or "Taras's standfirst" in html
    article.refresh_from_db()
    assert article.headline == "Olha's headline"
    assert article.standfirst == "Original standfirst"
    assert article.version == version_1 + 1


def test_a_testimony_just_restricted_does_not_go_back_to_public(two_editors):
    first, second = two_editors
    testimony = factories.TestimonyFactory(context="As reported.")
    url = reverse("admin:archive_testimony_change", args=(testimony.pk,))
    data_1, _ = open_change_page(first, url)
    data_2, _ = open_change_page(second, url)

    restricted = {
        **data_1,
        "visibility": Visibility.RESTRICTED,
        "protection_reason": "Her family is still in the occupied town.",
    }
    assert first.post(url, restricted).status_code == 302
    response = second.post(url, {**data_2, "context": "Said at the bus station."})

    assert response.status_code == 200
    html = page_errors(response)
    assert "was changed since you opened it" in html
    assert "visibility" in html and "by Olha" in html
    testimony.refresh_from_db()
    assert testimony.visibility == Visibility.RESTRICTED
    assert testimony.protection_reason == "Her family is still in the occupied town."
    assert testimony.context == "As reported."


def _annotation():
    return factories.AnnotationFactory(body="First note.", is_public=False)


def _person():
    return factories.PersonFactory(note="First note.")


def _collection():
    return factories.CollectionFactory(status=Status.DRAFT, published_at=None)


@pytest.mark.parametrize(
    ("make", "admin_name", "field", "first_value", "second_field", "second_value"),
    [
        (_annotation, "annotation", "body", "Olha's note.", "motivation", "questioning"),
        (_person, "person", "note", "Olha's note.", "role", "teacher"),
        (_collection, "collection", "title", "Olha's title", "curator", "Taras"),
    ],
)
def test_annotations_people_and_collections_refuse_a_stale_save_too(
    two_editors, make, admin_name, field, first_value, second_field, second_value
):
    first, second = two_editors
    obj = make()
    url = reverse(f"admin:archive_{admin_name}_change", args=(obj.pk,))
    data_1, _ = open_change_page(first, url)
    data_2, _ = open_change_page(second, url)

    assert first.post(url, {**data_1, field: first_value}).status_code == 302
    response = second.post(url, {**data_2, second_field: second_value})

    assert response.status_code == 200
    assert "was changed since you opened it" in page_errors(response)
    obj.refresh_from_db()
    assert getattr(obj, field) == first_value
    assert getattr(obj, second_field) != second_value


def test_an_editor_who_reloads_after_a_refusal_can_save(two_editors):
    first, second = two_editors
    article = factories.ArticleFactory(headline="Original headline")
    url = reverse("admin:archive_article_change", args=(article.pk,))
    data_1, _ = open_change_page(first, url)
    data_2, _ = open_change_page(second, url)
    first.post(url, {**data_1, "headline": "Olha's headline"})
    assert second.post(url, {**data_2, "standfirst": "Taras"}).status_code == 200

    fresh, _ = open_change_page(second, url)
    assert second.post(url, {**fresh, "standfirst": "Taras"}).status_code == 302
    article.refresh_from_db()
    assert (article.headline, article.standfirst) == ("Olha's headline", "Taras")


# --- the services ----------------------------------------------------------------------------


def test_a_service_save_based_on_an_old_version_is_refused_with_who_changed_what():
    article = factories.ArticleFactory(headline="Original headline")
    opened_at = article.version
    # Called from code: the history names no user (the admin's requests name theirs).
    services.article_update(article=Article.objects.get(pk=article.pk), headline="New headline")
    with pytest.raises(ValidationError) as refused:
        services.article_update(
            article=Article.objects.get(pk=article.pk),
            standfirst="Late edit",
            expected_version=opened_at,
        )
    assert refused.value.code == "stale"
    assert "headline by the system at" in refused.value.messages[0]
    article.refresh_from_db()
    assert article.standfirst == "" and article.headline == "New headline"


def test_a_stale_instance_cannot_overwrite_a_newer_row(editor):
    testimony = factories.TestimonyFactory()
    stale = type(testimony).objects.get(pk=testimony.pk)
    services.testimony_update(
        testimony=testimony,
        visibility=Visibility.RESTRICTED,
        protection_reason="At risk.",
        by=editor,
    )
    with pytest.raises(ValidationError):
        services.testimony_update(testimony=stale, context="Overwrites?")
    testimony.refresh_from_db()
    assert testimony.visibility == Visibility.RESTRICTED


def test_every_service_save_moves_the_version_on():
    article = factories.ArticleFactory(status=Status.DRAFT, published_at=None)
    versions = [article.version]
    services.article_update(article=article, headline="Edited")
    versions.append(Article.objects.get(pk=article.pk).version)
    services.article_submit(article=article)
    versions.append(Article.objects.get(pk=article.pk).version)
    services.article_publish(article=article)
    versions.append(Article.objects.get(pk=article.pk).version)
    assert versions == [1, 2, 3, 4]
    assert article.history.first().version == 4


# --- slug races ------------------------------------------------------------------------------


def test_two_captures_with_the_same_headline_at_the_same_moment_both_get_stored(monkeypatch):
    """The other import takes the slug between our check and our INSERT (simulated)."""
    real = services._unique_slug
    raced = []

    def slug_taken_meanwhile(model, text, **kwargs):
        slug = real(model, text, **kwargs)
        if not raced:
            raced.append(slug)
            factories.ArticleFactory(slug=slug, headline="Shelling in the night")
        return slug

    monkeypatch.setattr(services, "_unique_slug", slug_taken_meanwhile)
    article = services.article_create(
        raw_text="A capture of its own", headline="Shelling in the night", body="B", language="en"
    )
    assert raced == ["shelling-in-the-night"]
    assert article.slug == "shelling-in-the-night-2"


def test_a_slug_race_is_retried_when_the_database_refuses_the_insert(monkeypatch):
    """The INSERT itself fails on the slug (the other writer committed after our check)."""
    factories.ArticleFactory(slug="front-line", headline="Front line")
    calls = []
    real = services._unique_slug

    def stale_check(model, text, **kwargs):
        calls.append(text)
        # The first check saw the slug free: it was taken before our INSERT.
        return "front-line" if len(calls) == 1 else real(model, text, **kwargs)

    monkeypatch.setattr(services, "_unique_slug", stale_check)
    article = services.article_create(
        raw_text="Another capture", headline="Front line", body="Text", language="en"
    )
    assert article.slug == "front-line-2" and len(calls) == 2


def test_an_explicit_slug_already_taken_is_a_validation_error_not_a_retry():
    factories.ArticleFactory(slug="taken")
    with pytest.raises(ValidationError):
        services.article_create(
            raw_text="Capture", headline="Anything", body="Text", language="en", slug="taken"
        )


def test_collections_retry_a_slug_race_too(monkeypatch):
    real = services._unique_slug
    calls = []

    def stale_check(model, text, **kwargs):
        calls.append(text)
        if len(calls) == 1:
            Collection.objects.create(title="Winter", slug="winter")
            return "winter"
        return real(model, text, **kwargs)

    monkeypatch.setattr(services, "_unique_slug", stale_check)
    assert services.collection_create(title="Winter").slug == "winter-2"


def test_a_non_slug_integrity_error_is_not_swallowed(monkeypatch):
    def failing_save(self, *args, **kwargs):
        raise IntegrityError("some other constraint")

    monkeypatch.setattr(Article, "save", failing_save)
    with pytest.raises(IntegrityError):
        services.article_create(raw_text="Capture", headline="H", body="Text", language="en")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_the_same_version_one_wins():
    """Two transactions at once (PostgreSQL: real row locks), both from version 1."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the sequential tests above cover it")
    article = factories.ArticleFactory(headline="Original")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(headline: str) -> None:
        try:
            stale = Article.objects.get(pk=article.pk)
            barrier.wait(timeout=10)
            services.article_update(article=stale, headline=headline, expected_version=1)
            outcomes[headline] = "saved"
        except ValidationError as exc:
            outcomes[headline] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(h,)) for h in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["saved", "stale"]
    winner = next(h for h, outcome in outcomes.items() if outcome == "saved")
    article.refresh_from_db()
    assert (article.headline, article.version) == (winner, 2)


def test_a_collection_page_opened_before_its_items_changed_is_refused(two_editors):
    first, second = two_editors
    collection = factories.CollectionFactory(status=Status.DRAFT, published_at=None)
    item = factories.CollectionItemFactory(collection=collection, caption="First caption")
    url = reverse("admin:archive_collection_change", args=(collection.pk,))
    data_1, _ = open_change_page(first, url)
    data_2, _ = open_change_page(second, url)

    assert first.post(url, {**data_1, "items-0-caption": "Olha's caption"}).status_code == 302
    response = second.post(url, {**data_2, "curator": "Taras"})

    assert response.status_code == 200
    assert "was changed" in page_errors(response)
    item.refresh_from_db()
    collection.refresh_from_db()
    assert item.caption == "Olha's caption" and collection.curator != "Taras"
