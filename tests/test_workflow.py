"""The contributor/editor rules hold on every admin page and action, not only the article's.

Contributors draft, edit drafts and submit them for review; editors publish, withdraw, edit
published material and decide on protection. Each page is tried with a contributor's client:
a 403 or a refusal, and nothing changed.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from archive import services
from archive.models import (
    Article,
    Collection,
    CollectionItem,
    Credit,
    PersonName,
    ProtectionLevel,
    Status,
    Visibility,
)
from tests import factories
from tests.conftest import change_page_data

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_editor(editor):
    return _client(editor)


@pytest.fixture
def as_contributor(contributor):
    return _client(contributor)


def _draft(**kwargs):
    return factories.ArticleFactory(status=Status.DRAFT, published_at=None, **kwargs)


# --- testimonies and annotations -------------------------------------------------------------


def test_a_contributor_cannot_change_a_published_testimonys_speaker_or_context(
    as_editor, as_contributor
):
    testimony = factories.TestimonyFactory(context="As published.")
    speaker = testimony.speaker
    url = reverse("admin:archive_testimony_change", args=(testimony.pk,))
    data, _ = change_page_data(as_editor, url)
    other = factories.PersonFactory()

    response = as_contributor.post(url, {**data, "speaker": other.pk, "context": "Rewritten."})

    assert response.status_code == 403
    testimony.refresh_from_db()
    assert (testimony.speaker, testimony.context) == (speaker, "As published.")
    # The page itself is read-only for them: no form to post.
    page = as_contributor.get(url)
    assert page.status_code == 200 and b'name="context"' not in page.content


def test_a_contributor_still_edits_testimonies_of_a_draft(as_contributor):
    testimony = factories.TestimonyFactory(article=_draft(), context="First take.")
    url = reverse("admin:archive_testimony_change", args=(testimony.pk,))
    data, _ = change_page_data(as_contributor, url)
    response = as_contributor.post(url, {**data, "context": "Better context."})
    assert response.status_code == 302
    testimony.refresh_from_db()
    assert testimony.context == "Better context."


def test_a_contributor_cannot_make_an_internal_note_on_published_material_public(
    as_editor, as_contributor
):
    annotation = factories.AnnotationFactory(is_public=False, body="Internal: unverified.")
    url = reverse("admin:archive_annotation_change", args=(annotation.pk,))
    data, _ = change_page_data(as_editor, url)

    response = as_contributor.post(url, {**data, "is_public": "on"})

    assert response.status_code == 403
    annotation.refresh_from_db()
    assert annotation.is_public is False


def test_a_contributor_cannot_revert_a_published_testimony_from_its_history(as_contributor):
    testimony = factories.TestimonyFactory(context="Original.")
    services.testimony_update(testimony=testimony, context="Corrected.")
    original = testimony.history.last()
    url = reverse(
        "admin:archive_testimony_simple_history", args=(testimony.pk, original.history_id)
    )
    assert as_contributor.post(url, {"context": "Original."}).status_code == 403
    testimony.refresh_from_db()
    assert testimony.context == "Corrected."


def test_a_contributor_cannot_annotate_or_record_on_published_material(as_contributor):
    article = factories.ArticleFactory()
    for name in ("annotate", "record_testimony"):
        url = reverse(f"admin:archive_article_{name}", args=(article.pk,))
        response = as_contributor.post(
            url,
            {"start": 0, "end": 4, "exact": article.body[:4], "quote": article.body[:4]},
        )
        assert response.status_code == 403
    assert not article.annotations.exists() and not article.testimonies.exists()


def test_tagging_published_testimonies_in_bulk_is_refused_to_a_contributor(as_contributor):
    published = factories.TestimonyFactory()
    draft = factories.TestimonyFactory(article=_draft())
    tag = factories.TagFactory()
    url = reverse("admin:archive_testimony_changelist")
    response = as_contributor.post(
        url,
        {
            "action": "add_tag",
            "_selected_action": [published.pk, draft.pk],
            "apply": "1",
            "tag": tag.pk,
        },
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Refused") and "published" in m for m in messages), messages
    assert list(published.tags.all()) == [] and list(draft.tags.all()) == [tag]


def test_the_services_refuse_a_contributor_on_published_material(contributor):
    testimony = factories.TestimonyFactory()
    annotation = factories.AnnotationFactory(article=testimony.article, is_public=False)
    with pytest.raises(PermissionDenied):
        services.testimony_update(testimony=testimony, context="x", by=contributor)
    with pytest.raises(PermissionDenied):
        services.annotation_update(annotation=annotation, is_public=True, by=contributor)
    with pytest.raises(PermissionDenied):
        services.testimony_create(
            article=testimony.article,
            start=testimony.start,
            end=testimony.end,
            speaker_description="someone",
            by=contributor,
        )
    with pytest.raises(PermissionDenied):
        services.annotation_create(
            article=testimony.article, start=0, end=4, motivation="commenting", body="n",
            by=contributor,
        )  # fmt: skip


# --- collections and their items ---------------------------------------------------------------


def test_a_contributor_cannot_change_collections_or_their_items(as_editor, as_contributor):
    collection = factories.CollectionFactory(status=Status.DRAFT, published_at=None)
    item = factories.CollectionItemFactory(collection=collection, caption="Caption.")
    collection_url = reverse("admin:archive_collection_change", args=(collection.pk,))
    item_url = reverse("admin:archive_collectionitem_change", args=(item.pk,))
    collection_data, _ = change_page_data(as_editor, collection_url)
    item_data, _ = change_page_data(as_editor, item_url)

    assert as_contributor.post(collection_url, {**collection_data, "title": "X"}).status_code == 403
    assert as_contributor.post(item_url, {**item_data, "caption": "X"}).status_code == 403
    add = reverse("admin:archive_collectionitem_add")
    article = factories.ArticleFactory()
    response = as_contributor.post(add, {"collection": collection.pk, "article": article.pk})
    assert response.status_code == 403
    publish = as_contributor.post(
        reverse("admin:archive_collection_changelist"),
        {"action": "publish_selected", "_selected_action": [collection.pk]},
    )
    assert publish.status_code in (200, 302)
    collection.refresh_from_db()
    item.refresh_from_db()
    assert (collection.title, collection.status, item.caption) != ("X", Status.PUBLISHED, "X")
    assert collection.status == Status.DRAFT and item.caption == "Caption."
    assert CollectionItem.objects.count() == 1 and Collection.objects.count() == 1


# --- people, their names, credits ------------------------------------------------------------


def test_a_contributor_cannot_change_a_person_quoted_in_published_material(
    as_editor, as_contributor
):
    quoted = factories.TestimonyFactory().speaker
    url = reverse("admin:archive_person_change", args=(quoted.pk,))
    data, _ = change_page_data(as_editor, url)
    assert as_contributor.post(url, {**data, "name": "Renamed"}).status_code == 403
    quoted.refresh_from_db()
    assert quoted.name != "Renamed"

    name_url = reverse("admin:archive_personname_add")
    response = as_contributor.post(name_url, {"person": quoted.pk, "name": "Alias"})
    assert response.status_code == 403
    assert not PersonName.objects.filter(name="Alias").exists()


def test_a_contributor_edits_a_person_found_in_drafts_but_not_their_protection(as_contributor):
    person = factories.TestimonyFactory(article=_draft()).speaker
    url = reverse("admin:archive_person_change", args=(person.pk,))
    data, _ = change_page_data(as_contributor, url)
    assert "protection_level" not in data
    response = as_contributor.post(
        url,
        {
            **data,
            "role": "teacher",
            "protection_level": ProtectionLevel.PUBLIC,
            "protection_reason": "",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.role == "teacher"


def test_the_person_service_refuses_a_contributors_protection_decision(contributor):
    person = factories.PersonFactory()
    with pytest.raises(PermissionDenied):
        services.person_update(
            person=person,
            protection_level=ProtectionLevel.PSEUDONYMISED,
            protection_reason="At risk.",
            by=contributor,
        )


def test_a_contributor_cannot_change_or_add_credits_of_a_published_article(
    as_editor, as_contributor
):
    credit = factories.CreditFactory(name="Reporter One")
    url = reverse("admin:archive_credit_change", args=(credit.pk,))
    data, _ = change_page_data(as_editor, url)
    assert as_contributor.post(url, {**data, "name": "Someone Else"}).status_code == 403
    response = as_contributor.post(
        reverse("admin:archive_credit_add"),
        {"article": credit.article_id, "name": "Added", "role": "author", "position": 1},
    )
    assert response.status_code == 403
    credit.refresh_from_db()
    assert credit.name == "Reporter One"
    assert not Credit.objects.filter(name="Added").exists()


# --- sending an article back to draft ------------------------------------------------------


def test_an_editor_sends_a_published_article_back_to_draft_with_a_reason(editor):
    article = factories.ArticleFactory()
    services.article_return_to_draft(article=article, by=editor, reason="Names not checked.")
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    latest = article.history.first()
    assert latest.history_change_reason == "Names not checked."
    assert latest.diff_against(latest.prev_record).changed_fields == ["status"]


@pytest.mark.parametrize("reason", ["", "   ", "x" * 101])
def test_sending_back_to_draft_needs_a_short_reason(editor, reason):
    article = factories.ArticleFactory()
    with pytest.raises(ValidationError):
        services.article_return_to_draft(article=article, by=editor, reason=reason)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED


def test_only_an_editor_sends_an_article_back_to_draft(contributor):
    article = factories.ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    with pytest.raises(PermissionDenied):
        services.article_return_to_draft(article=article, by=contributor, reason="No.")


def test_the_change_page_sends_back_to_draft_with_the_typed_reason(as_editor):
    article = factories.ArticleFactory()
    url = reverse("admin:archive_article_change", args=(article.pk,))
    page = as_editor.get(url).content.decode()
    assert 'name="_workflow_reason"' in page and 'value="draft"' in page
    data, _ = change_page_data(as_editor, url)

    refused = as_editor.post(url, {**data, "_workflow": "draft"}, follow=True)
    assert any("not sent back to draft" in str(m) for m in refused.context["messages"])
    assert Article.objects.get(pk=article.pk).status == Status.PUBLISHED

    data, _ = change_page_data(as_editor, url)
    response = as_editor.post(
        url, {**data, "_workflow": "draft", "_workflow_reason": "Speaker at risk: recheck."}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert article.history.first().history_change_reason == "Speaker at risk: recheck."
    assert article.history.first().history_user.username == "ed"


def test_a_contributor_is_not_offered_the_send_back_button(as_contributor):
    article = factories.ArticleFactory(status=Status.IN_REVIEW, published_at=None)
    page = as_contributor.get(reverse("admin:archive_article_change", args=(article.pk,)))
    assert b'value="draft"' not in page.content


def test_a_restricted_testimony_stays_restricted_for_a_contributor(as_contributor):
    testimony = factories.TestimonyFactory(
        article=_draft(), visibility=Visibility.RESTRICTED, protection_reason="At risk."
    )
    url = reverse("admin:archive_testimony_change", args=(testimony.pk,))
    data, _ = change_page_data(as_contributor, url)
    response = as_contributor.post(
        url, {**data, "visibility": Visibility.PUBLIC, "protection_reason": ""}
    )
    assert response.status_code == 302
    testimony.refresh_from_db()
    assert testimony.visibility == Visibility.RESTRICTED
