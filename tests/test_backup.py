"""`backup` and `restore` (issue 18, item 6): a consistent copy that restores, row for row."""

import hashlib
import io
import sqlite3
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from archive.ingest.service import dispatch_import
from archive.jobs import job_start
from archive.models import Article

CAPTURES = Path(__file__).resolve().parent / "captures"

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore round trip: run with DATABASE_URL=postgres://… (CI does)",
)
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite backup API round trip runs on SQLite"
)


def _fill_archive(settings):
    """The seed archive, an imported capture with its proposals and history, and a job."""
    settings.JOBS_REDIS_URL = ""
    call_command("loaddata", "archive", verbosity=0)
    dispatch_import(raw=(CAPTURES / "pokrovsk_ap.txt").read_bytes(), filename="p.txt")
    job_start(kind="verify_fixity")


# --- PostgreSQL ---------------------------------------------------------------------------------

PG_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1"
)


def _pg_checksums(cursor) -> dict[str, tuple[int, str]]:
    """Every table's row count and an md5 over its rows in a fixed order."""
    cursor.execute(PG_TABLES)
    sums = {}
    for (table,) in cursor.fetchall():
        cursor.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) "
            f'FROM "{table}" t'
        )
        sums[table] = tuple(cursor.fetchone())
    return sums


def _pg_captures(cursor) -> dict[int, tuple[str, str]]:
    cursor.execute("SELECT id, raw_sha256, raw_text FROM archive_article ORDER BY id")
    return {
        pk: (stored, hashlib.sha256(text.encode("utf-8")).hexdigest())
        for pk, stored, text in cursor.fetchall()
    }


@pytest.fixture
def fresh_pg_database():
    """An empty database named after this test database (so parallel branches do not meet)."""
    params = connection.get_connection_params()
    name = f"{connection.settings_dict['NAME']}_restored"[:63]
    admin = {k: v for k, v in params.items() if k in ("host", "port", "user", "password")}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    host = params.get("host") or "127.0.0.1"
    port = params.get("port") or 5432
    password = f":{params['password']}" if params.get("password") else ""
    url = f"postgres://{params.get('user', 'postgres')}{password}@{host}:{port}/{name}"
    yield url, {"dbname": name, **admin}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_every_row_and_every_capture(
    settings, tmp_path, fresh_pg_database
):
    _fill_archive(settings)
    url, params = fresh_pg_database
    dump = tmp_path / "archive.dump"

    call_command("backup", str(dump), stdout=io.StringIO())
    call_command("restore", str(dump), "--into", url, stdout=io.StringIO())

    with connection.cursor() as cursor:
        original, captures = _pg_checksums(cursor), _pg_captures(cursor)
    with psycopg.connect(**params) as restored, restored.cursor() as cursor:
        copied, copied_captures = _pg_checksums(cursor), _pg_captures(cursor)
    assert original["archive_article"][0] == Article.objects.count() >= 6
    assert original["archive_testimony"][0] > 0
    assert copied == original
    assert copied_captures == captures
    assert all(stored == computed for stored, computed in copied_captures.values())


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_restore_into_a_database_that_holds_tables_is_refused(settings, tmp_path):
    _fill_archive(settings)
    dump = tmp_path / "archive.dump"
    call_command("backup", str(dump), stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(dump))
    assert Article.objects.count() >= 6


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_checksums(conn) -> dict[str, tuple[int, str]]:
    tables = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    sums = {}
    for table in tables:
        # quote() in SQL: the same text from any connection, whatever its type converters.
        columns = [c[1] for c in conn.execute(f'PRAGMA table_info("{table}")')]
        row_text = " || '|' || ".join(f'quote("{c}")' for c in columns)
        rows = sorted(row for (row,) in conn.execute(f'SELECT {row_text} FROM "{table}"'))
        sums[table] = (len(rows), hashlib.md5("\n".join(rows).encode()).hexdigest())
    return sums


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_sqlite_backup_restores_every_row(settings, tmp_path):
    _fill_archive(settings)
    backup_file = tmp_path / "archive.sqlite3"
    restored_file = tmp_path / "restored.sqlite3"

    call_command("backup", str(backup_file), stdout=io.StringIO())
    call_command(
        "restore",
        str(backup_file),
        "--into",
        f"sqlite:///{restored_file}",
        stdout=io.StringIO(),
    )

    connection.ensure_connection()
    original = _sqlite_checksums(connection.connection)
    with sqlite3.connect(restored_file) as restored:
        copied = _sqlite_checksums(restored)
        captures = restored.execute("SELECT raw_sha256, raw_text FROM archive_article").fetchall()
    assert original["archive_article"][0] >= 6
    assert copied == original
    assert all(hashlib.sha256(t.encode()).hexdigest() == s for s, t in captures)


# --- Either database ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_backup_never_overwrites_a_file(tmp_path):
    existing = tmp_path / "existing.dump"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", str(existing))
    assert existing.read_bytes() == b"keep me"


@pytest.mark.django_db
def test_restoring_a_file_that_is_not_a_backup_is_refused(tmp_path):
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a backup at all")
    target = "sqlite:///" + str(tmp_path / "new.sqlite3")
    with pytest.raises(CommandError, match="not a SQLite backup"):
        call_command("restore", str(junk), "--into", target)
