from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cache invalidation for the API's conditional GET (see archive/signals.py).
        from archive import signals

        signals.connect()

        # Functions the SQLite search triggers call (see archive/search/schema.py).
        from django.db.backends.signals import connection_created

        from archive.search.schema import register_sqlite_functions

        connection_created.connect(
            register_sqlite_functions, dispatch_uid="archive-sqlite-functions"
        )
