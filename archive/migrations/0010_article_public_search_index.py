"""The public's copy of the articles that have a restricted passage, for search: see
archive/search/schema.py, PG_PUBLIC_ARTICLE_CREATE.

A public query whose words occurred only inside a restricted testimony's passage still matched
the published article (its snippet was masked; the hit itself told what the passage says).
Built here for the existing rows; kept by triggers from then on.
"""

from django.db import migrations

from archive.search import schema


def create(apps, schema_editor):
    schema.create_public_article_index(schema_editor.connection)


def drop(apps, schema_editor):
    schema.drop_public_article_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("archive", "0009_testimony_place_and_tag_indexes")]

    operations = [migrations.RunPython(create, drop)]
