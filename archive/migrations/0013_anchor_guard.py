"""The database refuses anchors (testimony quotes, annotation texts) that do not match the
article body, and body updates that would leave one unmatched (see archive/anchor_guard.py)."""

from django.db import migrations

from archive import anchor_guard

# The anchored tables as of this migration; a later anchored model re-installs with its own.
ANCHORED = (("archive_testimony", "quote"), ("archive_annotation", "exact"))


def install(apps, schema_editor):
    anchor_guard.install(schema_editor, ANCHORED)


def uninstall(apps, schema_editor):
    anchor_guard.uninstall(schema_editor, ANCHORED)


class Migration(migrations.Migration):
    dependencies = [("archive", "0012_seed_rows")]

    operations = [migrations.RunPython(install, uninstall)]
