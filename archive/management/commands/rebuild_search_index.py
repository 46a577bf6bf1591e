"""Recompute the full-text index from the data (after a restore, a raw SQL import, or a
migration that dropped SQLite's index triggers, which this also puts back)."""

from django.core.management import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from archive.search import schema


class Command(BaseCommand):
    help = "Rebuild the search index of articles and testimonies (PostgreSQL or SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str = DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        with transaction.atomic(using=database):
            restored = schema.ensure_sqlite_triggers(connection)
            if not restored:
                schema.rebuild(connection)
        if restored:
            self.stdout.write(f"Restored missing index triggers: {', '.join(restored)}.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM archive_article")
            articles = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM archive_testimony")
            testimonies = cursor.fetchone()[0]
        self.stdout.write(
            self.style.SUCCESS(
                f"Search index rebuilt on {connection.vendor}: {articles} articles, "
                f"{testimonies} testimonies."
            )
        )
