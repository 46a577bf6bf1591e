"""Make a consistent backup of the archive's database (pg_dump, or SQLite's backup API)."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from archive.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database to PATH: PostgreSQL in pg_dump's custom format (a consistent "
        "snapshot, safe while the archive is in use), SQLite through its online backup API. "
        "Never overwrites a file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path: Path, database: str, **options):
        try:
            made = backup(path, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Backup written to {made.path}: {made.size:,} bytes, ")
            + f"SHA-256 {made.sha256}."
        )
