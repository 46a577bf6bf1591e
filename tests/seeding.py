"""The `seed` fixture's fast path: the curated seed archive loaded once per test session with
`loaddata`, then copied in as plain rows for every later test that asks for it.

`loaddata` resolves every natural key with a query and saves row by row (about two seconds a
time, a third of the suite's set-up). The copy inserts the same rows, ids included, table by
table in foreign-key order, so the database's own triggers (search index, public copies, change
counter, anchor guard) run exactly as they did for loaddata; sequences are reset afterwards.
It applies only to an archive with none of those tables populated; otherwise `loaddata` runs.
`tests/test_fixtures.py` checks that the copy equals a fresh load.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models

# vendor -> [(model, columns, rows)] in insertion order, captured after the first load.
_captured: dict[str, list[tuple[type[models.Model], list[str], list[tuple]]]] = {}


def _archive_models() -> list[type[models.Model]]:
    return list(apps.get_app_config("archive").get_models(include_auto_created=True))


def _in_foreign_key_order(chosen: list[type[models.Model]]) -> list[type[models.Model]]:
    ordered: list[type[models.Model]] = []
    pending = list(chosen)
    while pending:
        for model in pending:
            needs = {
                field.related_model
                for field in model._meta.concrete_fields
                if field.is_relation and field.related_model is not model
            }
            if not (needs & set(pending)):
                ordered.append(model)
                pending.remove(model)
                break
        else:  # a cycle: nothing in the seed has one; keep the rest as they come
            ordered.extend(pending)
            break
    return ordered


def _columns(model: type[models.Model]) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _empty(table_models: list[type[models.Model]]) -> bool:
    return not any(model._base_manager.exists() for model in table_models)


def _capture() -> list[tuple[type[models.Model], list[str], list[tuple]]]:
    captured = []
    with connection.cursor() as cursor:
        for model in _in_foreign_key_order(_archive_models()):
            columns = _columns(model)
            cursor.execute(
                f"SELECT {', '.join(map(_quoted, columns))} FROM {_quoted(model._meta.db_table)}"
            )
            rows = cursor.fetchall()
            if rows:
                captured.append((model, columns, rows))
    return captured


def _adapt(value):
    # psycopg reads JSON columns as Python objects; it writes them back only when told.
    if connection.vendor == "postgresql" and isinstance(value, dict | list):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


def _insert(captured) -> None:
    with connection.cursor() as cursor:
        for model, columns, rows in captured:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {_quoted(model._meta.db_table)} "
                f"({', '.join(map(_quoted, columns))}) VALUES ({placeholders})",
                [tuple(_adapt(value) for value in row) for row in rows],
            )
        for statement in connection.ops.sequence_reset_sql(
            no_style(), [model for model, _, _ in captured]
        ):
            cursor.execute(statement)


def load_seed() -> None:
    """The curated seed archive, as `loaddata archive` leaves it."""
    from archive.selectors import bump_generation

    captured = _captured.get(connection.vendor)
    if captured is not None and _empty([model for model, _, _ in captured]):
        _insert(captured)
        # loaddata's row saves also note the change in the cache (archive.signals).
        bump_generation()
        return
    fresh = _empty(_archive_models())
    call_command("loaddata", "archive", verbosity=0)
    if fresh and captured is None:
        _captured[connection.vendor] = _capture()
