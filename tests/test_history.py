"""Every change to an article or a testimony is in its history, tags and places included."""

import pytest

from archive import services
from tests.factories import ArticleFactory, PlaceFactory, TagFactory, TestimonyFactory

pytestmark = pytest.mark.django_db


def test_tagging_an_article_is_recorded_with_what_changed(editor):
    article = ArticleFactory()
    shelling, drones = TagFactory(name="Shelling"), TagFactory(name="Drones")
    services.article_add_tags(article=article, tags=[shelling], by=editor)
    before = article.history.first()
    services.article_add_tags(article=article, tags=[drones], by=editor)
    after = article.history.first()
    assert after.history_id != before.history_id
    delta = after.diff_against(before)
    assert "tags" in delta.changed_fields
    assert {row.tag_id for row in after.tags.all()} == {shelling.pk, drones.pk}
    assert {row.tag_id for row in before.tags.all()} == {shelling.pk}


def test_linking_a_place_to_an_article_is_recorded():
    article = ArticleFactory()
    count = article.history.count()
    article.places.add(PlaceFactory())
    assert article.history.count() == count + 1
    assert article.history.first().places.count() == 1


def test_tagging_a_testimony_is_recorded(editor):
    testimony = TestimonyFactory()
    count = testimony.history.count()
    services.testimony_add_tags(testimony=testimony, tags=[TagFactory()], by=editor)
    assert testimony.history.count() == count + 1
    assert testimony.history.first().tags.count() == 1


def test_reverting_in_the_admin_restores_the_tags_of_that_version(client, editor):
    from django.urls import reverse

    from tests.test_admin import _errors, _form_data

    client.force_login(editor)
    article = ArticleFactory(status="draft", published_at=None)
    services.article_add_tags(article=article, tags=[TagFactory(name="Shelling")], by=editor)
    tagged_once = article.history.first()
    services.article_add_tags(article=article, tags=[TagFactory(name="Drones")], by=editor)
    assert article.tags.count() == 2

    url = reverse("admin:archive_article_simple_history", args=(article.pk, tagged_once.history_id))
    form = client.get(url).context["adminform"].form
    response = client.post(url, _form_data(form))
    assert response.status_code == 302, _errors(response)
    assert list(article.tags.values_list("name", flat=True)) == ["Shelling"]
