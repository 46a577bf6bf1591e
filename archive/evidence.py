"""The one controlled way past the database's protection of evidence.

The database refuses to delete an article and to change its raw capture (triggers, migrations
0002 and 0013). A court-ordered purge, and the wiping of a throwaway database, get past them
here: inside `evidence_override`, the writing transaction holds a row in
`archive_evidence_override`, which the triggers accept; the row is removed before the block
ends (or rolled back with it), so no other transaction ever sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, router, transaction

OVERRIDE_TABLE = "archive_evidence_override"


@contextmanager
def evidence_override(*, reason: str) -> Iterator[None]:
    from archive.models import Article

    alias = router.db_for_write(Article)
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute(f"INSERT INTO {OVERRIDE_TABLE} (reason) VALUES (%s)", [reason])
        yield
        cursor.execute(f"DELETE FROM {OVERRIDE_TABLE}")
