"""Mentions are anchored spans like testimonies: the database refuses one that does not match
the article body, and a body update that would leave one unmatched (archive/anchor_guard.py)."""

from django.db import migrations

from archive import anchor_guard

# The anchored tables as of this migration (0013_anchor_guard guarded the first two).
BEFORE = (("archive_testimony", "quote"), ("archive_annotation", "exact"))
ANCHORED = (*BEFORE, ("archive_mention", "exact"))


def install(apps, schema_editor):
    anchor_guard.install(schema_editor, ANCHORED)


def uninstall(apps, schema_editor):
    # Back to the guard of 0013: drop the mention's triggers, re-create the others.
    anchor_guard.uninstall(schema_editor, ANCHORED)
    anchor_guard.install(schema_editor, BEFORE)


class Migration(migrations.Migration):
    dependencies = [("archive", "0018_jobs")]

    operations = [migrations.RunPython(install, uninstall)]
