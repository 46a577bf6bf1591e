"""The database itself refuses an anchor that does not match its text.

A testimony's `quote` and an annotation's `exact` must equal their slice of the article body,
body[start:end] in code points (SQLite's and PostgreSQL's substr() count characters, as Python
does). The services check it and move anchors when the body changes; these triggers make the
database refuse the same mistake from anything else — a raw ORM `update()`, a script, a shell.

What is checked, on both databases:
- inserting or updating a span whose text is not its slice of the body;
- updating an article's body so that a span no longer matches it.

The services re-anchor by moving the spans and then saving the new body, inside one
transaction. Between those writes the spans match neither body, so:
- on PostgreSQL the checks are constraint triggers, DEFERRABLE INITIALLY DEFERRED: they run at
  commit (or at `SET CONSTRAINTS ALL IMMEDIATE`) and read the rows as they are then;
- on SQLite, which cannot defer a trigger, `open_reanchoring` writes the article's id into
  `archive_anchor_reanchoring`; span checks of that article are skipped while its row is
  there, and the body update checks every span against the new body and removes the row.

Every anchored model is listed once, in ANCHORED. A new one (a mention, say) is added there and
installed by a migration that calls `install` with the list as of that migration.
"""

from __future__ import annotations

from collections.abc import Sequence

# (table, column holding the anchored text). Each table has article_id, start and "end".
ANCHORED: tuple[tuple[str, str], ...] = (
    ("archive_testimony", "quote"),
    ("archive_annotation", "exact"),
    ("archive_mention", "exact"),
)

REANCHORING_TABLE = "archive_anchor_reanchoring"
MESSAGE = "an anchored passage no longer matches the article body"


def _slice(body: str, span: str) -> str:
    return f'substr({body}, {span}.start + 1, {span}."end" - {span}.start)'


def _mismatch_exists(anchored: Sequence[tuple[str, str]], *, body: str, article_id: str) -> str:
    return " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} s WHERE s.article_id = {article_id} "
        f"AND {_slice(body, 's')} IS DISTINCT FROM s.{column})"
        for table, column in anchored
    )


# --- PostgreSQL --------------------------------------------------------------------------------

PG_SPAN_FUNCTION = f"""
CREATE OR REPLACE FUNCTION archive_anchor_check_span() RETURNS trigger AS $$
DECLARE
    matches boolean;
BEGIN
    -- Deferred: read the span as it is now, not as it was when this event was queued.
    EXECUTE format(
        'SELECT substr(a.body, s.start + 1, s."end" - s.start) = s.%I '
        'FROM %I s JOIN archive_article a ON a.id = s.article_id WHERE s.id = $1',
        TG_ARGV[0], TG_TABLE_NAME
    ) INTO matches USING NEW.id;
    IF matches IS FALSE THEN
        RAISE EXCEPTION '{MESSAGE} (% %)', TG_TABLE_NAME, NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _pg_body_function(anchored: Sequence[tuple[str, str]]) -> str:
    mismatch = _mismatch_exists(anchored, body="current_body", article_id="NEW.id")
    return f"""
CREATE OR REPLACE FUNCTION archive_anchor_check_body() RETURNS trigger AS $$
DECLARE
    current_body text;
BEGIN
    SELECT body INTO current_body FROM archive_article WHERE id = NEW.id;
    IF FOUND AND ({mismatch}) THEN
        RAISE EXCEPTION '{MESSAGE} (article %)', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


def _pg_install(anchored: Sequence[tuple[str, str]]) -> list[str]:
    statements = [PG_SPAN_FUNCTION, _pg_body_function(anchored)]
    statements.append(
        "DROP TRIGGER IF EXISTS archive_anchor_body ON archive_article;"
        "CREATE CONSTRAINT TRIGGER archive_anchor_body AFTER UPDATE OF body ON archive_article "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.body IS DISTINCT FROM NEW.body) "
        "EXECUTE FUNCTION archive_anchor_check_body();"
    )
    for table, column in anchored:
        statements.append(
            f"DROP TRIGGER IF EXISTS archive_anchor_span ON {table};"
            f"CREATE CONSTRAINT TRIGGER archive_anchor_span "
            f'AFTER INSERT OR UPDATE OF article_id, start, "end", {column} ON {table} '
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"EXECUTE FUNCTION archive_anchor_check_span('{column}');"
        )
    return statements


def _pg_uninstall(anchored: Sequence[tuple[str, str]]) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS archive_anchor_body ON archive_article;",
        *(f"DROP TRIGGER IF EXISTS archive_anchor_span ON {table};" for table, _ in anchored),
        "DROP FUNCTION IF EXISTS archive_anchor_check_body();",
        "DROP FUNCTION IF EXISTS archive_anchor_check_span();",
    ]


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_install(anchored: Sequence[tuple[str, str]]) -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {REANCHORING_TABLE} (article_id integer PRIMARY KEY)",
        "DROP TRIGGER IF EXISTS archive_anchor_body",
        f"""CREATE TRIGGER archive_anchor_body AFTER UPDATE OF body ON archive_article
FOR EACH ROW WHEN OLD.body IS NOT NEW.body
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}')
    WHERE {_mismatch_exists(anchored, body="NEW.body", article_id="NEW.id")};
    DELETE FROM {REANCHORING_TABLE} WHERE article_id = NEW.id;
END""",
    ]
    for table, column in anchored:
        check = (
            f"NOT EXISTS (SELECT 1 FROM {REANCHORING_TABLE} r WHERE r.article_id = NEW.article_id)"
            f" AND {_slice('(SELECT body FROM archive_article WHERE id = NEW.article_id)', 'NEW')}"
            f" IS NOT NEW.{column}"
        )
        for event, name in (
            ("INSERT", "insert"),
            (f'UPDATE OF article_id, start, "end", {column}', "update"),
        ):
            trigger = f"archive_anchor_{table}_{name}"
            statements += [
                f"DROP TRIGGER IF EXISTS {trigger}",
                f"""CREATE TRIGGER {trigger} BEFORE {event} ON {table}
FOR EACH ROW WHEN {check}
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END""",
            ]
    return [s.replace("IS DISTINCT FROM", "IS NOT") for s in statements]


def _sqlite_uninstall(anchored: Sequence[tuple[str, str]]) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS archive_anchor_body",
        *(
            f"DROP TRIGGER IF EXISTS archive_anchor_{table}_{name}"
            for table, _ in anchored
            for name in ("insert", "update")
        ),
        f"DROP TABLE IF EXISTS {REANCHORING_TABLE}",
    ]


# --- entry points ------------------------------------------------------------------------------


def install(schema_editor, anchored: Sequence[tuple[str, str]] = ANCHORED) -> None:
    """Create (or re-create, for a longer list) the triggers guarding `anchored`."""
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _pg_install, "sqlite": _sqlite_install}.get(vendor)
    for statement in statements(anchored) if statements else ():
        schema_editor.execute(statement, params=None)


def uninstall(schema_editor, anchored: Sequence[tuple[str, str]] = ANCHORED) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": _pg_uninstall, "sqlite": _sqlite_uninstall}.get(vendor)
    for statement in statements(anchored) if statements else ():
        schema_editor.execute(statement, params=None)


def open_reanchoring(connection, article_id: int) -> None:
    """Let the spans of this article move before its new body is saved (SQLite; see above).

    Call inside the transaction that then updates the body, which closes it again.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT OR IGNORE INTO {REANCHORING_TABLE} (article_id) VALUES (%s)", [article_id]
            )
