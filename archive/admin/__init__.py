"""The editors' workplace: one ModelAdmin per model of the archive.

Importing this package registers them all with the default admin site. Other modules (the
importer's admin page, for one) register their own admins or views beside these; shared pieces
live in `archive.admin.base`.
"""

from archive.admin import (  # noqa: F401 (registers the admins)
    articles,
    collections,
    entries,
    jobs,
    tombstones,
)
