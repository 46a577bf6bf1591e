"""Restore a backup made by `backup` into an empty database."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from archive.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore the backup at PATH into an empty database: the one --into names (a database "
        "URL), or the configured one. Refuses a database that already holds tables. "
        "All or nothing (one transaction)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--into",
            metavar="DATABASE_URL",
            help="Restore into this database (it must exist and be empty, or, for SQLite, be a "
            "new file) instead of the configured one.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path: Path, into: str | None, database: str, **options):
        try:
            where = restore(path, into=into, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {path} into {where}."))
        self.stdout.write(
            "Next: python manage.py migrate (for a backup older than the code), then "
            "python manage.py verify_fixity."
        )
