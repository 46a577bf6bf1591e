"""The database itself rejects rows that break the archive's integrity."""

import pytest
from django.db import IntegrityError, transaction

from archive.models import Article, CollectionItem, Testimony, Visibility
from tests.factories import (
    ArticleFactory,
    CollectionFactory,
    CollectionItemFactory,
    PersonFactory,
    TagFactory,
    TestimonyFactory,
)

pytestmark = pytest.mark.django_db


def assert_rejected(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_a_collection_item_with_two_targets_is_rejected():
    testimony = TestimonyFactory()
    collection = CollectionFactory()
    assert_rejected(
        lambda: CollectionItem.objects.create(
            collection=collection, position=1, article=testimony.article, testimony=testimony
        )
    )


def test_a_collection_item_with_no_target_is_rejected():
    collection = CollectionFactory()
    assert_rejected(lambda: CollectionItem.objects.create(collection=collection, position=1))


def test_two_items_at_the_same_position_in_a_collection_are_rejected():
    item = CollectionItemFactory(position=1)
    assert_rejected(
        lambda: CollectionItemFactory(collection=item.collection, position=1, article=item.article)
    )
    # The same position in another collection is fine.
    CollectionItemFactory(position=1, article=item.article)


@pytest.mark.parametrize(("start", "end"), [(5, 5), (9, 3)])
def test_testimony_offsets_must_be_ordered(start, end):
    article = ArticleFactory()
    assert_rejected(
        lambda: Testimony.objects.create(
            article=article,
            start=start,
            end=end,
            quote="x",
            speaker_description="a resident",
        )
    )


def test_an_annotation_with_empty_span_is_rejected():
    from tests.factories import AnnotationFactory

    assert_rejected(lambda: AnnotationFactory(start=4, end=4, exact="x"))


def test_a_second_article_with_the_same_capture_hash_is_rejected():
    article = ArticleFactory()
    assert_rejected(
        lambda: ArticleFactory(raw_text=article.raw_text, raw_sha256=article.raw_sha256)
    )


def test_slugs_are_unique():
    article = ArticleFactory()
    assert_rejected(lambda: ArticleFactory(slug=article.slug))
    tag = TagFactory()
    assert_rejected(lambda: TagFactory(slug=tag.slug))


def test_a_testimony_needs_a_speaker_or_a_description():
    assert_rejected(lambda: TestimonyFactory(speaker=None, speaker_description=""))


def test_a_protected_testimony_needs_a_recorded_reason():
    assert_rejected(lambda: TestimonyFactory(visibility=Visibility.RESTRICTED))
    TestimonyFactory(visibility=Visibility.RESTRICTED, protection_reason="Family under occupation")


def test_a_protected_person_needs_a_recorded_reason():
    assert_rejected(lambda: PersonFactory(protection_level="pseudonymised"))


def test_a_published_article_needs_a_publication_timestamp():
    assert_rejected(lambda: ArticleFactory(status="published", published_at=None))


def test_the_raw_capture_cannot_be_changed_even_by_a_raw_update():
    article = ArticleFactory()
    assert_rejected(lambda: Article.objects.filter(pk=article.pk).update(raw_text="tampered"))
    assert_rejected(lambda: Article.objects.filter(pk=article.pk).update(raw_sha256="0" * 64))
    # Everything else about the article can still be edited.
    Article.objects.filter(pk=article.pk).update(headline="Corrected headline")
    article.refresh_from_db()
    assert article.headline == "Corrected headline"


def test_an_article_cannot_be_deleted_while_a_collection_shows_it():
    item = CollectionItemFactory()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        item.article.delete()
