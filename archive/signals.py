"""Cache invalidation only (no business rules): note that the archive changed.

The API's conditional GET compares a fingerprint of the archive (`selectors.archive_fingerprint`).
History rows cover ordinary saves and deletes of the editorial models; these receivers cover
the rest: reference data, many-to-many links and fixture loads (which write no history).
"""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save


def _archive_changed(sender, **kwargs) -> None:
    from archive.selectors import bump_generation

    bump_generation()


def connect() -> None:
    for model in apps.get_app_config("archive").get_models():
        post_save.connect(_archive_changed, sender=model, dispatch_uid=f"etag-save-{model}")
        post_delete.connect(_archive_changed, sender=model, dispatch_uid=f"etag-del-{model}")
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            m2m_changed.connect(_archive_changed, sender=through, dispatch_uid=f"etag-{through}")
