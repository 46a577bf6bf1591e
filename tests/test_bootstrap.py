"""`bootstrap` makes a ready archive and is safe to run on every deploy."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

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
