"""A raw capture is evidence: the database itself refuses an UPDATE that changes it."""

from django.db import migrations

SQLITE_CREATE = """
CREATE TRIGGER archive_article_raw_capture_immutable
BEFORE UPDATE OF raw_text, raw_sha256 ON archive_article
FOR EACH ROW
WHEN OLD.raw_text IS NOT NEW.raw_text OR OLD.raw_sha256 IS NOT NEW.raw_sha256
BEGIN
    SELECT RAISE(ABORT, 'the raw capture of an article cannot be changed');
END;
"""
SQLITE_DROP = "DROP TRIGGER IF EXISTS archive_article_raw_capture_immutable;"

POSTGRES_CREATE = """
CREATE FUNCTION archive_article_raw_capture_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.raw_text IS DISTINCT FROM OLD.raw_text
       OR NEW.raw_sha256 IS DISTINCT FROM OLD.raw_sha256 THEN
        RAISE EXCEPTION 'the raw capture of an article cannot be changed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER archive_article_raw_capture_immutable
BEFORE UPDATE OF raw_text, raw_sha256 ON archive_article
FOR EACH ROW EXECUTE FUNCTION archive_article_raw_capture_immutable();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS archive_article_raw_capture_immutable ON archive_article;
DROP FUNCTION IF EXISTS archive_article_raw_capture_immutable();
"""

SQL = {
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
    "postgresql": (POSTGRES_CREATE, POSTGRES_DROP),
}


def create_trigger(apps, schema_editor):
    statements = SQL.get(schema_editor.connection.vendor)
    if statements:
        schema_editor.execute(statements[0])


def drop_trigger(apps, schema_editor):
    statements = SQL.get(schema_editor.connection.vendor)
    if statements:
        schema_editor.execute(statements[1])


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
