"""The admin's search boxes use the search engine: variants, stemming, speaker name variants."""

import pytest
from django.urls import reverse

from archive.models import Article, Testimony

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as_editor(client, editor, seed):
    client.force_login(editor)
    return client


def changelist_ids(client, model: str, q: str) -> list[int]:
    response = client.get(reverse(f"admin:archive_{model}_changelist"), {"q": q})
    assert response.status_code == 200
    return [obj.pk for obj in response.context["cl"].result_list]


def test_article_search_finds_a_place_under_its_french_name(client_as_editor):
    ids = changelist_ids(client_as_editor, "article", "Bakhmout")
    bakhmut = set(Article.objects.filter(places__slug="bakhmut").values_list("pk", flat=True))
    assert bakhmut and set(ids) == bakhmut


def test_article_search_finds_a_place_in_cyrillic(client_as_editor):
    ids = changelist_ids(client_as_editor, "article", "Бахмут")
    assert set(ids) == set(
        Article.objects.filter(places__slug="bakhmut").values_list("pk", flat=True)
    )


def test_testimony_search_finds_a_speaker_by_a_variant_of_his_name(client_as_editor):
    ids = changelist_ids(client_as_editor, "testimony", "Yuri Krasnikov")
    expected = set(
        Testimony.objects.filter(speaker__name="Yuri Krassnikov").values_list("pk", flat=True)
    )
    assert expected and set(ids) == expected


def test_testimony_search_finds_a_quote_by_a_word_in_it(client_as_editor):
    ids = changelist_ids(client_as_editor, "testimony", "fridge")
    assert ids
    assert all("fridge" in Testimony.objects.get(pk=pk).quote.lower() for pk in ids)


def test_editors_find_protected_speakers_the_public_cannot(client_as_editor):
    ids = changelist_ids(client_as_editor, "testimony", "Guseva")
    spoken = set(
        Testimony.objects.filter(speaker__name="Natalia Guseva").values_list("pk", flat=True)
    )
    # Her own testimonies, and any whose context or speaker description names her.
    assert spoken and spoken <= set(ids)
    for testimony in Testimony.objects.filter(pk__in=ids).exclude(pk__in=spoken):
        assert "Guseva" in testimony.context + testimony.speaker_description


def test_punctuation_only_search_is_answered_not_a_server_error(client_as_editor):
    assert changelist_ids(client_as_editor, "article", "&|!():*<->") == []
