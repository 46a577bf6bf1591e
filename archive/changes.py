"""A change counter the database keeps itself, for the API's validators (ETag, Last-Modified).

History rows and signals only see writes made through model instances; a queryset `.update()`,
raw SQL or another program's write leaves neither. Triggers on every table whose rows reach
public output bump one row (`archive_change`: a counter and the moment) in the same
transaction as the write, so no write path can change what a client reads without changing
its validators, and a reader never sees the new counter before the new data (or the reverse).

PostgreSQL fires one trigger per statement (a bulk update of a million rows bumps once);
SQLite has only row triggers. Writers serialise on the one row, which an editorial archive's
write rate allows.

A new table that reaches public output (mentions, versions…) is added to `TRACKED_TABLES` and
given its triggers by a migration calling `install(…, tables=("archive_mention",))`;
tests/test_cache_validators.py fails until every archive table is tracked or exempt.
"""

from __future__ import annotations

from collections.abc import Iterable

CHANGE_TABLE = "archive_change"

# Every table whose rows some public (or editorial) response reads.
TRACKED_TABLES = (
    "archive_source",
    "archive_place",
    "archive_placename",
    "archive_placefact",
    "archive_tag",
    "archive_person",
    "archive_personname",
    "archive_article",
    "archive_article_places",
    "archive_article_tags",
    "archive_credit",
    "archive_testimony",
    "archive_testimony_tags",
    "archive_annotation",
    "archive_collection",
    "archive_collectionitem",
    "archive_mention",
)

# Archive tables no response reads directly: audit trails, the change row itself, and the
# consent records (their effect on output goes through the person and testimony rows).
EXEMPT_PREFIXES = (
    "archive_historical",
    CHANGE_TABLE,
    "archive_consentrecord",
    # Background jobs: operators' records, never in public output.
    "archive_job",
    # A take-down's effect on output (a 410) goes through the article row it changes; the
    # override row exists only inside a purge's transaction.
    "archive_tombstone",
    "archive_evidence_override",
    # Bootstrap's ledger of seed rows loaded, and the anchor guard's re-anchoring window (SQLite):
    # bookkeeping, never read by a response.
    "archive_seedrow",
    "archive_anchor_reanchoring",
    # Search indexes, derived from the tracked tables (and written by their triggers).
    "archive_article_fts",
    "archive_article_public_fts",
    "archive_article_public_search",
    "archive_testimony_fts",
)


def _sqlite_now() -> str:
    return "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _create_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"CREATE TABLE {CHANGE_TABLE} (id integer PRIMARY KEY CHECK (id = 1), "
            "counter bigint NOT NULL, changed_at timestamp with time zone NOT NULL)",
            f"INSERT INTO {CHANGE_TABLE} (id, counter, changed_at) VALUES (1, 0, now())",
            # clock_timestamp(), not now(): the moment of the write, not of the transaction's
            # start, so that a long transaction does not date its change in the past.
            "CREATE FUNCTION archive_change_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN UPDATE {CHANGE_TABLE} SET counter = counter + 1, "
            "changed_at = clock_timestamp() WHERE id = 1; RETURN NULL; END $$",
        ]
    return [
        f"CREATE TABLE {CHANGE_TABLE} (id integer PRIMARY KEY CHECK (id = 1), "
        "counter integer NOT NULL, changed_at text NOT NULL)",
        f"INSERT INTO {CHANGE_TABLE} (id, counter, changed_at) VALUES (1, 0, {_sqlite_now()})",
    ]


def _drop_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TABLE {CHANGE_TABLE}", "DROP FUNCTION archive_change_bump()"]
    return [f"DROP TABLE {CHANGE_TABLE}"]


def _trigger_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"CREATE TRIGGER {table}_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION archive_change_bump()'
        ]
    bump = (
        f"UPDATE {CHANGE_TABLE} SET counter = counter + 1, changed_at = {_sqlite_now()} "
        "WHERE id = 1;"
    )
    return [
        f'CREATE TRIGGER {table}_change_{event.lower()} AFTER {event} ON "{table}" BEGIN {bump} END'
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def _drop_trigger_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS {table}_change ON "{table}"']
    return [
        f"DROP TRIGGER IF EXISTS {table}_change_{event}" for event in ("insert", "update", "delete")
    ]


def _execute(schema_editor, statements: Iterable[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_counter(schema_editor) -> None:
    _execute(schema_editor, _create_sql(schema_editor.connection.vendor))


def drop_counter(schema_editor) -> None:
    _execute(schema_editor, _drop_sql(schema_editor.connection.vendor))


def install(schema_editor, *, tables: Iterable[str]) -> None:
    """Triggers bumping the change row on every write to these tables."""
    vendor = schema_editor.connection.vendor
    for table in tables:
        _execute(schema_editor, _trigger_sql(vendor, table))


def uninstall(schema_editor, *, tables: Iterable[str]) -> None:
    vendor = schema_editor.connection.vendor
    for table in tables:
        _execute(schema_editor, _drop_trigger_sql(vendor, table))


def current(cursor) -> tuple[int, object] | None:
    """(counter, moment of the last change) as the database holds them, or None."""
    cursor.execute(f"SELECT counter, changed_at FROM {CHANGE_TABLE} WHERE id = 1")
    return cursor.fetchone()
