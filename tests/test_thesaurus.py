"""The thesaurus keeps two levels whatever is moved: in the admin form and in the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from archive.models import Tag
from tests.factories import TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def themes():
    displacement, shelling = TagFactory(name="Displacement"), TagFactory(name="Shelling")
    evacuation = TagFactory(name="Evacuation", parent=displacement)
    return displacement, shelling, evacuation


def _slugs(tree):
    """Every slug in the API's tag tree, at any depth."""
    for node in tree:
        yield node["slug"]
        for value in node.values():
            if isinstance(value, list) and value and isinstance(value[0], dict):
                yield from _slugs(value)


def _post(client, tag: Tag, parent: Tag | None):
    return client.post(
        reverse("admin:archive_tag_change", args=(tag.pk,)),
        {
            "name": tag.name,
            "slug": tag.slug,
            "description": tag.description,
            "parent": parent.pk if parent else "",
        },
    )


def test_moving_a_theme_with_narrower_terms_under_another_theme_is_refused_in_the_admin(
    admin_client, themes
):
    displacement, shelling, evacuation = themes
    response = _post(admin_client, displacement, shelling)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["parent"]
    assert "narrower terms (Evacuation)" in errors[0]
    displacement.refresh_from_db()
    assert displacement.parent is None
    # Both levels are still listed by the API.
    listed = set(_slugs(admin_client.get("/api/v1/tags/").json()))
    assert {displacement.slug, shelling.slug, evacuation.slug} <= listed


def test_moving_a_narrower_term_or_an_empty_theme_is_accepted(admin_client, themes):
    displacement, shelling, evacuation = themes
    assert _post(admin_client, evacuation, shelling).status_code == 302
    assert Tag.objects.get(pk=evacuation.pk).parent == shelling
    assert _post(admin_client, displacement, shelling).status_code == 302  # no terms left
    assert Tag.objects.get(pk=displacement.pk).parent == shelling


def test_the_database_refuses_a_third_level_whichever_row_moves(themes):
    displacement, shelling, evacuation = themes
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.filter(pk=displacement.pk).update(parent=shelling)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.filter(pk=shelling.pk).update(parent=evacuation)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(name="Buses", slug="buses", description="x", parent=evacuation)
    assert Tag.objects.get(pk=displacement.pk).parent is None
    Tag.objects.filter(pk=evacuation.pk).update(parent=shelling)
    assert Tag.objects.get(pk=evacuation.pk).parent == shelling
