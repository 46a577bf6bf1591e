"""Read replicas: reads go to the `replica` alias when one is configured; writes, and every read
inside a write transaction, go to the primary.

Why reads inside a transaction stay on the primary: a replica lags behind, and within
`transaction.atomic()` a view or service reads what it is about to change (or has just
changed, uncommitted, which the replica can never see). `connections["default"].in_atomic_block`
tells us we are in one. Without `DATABASE_REPLICA_URL` there is no `replica` alias and this
router sends everything to the primary, so development and CI need no replica.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        if REPLICA_DB_ALIAS not in connections.settings:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the same rows as the primary: an article read from the replica
        # may be the target of a testimony written to the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        # Replicas receive the schema by replication; only the primary is migrated.
        return db == DEFAULT_DB_ALIAS
