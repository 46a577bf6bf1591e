"""The thesaurus keeps two levels whatever is moved: the database refuses a tag whose parent
has a parent, and a theme with narrower terms put under another theme."""

from django.db import migrations

MESSAGE = "the vocabulary has two levels: a theme with narrower terms cannot move under a theme"

SQLITE_CREATE = [
    f"""CREATE TRIGGER archive_tag_two_levels_{event.split()[0].lower()}
BEFORE {event} ON archive_tag
FOR EACH ROW WHEN NEW.parent_id IS NOT NULL AND (
    EXISTS (SELECT 1 FROM archive_tag WHERE parent_id = NEW.id)
    OR (SELECT parent_id FROM archive_tag WHERE id = NEW.parent_id) IS NOT NULL
)
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;"""
    for event in ("INSERT", "UPDATE OF parent_id")
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS archive_tag_two_levels_insert;",
    "DROP TRIGGER IF EXISTS archive_tag_two_levels_update;",
]

POSTGRES_CREATE = [
    f"""
CREATE FUNCTION archive_tag_two_levels() RETURNS trigger AS $$
BEGIN
    IF NEW.parent_id IS NOT NULL AND (
        EXISTS (SELECT 1 FROM archive_tag WHERE parent_id = NEW.id)
        OR (SELECT parent_id FROM archive_tag WHERE id = NEW.parent_id) IS NOT NULL
    ) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER archive_tag_two_levels BEFORE INSERT OR UPDATE OF parent_id ON archive_tag
FOR EACH ROW EXECUTE FUNCTION archive_tag_two_levels();
""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS archive_tag_two_levels ON archive_tag;",
    "DROP FUNCTION IF EXISTS archive_tag_two_levels();",
]

SQL = {"sqlite": (SQLITE_CREATE, SQLITE_DROP), "postgresql": (POSTGRES_CREATE, POSTGRES_DROP)}


def create_trigger(apps, schema_editor):
    for statement in SQL.get(schema_editor.connection.vendor, ((), ()))[0]:
        schema_editor.execute(statement, params=None)


def drop_trigger(apps, schema_editor):
    for statement in SQL.get(schema_editor.connection.vendor, ((), ()))[1]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("archive", "0013_anchor_guard")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
