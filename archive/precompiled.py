"""ORM queries over "these ids", compiled to SQL once per database and then run with each list.

Every list page asks the same two questions of the rows it shows: which names are withheld in
their articles, and what their places and tags are. The questions never change shape, only the
ids; yet building and compiling the querysets cost more than the database took to answer them
(half of the Python time of a list page, measured with cProfile). A `PrecompiledQuery` is
written with the ORM like any other query, with `Ids("name")` where the list of ids goes; the
first run on a database compiles it, and later runs reuse the SQL with the new ids bound as one
parameter (an array on PostgreSQL, JSON on SQLite), so the SQL text no longer depends on how many
ids there are either. Reads go where the router sends the model's reads, as the ORM's would.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterable
from typing import Any

from django.db import connections, models, router
from django.db.models import Lookup


class Ids:
    """Where a list of ids goes in a precompiled query; `name` tells lists apart."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Ids({self.name!r})"


def _bind(connection, ids: Iterable[int | None]) -> Any:
    # None matches nothing, as in an `__in` lookup.
    values = [int(i) for i in ids if i is not None]
    if connection.vendor == "postgresql":
        return values
    return json.dumps(values)


class InIds(Lookup):
    """`lhs` is one of a list of ids, whose length the SQL does not depend on.

    Usable directly, `Model.objects.filter(InIds(F("field"), [1, 2]))`, or with an `Ids`
    placeholder inside a `PrecompiledQuery`.
    """

    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        value = self.rhs if isinstance(self.rhs, Ids) else _bind(connection, self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, value]
        if connection.vendor == "sqlite":
            return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, value]
        raise NotImplementedError(f"InIds has no SQL for {connection.vendor}")


class _Compiled:
    def __init__(self, queryset: models.QuerySet, alias: str) -> None:
        compiler = queryset.query.get_compiler(using=alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots = [(i, p.name) for i, p in enumerate(self.params) if isinstance(p, Ids)]
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        self.converters = compiler.get_converters(fields)

    def rows(self, alias: str, ids: dict[str, Collection[int]]) -> list[tuple]:
        connection = connections[alias]
        params = list(self.params)
        for index, name in self.slots:
            params[index] = _bind(connection, ids[name])
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        converted = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in self.converters.items():
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted


class PrecompiledQuery:
    """`build(**placeholders)` returns a values_list queryset that filters with `InIds` on the
    `Ids` placeholders it is given; `rows(**ids)` runs it with those lists of ids."""

    def __init__(self, build: Callable[..., models.QuerySet], *names: str) -> None:
        self.build = build
        self.names = names
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()
        self._queryset: models.QuerySet | None = None

    def _for(self, alias: str | None) -> tuple[str, _Compiled]:
        if self._queryset is None:
            # Built once; each database compiles the same query.
            self._queryset = self.build(**{n: Ids(n) for n in self.names})
        alias = alias or router.db_for_read(self._queryset.model)
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.setdefault(alias, _Compiled(self._queryset, alias))
        return alias, compiled

    def rows(self, *, using: str | None = None, **ids: Collection[int]) -> list[tuple]:
        if set(ids) != set(self.names):
            raise TypeError(f"expected ids for {sorted(self.names)}, got {sorted(ids)}")
        if not any(ids.values()):
            return []
        alias, compiled = self._for(using)
        return compiled.rows(alias, ids)
