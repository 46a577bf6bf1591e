"""Issue 15 item 3, in the admin: staff without the need-to-know (contributors, plain staff)
read protected people as the public does, on every page; editors read them in full.

The article bodies here never hold the names, so any name on a page comes from a field that
should have been masked.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from archive.models import ProtectionLevel, Status, TestimonyStatus, Visibility
from tests import factories

pytestmark = pytest.mark.django_db

SECRETS = (
    "Hiddenadminxq",
    "Secretperson",
    "Hiddenadmynxq",
    "hiddenadmin-xq",
    "secret-role-xq",
    "admin-secret-context-xq",
    "Pseudoadminxq",
    "admin-secret-description-xq",
)


@pytest.fixture
def people():
    protected = factories.PersonFactory(
        name="Hiddenadminxq Secretperson",
        slug="hiddenadmin-xq",
        role="secret-role-xq",
        protection_level=ProtectionLevel.PSEUDONYMISED,
        protection_reason="At risk.",
    )
    factories.PersonNameFactory(person=protected, name="Hiddenadmynxq Secretperson")
    pseudonymous = factories.PersonFactory(name="Pseudoadminxq", slug="pseudo-admin")
    named = factories.PersonFactory(name="Openly Namedxq", slug="openly-named")
    body = "Report. “The roof went first,” she said. “We stayed,” he said. “Bread,” he said."
    article = factories.ArticleFactory(slug="admin-ntk", body=body, status=Status.DRAFT)
    protected_testimony = factories.TestimonyFactory(
        article=article,
        speaker=protected,
        speaker_age=93,
        context="admin-secret-context-xq",
        status=TestimonyStatus.PROPOSED,
    )
    start = body.index("We stayed")
    pseudonymised = factories.TestimonyFactory(
        article=article,
        speaker=pseudonymous,
        speaker_description="admin-secret-description-xq",
        visibility=Visibility.PSEUDONYMISED,
        protection_reason="Not to be named.",
        start=start,
        end=start + len("We stayed"),
        quote="We stayed",
    )
    start = body.index("Bread")
    public = factories.TestimonyFactory(
        article=article, speaker=named, start=start, end=start + len("Bread"), quote="Bread"
    )
    return {
        "protected": protected,
        "pseudonymous": pseudonymous,
        "named": named,
        "article": article,
        "protected_testimony": protected_testimony,
        "pseudonymised": pseudonymised,
        "public": public,
    }


def _pages(world) -> dict[str, str]:
    protected, testimony = world["protected"], world["protected_testimony"]
    autocomplete = (
        reverse("admin:autocomplete") + "?app_label=archive&model_name=testimony&field_name=speaker"
    )
    return {
        "person-changelist": reverse("admin:archive_person_changelist"),
        "person-change": reverse("admin:archive_person_change", args=(protected.pk,)),
        "person-search-by-name": reverse("admin:archive_person_changelist") + "?q=Hiddenadminxq",
        "person-search-by-variant": reverse("admin:archive_person_changelist") + "?q=Hiddenadmynxq",
        "personname-changelist": reverse("admin:archive_personname_changelist"),
        "testimony-changelist": reverse("admin:archive_testimony_changelist"),
        "testimony-by-speaker": reverse("admin:archive_testimony_changelist")
        + f"?speaker={protected.pk}",
        "testimony-search-by-description": reverse("admin:archive_testimony_changelist")
        + "?q=admin-secret-description-xq",
        "testimony-change": reverse("admin:archive_testimony_change", args=(testimony.pk,)),
        "pseudonymised-change": reverse(
            "admin:archive_testimony_change", args=(world["pseudonymised"].pk,)
        ),
        "article-change": reverse("admin:archive_article_change", args=(world["article"].pk,)),
        "autocomplete": autocomplete,
        "autocomplete-by-name": autocomplete + "&term=Hiddenadminxq",
        "dashboard": reverse("admin:index"),
    }


PAGES = (
    "person-changelist",
    "person-change",
    "person-search-by-name",
    "person-search-by-variant",
    "personname-changelist",
    "testimony-changelist",
    "testimony-by-speaker",
    "testimony-search-by-description",
    "testimony-change",
    "pseudonymised-change",
    "article-change",
    "autocomplete",
    "autocomplete-by-name",
    "dashboard",
)


@pytest.mark.parametrize("page", PAGES)
def test_each_admin_page_masks_protected_people_for_a_contributor_not_for_an_editor(
    client, contributor, editor, people, page
):
    url = _pages(people)[page]
    client.force_login(contributor)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    text = response.content.decode()
    if "?q=" in url:
        # The search box shows back what was typed: only the results count.
        text = text.replace(url.rsplit("=", 1)[1], "")
    for secret in SECRETS:
        assert secret not in text, (page, secret)

    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    if not page.endswith(("-changelist", "autocomplete", "dashboard")) or page in (
        "person-changelist",
        "testimony-changelist",
        "dashboard",
    ):
        assert any(secret in text for secret in SECRETS), page


def test_a_contributor_cannot_edit_a_protected_persons_name_or_a_withheld_speaker(
    client, contributor, people
):
    client.force_login(contributor)
    protected = people["protected"]
    url = reverse("admin:archive_person_change", args=(protected.pk,))
    client.post(url, {"name": "Renamed", "slug": "renamed", "kind": "civilian"})
    protected.refresh_from_db()
    assert protected.name == "Hiddenadminxq Secretperson"
    page = client.get(reverse("admin:archive_testimony_change", args=(people["pseudonymised"].pk,)))
    text = page.content.decode()
    assert 'name="speaker_description"' not in text and 'name="speaker_age"' not in text
    assert 'name="context"' not in text


def test_a_contributor_still_edits_people_the_public_may_name(client, contributor, people):
    client.force_login(contributor)
    named = people["named"]
    page = client.get(reverse("admin:archive_person_change", args=(named.pk,))).content.decode()
    assert 'name="name"' in page and "Openly Namedxq" in page
    assert (
        "Openly Namedxq"
        in client.get(reverse("admin:archive_person_changelist") + "?q=Openly").content.decode()
    )


@pytest.mark.parametrize("which", ["protected", "pseudonymised"])
def test_history_of_a_protected_identity_is_closed_to_a_contributor_open_to_an_editor(
    client, contributor, editor, people, which
):
    obj = people[which]
    model = obj._meta.model_name
    history = reverse(f"admin:archive_{model}_history", args=(obj.pk,))
    version = reverse(
        f"admin:archive_{model}_simple_history", args=(obj.pk, obj.history.first().history_id)
    )
    client.force_login(contributor)
    assert client.get(history).status_code == 403
    assert client.get(version).status_code == 403
    client.force_login(editor)
    assert client.get(history).status_code == 200
    assert client.get(version).status_code == 200


def test_plain_staff_without_any_group_get_the_masked_view_too(client, people):
    from django.contrib.auth.models import Permission

    user = factories.UserFactory(username="plain-staff", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="archive", codename__in=("view_person", "view_testimony")
        )
    )
    client.force_login(user)
    for page in ("person-changelist", "person-change", "testimony-changelist"):
        text = client.get(_pages(people)[page]).content.decode()
        for secret in SECRETS:
            assert secret not in text, (page, secret)


@pytest.mark.parametrize(
    "model, term, target",
    [
        ("person", "Hiddenadminxq", "protected"),
        ("person", "Hiddenadmynxq", "protected"),
        ("person", "secret-role-xq", "protected"),
        ("testimony", "admin-secret-description-xq", "pseudonymised"),
    ],
)
def test_admin_search_boxes_do_not_find_protected_people_for_a_contributor(
    client, contributor, editor, people, model, term, target
):
    url = reverse(f"admin:archive_{model}_changelist") + f"?q={term}"
    row = reverse(f"admin:archive_{model}_change", args=(people[target].pk,))
    client.force_login(contributor)
    assert row not in client.get(url).content.decode()
    client.force_login(editor)
    assert row in client.get(url).content.decode()


def test_the_speaker_autocomplete_never_offers_a_protected_person_to_a_contributor(
    client, contributor, editor, people
):
    url = (
        reverse("admin:autocomplete") + "?app_label=archive&model_name=testimony&field_name=speaker"
    )
    client.force_login(contributor)
    offered = {int(r["id"]) for r in client.get(url).json()["results"]}
    assert people["named"].pk in offered
    assert people["protected"].pk not in offered and people["pseudonymous"].pk not in offered
    client.force_login(editor)
    offered = {int(r["id"]) for r in client.get(url).json()["results"]}
    assert people["protected"].pk in offered


@pytest.fixture
def naming_article(people):
    """An article whose headline, body, capture and an annotation name the protected person."""
    body = "Hiddenadminxq Secretperson stayed. “The roof went first,” said Hiddenadminxq."
    article = factories.ArticleFactory(
        slug="names-someone",
        headline="Hiddenadminxq stays",
        body=body,
        raw_text=body,
        status=Status.DRAFT,
    )
    factories.TestimonyFactory(article=article, speaker=people["protected"])
    factories.AnnotationFactory(
        article=article, start=0, end=len("Hiddenadminxq"), exact="Hiddenadminxq", body="Who."
    )
    return article


@pytest.mark.parametrize("page", ["changelist", "change"])
def test_article_pages_mask_a_protected_name_for_a_contributor_not_for_an_editor(
    client, contributor, editor, naming_article, page
):
    url = (
        reverse("admin:archive_article_changelist")
        if page == "changelist"
        else reverse("admin:archive_article_change", args=(naming_article.pk,))
    )
    client.force_login(contributor)
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text, (page, secret)
    assert "stays" in text  # the rest of the headline is there
    client.force_login(editor)
    assert "Hiddenadminxq" in client.get(url).content.decode()


def test_a_contributor_cannot_rewrite_a_masked_body_nor_read_its_history(
    client, contributor, editor, naming_article
):
    client.force_login(contributor)
    url = reverse("admin:archive_article_change", args=(naming_article.pk,))
    page = client.get(url).content.decode()
    assert 'name="body"' not in page and 'name="headline"' not in page
    history = reverse("admin:archive_article_history", args=(naming_article.pk,))
    assert client.get(history).status_code == 403
    client.force_login(editor)
    assert client.get(history).status_code == 200
    assert 'name="body"' in client.get(url).content.decode()


@pytest.fixture
def captioned(people):
    collection = factories.CollectionFactory(
        slug="ntk-collection", introduction="Introducing Hiddenadminxq Secretperson."
    )
    item = factories.CollectionItemFactory(
        collection=collection,
        position=1,
        article=None,
        testimony=people["protected_testimony"],
        caption="Hiddenadminxq on the roof",
    )
    return collection, item


@pytest.mark.parametrize("page", ["collection-list", "collection", "item-list", "item"])
def test_collection_pages_mask_protected_names_in_introductions_and_captions(
    client, contributor, editor, captioned, page
):
    collection, item = captioned
    url = {
        "collection-list": reverse("admin:archive_collection_changelist"),
        "collection": reverse("admin:archive_collection_change", args=(collection.pk,)),
        "item-list": reverse("admin:archive_collectionitem_changelist"),
        "item": reverse("admin:archive_collectionitem_change", args=(item.pk,)),
    }[page]
    client.force_login(contributor)
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    for secret in SECRETS:
        assert secret not in text, (page, secret)
    client.force_login(editor)
    if page != "collection-list":
        assert "Hiddenadminxq" in client.get(url).content.decode()


def test_testimony_pages_mask_a_headline_naming_someone_protected(
    client, contributor, editor, naming_article
):
    testimony = naming_article.testimonies.get()
    urls = (
        reverse("admin:archive_testimony_changelist"),
        reverse("admin:archive_testimony_change", args=(testimony.pk,)),
    )
    client.force_login(contributor)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        text = response.content.decode()
        assert "Hiddenadminxq" not in text, url
        assert "stays" in text and "The roof went first" in text, url
    client.force_login(editor)
    for url in urls:
        assert "Hiddenadminxq stays" in client.get(url).content.decode(), url


def test_mentions_of_a_protected_person_stay_out_of_a_contributors_admin(
    client, contributor, editor, people
):
    from archive import services

    article = factories.ArticleFactory(
        slug="admin-ntk-mention", body="Hiddenadminxq Secretperson stayed in the village."
    )
    services.mentions_rescan(article=article)
    mention = article.mentions.get(person=people["protected"], start=0)
    changelist = reverse("admin:archive_mention_changelist")
    change = reverse("admin:archive_mention_change", args=(mention.pk,))
    tool = reverse("admin:archive_article_change", args=(article.pk,))

    client.force_login(contributor)
    for url in (changelist, changelist + "?q=Secretperson"):
        response = client.get(url)
        assert response.status_code == 200
        # The search box shows back what was typed: only the results count.
        text = response.content.decode().replace('value="Secretperson"', "")
        text = text.replace("q=Secretperson", "")
        assert "Secretperson" not in text and "Hiddenadminxq" not in text, url
    # Not a page they may open: the admin answers as for any object they cannot see.
    assert client.get(change).status_code in (302, 404)
    text = client.get(tool).content.decode()
    assert "Hiddenadminxq" not in text and "Secretperson" not in text

    client.force_login(editor)
    assert "Secretperson" in client.get(changelist).content.decode()
    assert client.get(change).status_code == 200
    assert "Mention \\u2014 Hiddenadminxq Secretperson" in client.get(tool).content.decode()
