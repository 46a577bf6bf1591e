"""The services added for the admin: they keep the same rules whoever calls them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from archive import services
from archive.models import Annotation, CollectionItem, Status, Testimony
from tests import factories

pytestmark = pytest.mark.django_db


def test_checking_a_body_edit_reports_detached_anchors_and_writes_nothing():
    testimony = factories.TestimonyFactory()
    article = testimony.article
    with pytest.raises(ValidationError, match="no longer appears"):
        services.article_check_body(article=article, body="Completely different text.")
    services.article_check_body(article=article, body="Intro. " + article.body)
    testimony.refresh_from_db()
    assert article.body[testimony.start : testimony.end] == testimony.quote


def test_a_testimony_in_a_collection_cannot_be_deleted(editor):
    testimony = factories.TestimonyFactory()
    factories.CollectionItemFactory(article=None, testimony=testimony)
    with pytest.raises(ValidationError, match="remove it from the collection first"):
        services.testimony_delete(testimony=testimony, by=editor)
    assert Testimony.objects.filter(pk=testimony.pk).exists()


def test_a_contributor_cannot_delete_a_testimony(contributor):
    testimony = factories.TestimonyFactory()
    with pytest.raises(PermissionDenied):
        services.testimony_delete(testimony=testimony, by=contributor)


def test_an_annotation_update_changes_only_the_note(contributor):
    # A draft's note: on published material a contributor may not edit (tests/test_workflow.py).
    draft = factories.ArticleFactory(status=Status.DRAFT, published_at=None)
    annotation = factories.AnnotationFactory(article=draft)
    services.annotation_update(annotation=annotation, by=contributor, body="Better note")
    assert Annotation.objects.get(pk=annotation.pk).body == "Better note"
    with pytest.raises(ValidationError, match="Not editable here: start"):
        services.annotation_update(annotation=annotation, by=contributor, start=0)


def test_removing_a_collection_item_closes_the_gap(editor):
    collection = factories.CollectionFactory()
    items = [factories.CollectionItemFactory(collection=collection, position=n) for n in (1, 2, 3)]
    services.collection_item_remove(item=items[0], by=editor)
    assert list(
        CollectionItem.objects.filter(collection=collection).values_list("pk", "position")
    ) == [(items[1].pk, 1), (items[2].pk, 2)]


def test_a_published_collection_is_edited_and_withdrawn_by_editors_only(contributor, editor):
    collection = factories.CollectionItemFactory().collection
    with pytest.raises(PermissionDenied):
        services.collection_update(collection=collection, by=contributor, title="New")
    services.collection_update(collection=collection, by=editor, title="New title")
    assert collection.title == "New title"
    services.collection_withdraw(collection=collection, by=editor)
    assert collection.status == Status.WITHDRAWN
    with pytest.raises(ValidationError, match="Only published"):
        services.collection_withdraw(collection=collection, by=editor)


def test_a_collection_is_created_as_a_draft_with_a_slug(editor):
    collection = services.collection_create(title="Those who stay", by=editor)
    assert (collection.slug, collection.status) == ("those-who-stay", Status.DRAFT)


def test_a_collection_item_points_at_exactly_one_target(editor):
    item = factories.CollectionItemFactory()
    with pytest.raises(ValidationError, match="exactly one"):
        services.collection_item_update(
            item=item, caption="", article=item.article, testimony=factories.TestimonyFactory()
        )
