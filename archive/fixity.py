"""Fixity: re-reading every raw capture and checking it still hashes to its stored SHA-256.

The immutability trigger stops an UPDATE through SQL; it cannot see a disk fault, a restore
from a damaged backup or a hand edit with the trigger dropped. Only recomputing the digest can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS

from archive.models import Article
from archive.text import sha256_hex

# Rows fetched per round trip: a server-side cursor on PostgreSQL, chunked reads on SQLite.
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Mismatch:
    article_id: int
    slug: str
    stored_sha256: str
    computed_sha256: str


@dataclass
class FixityReport:
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "mismatched": len(self.mismatches),
            "mismatches": [
                {
                    "article_id": m.article_id,
                    "slug": m.slug,
                    "stored_sha256": m.stored_sha256,
                    "computed_sha256": m.computed_sha256,
                }
                for m in self.mismatches
            ],
        }


def verify_fixity(
    *,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[int, int], None] | None = None,
) -> FixityReport:
    """Recompute every raw capture's SHA-256; `progress(done, total)` is called as it goes.

    Streams (id, slug, raw_text, raw_sha256) tuples so that memory stays flat at any size.
    """
    articles = Article.objects.using(using).order_by("pk")
    total = articles.count()
    report = FixityReport()
    if progress is not None:
        progress(0, total)
    rows = articles.values_list("pk", "slug", "raw_text", "raw_sha256").iterator(
        chunk_size=CHUNK_SIZE
    )
    for pk, slug, raw_text, stored in rows:
        computed = sha256_hex(raw_text)
        if computed != stored:
            report.mismatches.append(Mismatch(pk, slug, stored, computed))
        report.checked += 1
        if progress is not None and (report.checked % CHUNK_SIZE == 0 or report.checked == total):
            progress(report.checked, total)
    return report
