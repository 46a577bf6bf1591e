"""A `version` on articles, testimonies, people, annotations and collections (and their history).

Optimistic concurrency: the services refuse a save based on an older version. Existing rows
start at 1.

On SQLite, Django adds a NOT NULL column by rebuilding the table, which would drop the triggers
on it (the raw capture's immutability, migration 0002; the search index, 0003) and copy every
row; SQLite's own ALTER TABLE ADD COLUMN with a default does neither. PostgreSQL adds the column
through the schema editor (a catalogue change, no rewrite).
"""

from django.db import migrations, models

MODELS = (
    "annotation",
    "article",
    "collection",
    "person",
    "testimony",
    "historicalannotation",
    "historicalarticle",
    "historicalcollection",
    "historicalperson",
    "historicaltestimony",
)


def _field():
    return models.PositiveIntegerField(default=1, editable=False)


def add_columns(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("archive", name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(
                f'ALTER TABLE {table} ADD COLUMN "version" integer unsigned NOT NULL '
                'DEFAULT 1 CHECK ("version" >= 0)'
            )
        else:
            schema_editor.add_field(model, model._meta.get_field("version"))


def drop_columns(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("archive", name)
        if schema_editor.connection.vendor == "sqlite":
            table = schema_editor.quote_name(model._meta.db_table)
            schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN "version"')
        else:
            schema_editor.remove_field(model, model._meta.get_field("version"))


class Migration(migrations.Migration):
    dependencies = [("archive", "0011_testimony_withheld_speaker_index")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name=name, name="version", field=_field())
                for name in MODELS
            ],
        ),
        # Runs after the state change, so the models it reads carry the new field.
        migrations.RunPython(add_columns, drop_columns),
    ]
