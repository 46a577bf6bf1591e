"""`bootstrap` makes a ready archive and is safe to run on every deploy."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test.utils import override_settings

from archive import services
from archive.history import SEED_REASON
from archive.models import (
    Annotation,
    Article,
    Person,
    ProtectionLevel,
    SeedRow,
    Tag,
    Testimony,
    Visibility,
)

pytestmark = pytest.mark.django_db


def bootstrap() -> str:
    out = StringIO()
    call_command("bootstrap", stdout=out, verbosity=0)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("archive").get_models()
    }


def test_bootstrap_twice_leaves_the_same_rows(settings):
    settings.DEBUG = False
    bootstrap()
    first = row_counts()
    assert first["archive.Article"] == 5
    bootstrap()
    assert row_counts() == first


def test_bootstrap_creates_the_editorial_groups(settings):
    settings.DEBUG = False
    bootstrap()
    editor = set(Group.objects.get(name="editor").permissions.values_list("codename", flat=True))
    contributor = set(
        Group.objects.get(name="contributor").permissions.values_list("codename", flat=True)
    )
    assert {"publish_article", "publish_collection", "confirm_testimony"} <= editor
    assert "submit_article" in contributor
    assert not {"publish_article", "delete_article", "publish_collection"} & contributor


def test_a_local_editor_account_is_created_only_with_debug_on(settings):
    settings.DEBUG = False
    assert "password" not in bootstrap()
    assert not get_user_model().objects.exists()

    settings.DEBUG = True
    output = bootstrap()
    password = output.split("password: ")[1].split()[0]
    user = get_user_model().objects.get(username="editor")
    assert user.check_password(password)
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name="editor").exists()
    # Printed once: a second run does not show or reset it.
    again = bootstrap()
    assert "password:" not in again
    user.refresh_from_db()
    assert user.check_password(password)


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the archive: models, their links and their history."""
    return {
        model._meta.db_table: list(model._base_manager.order_by("pk").values())
        for model in apps.get_app_config("archive").get_models(include_auto_created=True)
    }


def edit_like_editors(editor) -> None:
    """Edits of every kind an editor makes between two deploys."""
    article = Article.objects.get(slug="lysychansk-residents-who-stay-2022")
    # The body changes before the spans in it: every testimony and annotation moves.
    services.article_update(
        article=article,
        by=editor,
        headline="An edited headline",
        standfirst="An edited standfirst.",
        body="Editor's note: a paragraph added above.\n\n" + article.body,
    )
    services.article_add_tags(article=article, tags=[Tag.objects.get(slug="shelling")], by=editor)
    services.testimony_create(
        article=article,
        start=0,
        end=len("Editor's note"),
        speaker_description="the editor",
        by=editor,
    )
    services.annotation_create(
        article=article, start=0, end=6, motivation="commenting", body="Added.", by=editor
    )
    draft = Article.objects.exclude(status="published").first() or Article.objects.last()
    services.article_publish(article=draft, by=editor)
    published = Article.objects.filter(status="published").exclude(pk=draft.pk).first()
    services.article_withdraw(article=published, by=editor)

    testimony = Testimony.objects.filter(visibility=Visibility.PUBLIC).last()
    services.testimony_update(
        testimony=testimony,
        visibility=Visibility.RESTRICTED,
        protection_reason="The speaker asked us to.",
        by=editor,
    )
    person = Person.objects.filter(protection_level=ProtectionLevel.PUBLIC).first()
    person.protection_level = ProtectionLevel.PSEUDONYMISED
    person.protection_reason = "Relatives in an occupied town."
    person.save()
    # Renamed and deleted seed rows stay renamed and deleted.
    renamed = Person.objects.exclude(pk=person.pk).first()
    renamed.slug = "renamed-by-an-editor"
    renamed.save()
    services.annotation_delete(annotation=Annotation.objects.filter(is_public=False).first())
    Tag.objects.filter(slug="shelling").update(description="Edited description.")


def test_bootstrap_after_edits_of_every_kind_leaves_every_row_anchor_and_record_identical(
    settings, editor
):
    settings.DEBUG = False
    bootstrap()
    edit_like_editors(editor)
    before = snapshot()
    bootstrap()
    after = snapshot()
    assert after == before
    # The anchors agree with the text they point into.
    for testimony in Testimony.objects.select_related("article"):
        assert testimony.article.body[testimony.start : testimony.end] == testimony.quote
    for annotation in Annotation.objects.select_related("article"):
        assert annotation.article.body[annotation.start : annotation.end] == annotation.exact


def test_every_seed_row_starts_with_one_history_record_loaded_from_the_seed(settings):
    settings.DEBUG = False
    bootstrap()
    for model in (Article, Person, Testimony, Annotation):
        records = model.history.model.objects.all()
        assert records.count() == model.objects.count() > 0
        assert set(records.values_list("history_type", "history_change_reason")) == {
            ("+", SEED_REASON)
        }
    # The first record holds the links: the seed state can be compared and reverted to.
    article = Article.objects.filter(tags__isnull=False).first()
    first = article.history.get()
    assert {row.tag_id for row in first.tags.all()} == set(
        article.tags.values_list("pk", flat=True)
    )


def test_an_archive_seeded_before_the_ledger_is_adopted_without_a_change(settings):
    settings.DEBUG = False
    with override_settings(SIMPLE_HISTORY_ENABLED=False):  # how bootstrap used to load it
        call_command("loaddata", "archive", verbosity=0)
    Article.objects.filter(slug="lysychansk-residents-who-stay-2022").update(headline="Edited")
    rows = {k: v for k, v in snapshot().items() if not k.startswith("archive_historical")}
    output = bootstrap()
    assert "0 rows loaded" in output
    after = {k: v for k, v in snapshot().items() if not k.startswith("archive_historical")}
    del rows["archive_seedrow"], after["archive_seedrow"]
    # Mentions are found, not loaded: the first bootstrap since they exist proposes them.
    assert rows.pop("archive_mention") == []
    assert after.pop("archive_mention")
    assert after == rows
    assert SeedRow.objects.count() > 0
    # Rows that had no history now start with one record of how they are.
    record = Article.history.get(slug="lysychansk-residents-who-stay-2022")
    assert (record.headline, record.history_change_reason) == ("Edited", SEED_REASON)
