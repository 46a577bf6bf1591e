"""Whether a database has every migration this code expects."""

from django.db import connections
from django.db.migrations.executor import MigrationExecutor


def unapplied_migrations(using: str = "default") -> list[str]:
    """The migrations this code has that the database has not applied, as "app.name"."""
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
