"""Evidence that cannot vanish, and optimistic concurrency (issue 14).

1. A `version` on articles, testimonies, people, annotations and collections (and their
   history): the services refuse a save based on an older version. Existing rows start at 1.
   On SQLite, Django adds a NOT NULL column by rebuilding the table, which would drop the
   triggers on it (the raw capture's immutability, 0002; the search index, 0003) and copy every
   row; SQLite's own ALTER TABLE ADD COLUMN with a default does neither. PostgreSQL adds the
   column through the schema editor (a catalogue change, no rewrite).
2. Tombstones: what stays of an article taken down (status `taken_down`).
3. The database refuses to DELETE an article (every article holds a raw capture), and the raw
   capture's immutability (0002) now lets one thing through: a court-ordered purge that blanks
   the text and keeps the SHA-256. Both give way only while the writing transaction holds a row
   in `archive_evidence_override` (archive/evidence.py inserts it and removes it before commit,
   so no other transaction ever sees it). The table is not a model: `flush` leaves it alone.
"""


import django.db.models.deletion
import simple_history.models
from django.conf import settings
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


SQLITE_FORWARD = (
    "CREATE TABLE archive_evidence_override (id integer PRIMARY KEY, reason text NOT NULL)",
    "DROP TRIGGER IF EXISTS archive_article_raw_capture_immutable",
    """
CREATE TRIGGER archive_article_raw_capture_immutable
BEFORE UPDATE OF raw_text, raw_sha256 ON archive_article
FOR EACH ROW
WHEN (OLD.raw_text IS NOT NEW.raw_text OR OLD.raw_sha256 IS NOT NEW.raw_sha256)
    AND NOT (NEW.raw_text = '' AND NEW.raw_sha256 = OLD.raw_sha256
             AND EXISTS (SELECT 1 FROM archive_evidence_override))
BEGIN
    SELECT RAISE(ABORT, 'the raw capture of an article cannot be changed');
END
""",
    """
CREATE TRIGGER archive_article_evidence_kept
BEFORE DELETE ON archive_article
FOR EACH ROW
WHEN NOT EXISTS (SELECT 1 FROM archive_evidence_override)
BEGIN
    SELECT RAISE(ABORT, 'an article holds a raw capture and cannot be deleted; take it down');
END
""",
)
SQLITE_BACKWARD = (
    "DROP TRIGGER IF EXISTS archive_article_evidence_kept",
    "DROP TRIGGER IF EXISTS archive_article_raw_capture_immutable",
    """
CREATE TRIGGER archive_article_raw_capture_immutable
BEFORE UPDATE OF raw_text, raw_sha256 ON archive_article
FOR EACH ROW
WHEN OLD.raw_text IS NOT NEW.raw_text OR OLD.raw_sha256 IS NOT NEW.raw_sha256
BEGIN
    SELECT RAISE(ABORT, 'the raw capture of an article cannot be changed');
END
""",
    "DROP TABLE archive_evidence_override",
)
POSTGRES_FORWARD = (
    "CREATE TABLE archive_evidence_override (id serial PRIMARY KEY, reason text NOT NULL)",
    """
CREATE OR REPLACE FUNCTION archive_article_raw_capture_immutable() RETURNS trigger AS $$
BEGIN
    IF (NEW.raw_text IS DISTINCT FROM OLD.raw_text
        OR NEW.raw_sha256 IS DISTINCT FROM OLD.raw_sha256)
       AND NOT (NEW.raw_text = '' AND NEW.raw_sha256 = OLD.raw_sha256
                AND EXISTS (SELECT 1 FROM archive_evidence_override)) THEN
        RAISE EXCEPTION 'the raw capture of an article cannot be changed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE FUNCTION archive_article_evidence_kept() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM archive_evidence_override) THEN
        RAISE EXCEPTION 'an article holds a raw capture and cannot be deleted; take it down'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER archive_article_evidence_kept
BEFORE DELETE ON archive_article
FOR EACH ROW EXECUTE FUNCTION archive_article_evidence_kept()
""",
)
POSTGRES_BACKWARD = (
    "DROP TRIGGER IF EXISTS archive_article_evidence_kept ON archive_article",
    "DROP FUNCTION IF EXISTS archive_article_evidence_kept()",
    """
CREATE OR REPLACE FUNCTION archive_article_raw_capture_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.raw_text IS DISTINCT FROM OLD.raw_text
       OR NEW.raw_sha256 IS DISTINCT FROM OLD.raw_sha256 THEN
        RAISE EXCEPTION 'the raw capture of an article cannot be changed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
""",
    "DROP TABLE archive_evidence_override",
)
SQL = {
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
    "postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
}


