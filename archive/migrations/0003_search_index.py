"""Full-text search: PostgreSQL tsvector columns, configurations and GIN/trigram indexes, or
SQLite FTS5 tables, each kept in step by triggers (see archive/search/schema.py)."""

from django.db import migrations

from archive.search import schema


def create_search_index(apps, schema_editor):
    schema.create(schema_editor.connection)


def drop_search_index(apps, schema_editor):
    schema.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("archive", "0002_raw_capture_immutable")]

    # The unaccent and pg_trgm extensions are created by schema.create on PostgreSQL (not by
    # django.contrib.postgres's operations, whose reverse fails on SQLite), and left in place
    # on reverse: other things may use them.
    operations = [migrations.RunPython(create_search_index, drop_search_index)]
