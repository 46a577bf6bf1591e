"""The service layer keeps quotes and annotations anchored in the text they point at."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import services
from archive.models import Annotation, Status, Visibility
from archive.text import sha256_hex
from tests.factories import (
    ArticleFactory,
    CollectionFactory,
    CollectionItemFactory,
    PersonFactory,
    TestimonyFactory,
)

pytestmark = pytest.mark.django_db

BODY = (
    "Many residents have fled.\n\n"
    "“Every day, there are bombings,” said Yuri, retired.\n\n"
    "“There is no one to help me,” said the 70-year-old man."
)


def make_article(body: str = BODY, **kwargs):
    return services.article_create(
        raw_text="RAW\n" + body, headline="Those who stay", body=body, language="en", **kwargs
    )


def test_creating_an_article_stores_the_capture_and_its_hash():
    article = make_article()
    assert article.raw_text == "RAW\n" + BODY
    assert article.raw_sha256 == sha256_hex(article.raw_text)
    assert article.status == Status.DRAFT
    assert article.slug == "those-who-stay"


def test_the_same_capture_cannot_be_imported_twice():
    make_article()
    with pytest.raises(ValidationError, match="already imported"):
        make_article()


def test_a_testimony_must_quote_exactly_the_text_at_its_offsets():
    article = make_article()
    start = article.body.index("Every day")
    end = start + len("Every day, there are bombings,")
    testimony = services.testimony_create(
        article=article, start=start, end=end, speaker=PersonFactory()
    )
    assert article.body[testimony.start : testimony.end] == testimony.quote
    with pytest.raises(ValidationError, match="not the quoted"):
        services.testimony_create(
            article=article, start=start, end=end, quote="Every night", speaker=PersonFactory()
        )


@pytest.mark.parametrize(("start", "end"), [(-1, 4), (10, 10), (10, 2), (0, 10_000)])
def test_offsets_outside_the_body_are_refused(start, end):
    article = make_article()
    with pytest.raises(ValidationError):
        services.testimony_create(
            article=article, start=start, end=end, speaker_description="a resident"
        )


def test_an_annotation_whose_quote_and_position_disagree_is_refused():
    article = make_article()
    start = article.body.index("bombings")
    with pytest.raises(ValidationError):
        services.annotation_create(
            article=article,
            start=start,
            end=start + 8,
            exact="shelling",
            motivation="commenting",
            body="x",
        )
    with pytest.raises(ValidationError, match="prefix"):
        services.annotation_create(
            article=article,
            start=start,
            end=start + 8,
            prefix="wrong context ",
            motivation="commenting",
            body="x",
        )
    annotation = services.annotation_create(
        article=article, start=start, end=start + 8, motivation="commenting", body="x"
    )
    assert annotation.exact == "bombings"
    assert article.body[: annotation.start].endswith(annotation.prefix)
    assert article.body[annotation.end :].startswith(annotation.suffix)


def test_editing_the_body_moves_testimonies_and_annotations_with_their_text():
    article = make_article()
    testimony = TestimonyFactory(article=article, speaker=PersonFactory())
    start = article.body.index("no one")
    annotation = services.annotation_create(
        article=article, start=start, end=start + 6, motivation="commenting", body="x"
    )
    new_body = "Editor's note: names are as published.\n\n" + article.body.replace(
        "Many residents have fled.", "Many of the residents have fled."
    )
    services.article_update(article=article, body=new_body)
    testimony.refresh_from_db()
    annotation.refresh_from_db()
    assert new_body[testimony.start : testimony.end] == testimony.quote
    assert new_body[annotation.start : annotation.end] == annotation.exact == "no one"
    assert new_body[: annotation.start].endswith(annotation.prefix)


def test_an_edit_that_would_detach_a_testimony_is_refused_and_changes_nothing():
    article = make_article()
    testimony = TestimonyFactory(article=article, speaker=PersonFactory())
    new_body = article.body.replace("Every day, there are bombings", "Every day there is shelling")
    with pytest.raises(ValidationError, match="detach"):
        services.article_update(article=article, body=new_body)
    article.refresh_from_db()
    testimony.refresh_from_db()
    assert article.body == BODY
    assert article.body[testimony.start : testimony.end] == testimony.quote


def test_the_raw_capture_cannot_be_changed_through_the_services_or_validation():
    article = make_article()
    with pytest.raises(ValidationError, match="raw capture"):
        services.article_update(article=article, raw_text="tampered")
    article.raw_text = "tampered"
    with pytest.raises(ValidationError, match="raw capture"):
        article.full_clean()


def test_contributors_submit_but_only_editors_publish_and_withdraw(contributor, editor):
    article = make_article()
    services.article_submit(article=article, by=contributor)
    assert article.status == Status.IN_REVIEW
    with pytest.raises(PermissionDenied):
        services.article_publish(article=article, by=contributor)
    services.article_publish(article=article, by=editor)
    assert article.status == Status.PUBLISHED and article.published_at
    with pytest.raises(PermissionDenied):
        services.article_update(article=article, by=contributor, headline="Changed")
    services.article_withdraw(article=article, by=editor)
    assert article not in type(article).objects.published()


def test_a_protected_speakers_testimony_needs_explicit_confirmation(editor):
    speaker = PersonFactory(protection_level="pseudonymised", protection_reason="Son serves")
    testimony = TestimonyFactory(
        speaker=speaker,
        status="proposed",
        visibility=Visibility.PSEUDONYMISED,
        protection_reason="Son serves",
    )
    with pytest.raises(ValidationError, match="confirm explicitly"):
        services.testimony_confirm(testimony=testimony, by=editor)
    services.testimony_confirm(testimony=testimony, by=editor, protection_confirmed=True)
    assert testimony.status == "confirmed"


def test_reordering_a_collection_keeps_positions_unique_and_complete():
    collection = CollectionFactory()
    items = [CollectionItemFactory(collection=collection, position=i) for i in (1, 2, 3)]
    services.collection_reorder(
        collection=collection, item_ids=[items[2].pk, items[0].pk, items[1].pk]
    )
    assert list(collection.items.values_list("pk", flat=True)) == [
        items[2].pk,
        items[0].pk,
        items[1].pk,
    ]
    assert list(collection.items.values_list("position", flat=True)) == [1, 2, 3]
    with pytest.raises(ValidationError):
        services.collection_reorder(collection=collection, item_ids=[items[0].pk])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    prefix=st.text(max_size=40),
    inserted=st.text(max_size=20),
    suffix=st.text(max_size=40),
)
def test_any_edit_either_keeps_every_anchor_exact_or_is_refused(prefix, inserted, suffix):
    article = ArticleFactory(body=BODY)
    testimony = TestimonyFactory(article=article, speaker=PersonFactory())
    start = BODY.index("no one")
    annotation = Annotation.objects.create(
        article=article, start=start, end=start + 6, exact="no one", motivation="commenting"
    )
    cut = len(BODY) // 2
    new_body = prefix + BODY[:cut] + inserted + BODY[cut:] + suffix
    try:
        services.article_update(article=article, body=new_body)
    except ValidationError:
        article.refresh_from_db()
        assert article.body == BODY
    testimony.refresh_from_db()
    annotation.refresh_from_db()
    article.refresh_from_db()
    assert article.body[testimony.start : testimony.end] == testimony.quote
    assert article.body[annotation.start : annotation.end] == annotation.exact


def test_text_with_a_nul_character_is_refused_on_every_database():
    with pytest.raises(ValidationError, match="NUL"):
        make_article(body="Before\x00after")
    article = make_article()
    with pytest.raises(ValidationError, match="NUL"):
        services.article_update(article=article, body=article.body + "\x00")
    with pytest.raises(ValidationError, match="NUL"):
        services.article_update(article=article, headline="Bad\x00headline")