def guard_evidence(apps, schema_editor):
    for statement in SQL.get(schema_editor.connection.vendor, ((), ()))[0]:
        schema_editor.execute(statement)


def unguard_evidence(apps, schema_editor):
    for statement in SQL.get(schema_editor.connection.vendor, ((), ()))[1]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0014_tag_two_levels"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name=name, name="version", field=_field())
                for name in MODELS
            ],
        ),
        # Runs after the state change, so the models it reads carry the new field.
        migrations.RunPython(add_columns, drop_columns),
        migrations.AlterField(
            model_name='article',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn'), ('taken_down', 'Taken down')], default='draft', max_length=20),
        ),
        migrations.AlterField(
            model_name='collection',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn'), ('taken_down', 'Taken down')], default='draft', max_length=20),
        ),
        migrations.AlterField(
            model_name='historicalarticle',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn'), ('taken_down', 'Taken down')], default='draft', max_length=20),
        ),
        migrations.AlterField(
            model_name='historicalcollection',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published'), ('withdrawn', 'Withdrawn'), ('taken_down', 'Taken down')], default='draft', max_length=20),
        ),
        migrations.CreateModel(
            name='HistoricalTombstone',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('raw_sha256', models.CharField(db_index=True, max_length=64)),
                ('captured_at', models.DateTimeField()),
                ('source_name', models.CharField(blank=True, max_length=200)),
                ('slug', models.SlugField(max_length=200)),
                ('taken_down_at', models.DateTimeField()),
                ('taken_down_by_name', models.CharField(blank=True, max_length=200)),
                ('reason', models.TextField(help_text='Why it was taken down; the API gives it with the 410.')),
                ('purged_at', models.DateTimeField(blank=True, null=True)),
                ('purged_by_name', models.CharField(blank=True, max_length=200)),
                ('purge_reason', models.TextField(blank=True, help_text='The court order, by reference.')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('article', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='archive.article')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('purged_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('source', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='archive.source')),
                ('taken_down_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical tombstone',
                'verbose_name_plural': 'historical tombstones',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Tombstone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('raw_sha256', models.CharField(max_length=64, unique=True)),
                ('captured_at', models.DateTimeField()),
                ('source_name', models.CharField(blank=True, max_length=200)),
                ('slug', models.SlugField(max_length=200)),
                ('taken_down_at', models.DateTimeField()),
                ('taken_down_by_name', models.CharField(blank=True, max_length=200)),
                ('reason', models.TextField(help_text='Why it was taken down; the API gives it with the 410.')),
                ('purged_at', models.DateTimeField(blank=True, null=True)),
                ('purged_by_name', models.CharField(blank=True, max_length=200)),
                ('purge_reason', models.TextField(blank=True, help_text='The court order, by reference.')),
                ('article', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='tombstone', to='archive.article')),
                ('purged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('source', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='archive.source')),
                ('taken_down_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ('-taken_down_at',),
                'constraints': [models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='tombstone_has_reason'), models.CheckConstraint(condition=models.Q(('purged_at__isnull', True), models.Q(('purge_reason', ''), _negated=True), _connector='OR'), name='tombstone_purge_has_reason')],
            },
        ),
        migrations.RunPython(guard_evidence, unguard_evidence),
    ]
