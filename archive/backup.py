"""Consistent backups of the archive's database, and restores into an empty one.

PostgreSQL: `pg_dump --format=custom` (one transaction, hence a consistent snapshot while the
archive is in use) and `pg_restore --single-transaction` (all or nothing). SQLite: the sqlite3
online backup API, consistent too. A restore never writes over an archive: its target must be
empty (a database just made with `createdb`, or a SQLite file that does not exist yet).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import environ
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.client import DatabaseClient


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why and what to do."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    size: int
    sha256: str


def _file_digest(path: Path) -> BackupFile:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return BackupFile(path, path.stat().st_size, digest.hexdigest())


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools (Debian: apt-get "
            f"install postgresql-client) in the major version of the server."
        )
    return found


def _run(args: list[str], env: dict | None) -> None:
    completed = subprocess.run(
        args,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        tool = Path(args[0]).name
        raise BackupError(f"{tool} failed: {completed.stderr.strip() or completed.returncode}")


def _pg_args(settings_dict: dict) -> tuple[list[str], str, dict | None]:
    """Connection options for PostgreSQL's tools (password in the environment, never on the
    command line), and the database name."""
    args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    return args[1:-1], args[-1], env


# --- Backup -------------------------------------------------------------------------------------


def backup(path: Path, *, using: str = DEFAULT_DB_ALIAS) -> BackupFile:
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; a backup never overwrites a file.")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory.")
    connection = connections[using]
    partial = path.with_name(path.name + ".partial")
    try:
        if connection.vendor == "postgresql":
            options, dbname, env = _pg_args(connection.settings_dict)
            _run(
                [_tool("pg_dump"), *options, "--format=custom", "--file", str(partial), dbname],
                env,
            )
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
        else:
            raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
        # Renamed only once complete: a file at `path` is always a whole backup.
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return _file_digest(path)


# --- Restore ------------------------------------------------------------------------------------


def _target_settings(into: str | None, using: str) -> dict:
    if into is None:
        return connections[using].settings_dict
    config = environ.Env.db_url_config(into)
    config.setdefault("OPTIONS", {})
    return config


def _is_sqlite_backup(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def restore(path: Path, *, into: str | None = None, using: str = DEFAULT_DB_ALIAS) -> str:
    """Restore a backup into an empty database: `into` (a database URL), or the configured
    one. Returns a description of where it went."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    target = _target_settings(into, using)
    engine = target["ENGINE"]
    if engine.endswith("postgresql"):
        if _is_sqlite_backup(path):
            raise BackupError(f"{path} is a SQLite backup; it restores into SQLite only.")
        return _restore_postgresql(path, target)
    if engine.endswith("sqlite3"):
        if not _is_sqlite_backup(path):
            raise BackupError(f"{path} is not a SQLite backup (a PostgreSQL one restores there).")
        return _restore_sqlite(path, target)
    raise BackupError(f"Restores into {engine} are not supported.")


def _restore_postgresql(path: Path, target: dict) -> str:
    options, dbname, env = _pg_args(target)
    # Refuse before writing anything: pg_restore into a populated database mixes two archives.
    probe = [_tool("psql"), *options, "--no-psqlrc", "--tuples-only", "--no-align"]
    query = (
        "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"
    )
    completed = subprocess.run(
        [*probe, "--command", query, dbname],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise BackupError(
            f"Cannot reach the database {dbname} to restore into: {completed.stderr.strip()} "
            f"(create it first: createdb {dbname})."
        )
    if int(completed.stdout.strip() or 0):
        raise BackupError(
            f"The database {dbname} is not empty; a restore goes into an empty database "
            f"(createdb a new one, restore, then point DATABASE_URL at it)."
        )
    _run(
        [
            _tool("pg_restore"),
            *options,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            dbname,
            str(path),
        ],
        env,
    )
    return f"PostgreSQL database {dbname}"


def _restore_sqlite(path: Path, target: dict) -> str:
    name = str(target["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        raise BackupError("Restore into a SQLite file, not an in-memory database.")
    destination = Path(name)
    if destination.exists() and destination.stat().st_size > 0:
        raise BackupError(
            f"{destination} exists; a restore goes into a new file (move the old one away, or "
            f"restore with --into sqlite:////path/to/new.sqlite3)."
        )
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        target_connection = sqlite3.connect(destination)
        try:
            source.backup(target_connection)
        finally:
            target_connection.close()
    finally:
        source.close()
    return f"SQLite database {destination}"
