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


# --- one record per editor action, nothing shown as "None", no 500 on a bad URL ---------------


def test_recording_a_testimony_from_the_annotator_writes_one_record(client, editor):
    from django.urls import reverse

    from archive.models import Testimony

    client.force_login(editor)
    article = ArticleFactory(status="draft", published_at=None)
    quote = "We will stay,"
    start = article.body.index(quote)
    tag = TagFactory()
    response = client.post(
        reverse("admin:archive_article_record_testimony", args=(article.pk,)),
        {
            "start": start,
            "end": start + len(quote),
            "quote": quote,
            "speaker_description": "a resident",
            "visibility": "public",
            "language": "en",
            "tags": [tag.pk],
        },
    )
    assert response.status_code == 302
    testimony = Testimony.objects.get()
    assert testimony.status == "confirmed"
    (record,) = testimony.history.all()
    assert (record.history_type, record.status, record.history_user) == ("+", "confirmed", editor)
    assert [row.tag_id for row in record.tags.all()] == [tag.pk]


def test_saving_an_article_with_new_tags_in_the_admin_writes_one_record(client, editor):
    from django.urls import reverse

    from tests.test_admin import _change_data, _errors

    client.force_login(editor)
    article = ArticleFactory(status="draft", published_at=None)
    count = article.history.count()
    tag = TagFactory()
    data = {**_change_data(article, headline="A new headline"), "tags": [tag.pk]}
    response = client.post(reverse("admin:archive_article_change", args=(article.pk,)), data)
    assert response.status_code == 302, _errors(response)
    assert article.history.count() == count + 1
    latest = article.history.first()
    assert latest.headline == "A new headline"
    assert [row.tag_id for row in latest.tags.all()] == [tag.pk]


def test_the_history_page_never_shows_none(client, editor):
    from django.urls import reverse

    client.force_login(editor)
    article = ArticleFactory()  # saved from code: no user, no change reason
    assert article.history.get().history_change_reason is None
    page = client.get(reverse("admin:archive_article_history", args=(article.pk,)))
    assert page.status_code == 200
    table = page.content.decode().split('id="change-history"')[1].split("</table>")[0]
    assert "None" not in table
    assert "the system" in table


@pytest.mark.parametrize(
    "path",
    [
        "/admin/archive/article/{pk}/change/history/",
        "/admin/archive/article/{pk}/history/not-a-version/",
        "/admin/archive/testimony/{pk}/change/history/",
        "/admin/archive/person/x/history/",
    ],
)
def test_a_mistyped_history_url_is_a_404(admin_client, path):
    testimony = TestimonyFactory()
    response = admin_client.get(path.format(pk=testimony.article.pk))
    assert response.status_code == 404
