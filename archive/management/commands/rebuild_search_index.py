"""Recompute the full-text index from the data (after a restore, a raw SQL import, or a
migration that dropped SQLite's index triggers, which this also puts back)."""

from django.core.management import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

from archive.search import schema


class Command(BaseCommand):
    help = "Rebuild the search index of articles and testimonies (PostgreSQL or SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str = DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        report = schema.rebuild_everything(connection)
        if report.restored_triggers:
            self.stdout.write(
                f"Restored missing index triggers: {', '.join(report.restored_triggers)}."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Search index rebuilt on {connection.vendor}: {report.articles} articles, "
                f"{report.testimonies} testimonies."
            )
        )
