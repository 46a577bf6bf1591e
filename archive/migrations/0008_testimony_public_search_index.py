"""A GIN index on the part of a testimony's search document the public may match (quote and
place, without the context): see archive/search/schema.py, PUBLIC_WEIGHTS.

A public query used to limit its words to those weights, which the search_document index cannot
tell apart, so PostgreSQL read every testimony whose context had the word and threw it away:
seconds for a word common in contexts at 100k articles. No-op on SQLite, whose FTS5 index
filters columns itself.
"""

from django.db import migrations

from archive.search import schema


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(schema.PG_PUBLIC_INDEX_CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(schema.PG_PUBLIC_INDEX_DROP)


class Migration(migrations.Migration):
    dependencies = [("archive", "0007_history_of_tags_and_places")]

    operations = [migrations.RunPython(create, drop)]
