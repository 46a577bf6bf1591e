"""The change history of the editorial models (django-simple-history), one record per action.

simple_history writes a record for every save and every change of a recorded many-to-many
field, so one editor action that saves twice (record a testimony, then confirm it; create, then
tag) left two records a minute apart. `one_record_per_action` gathers the saves made inside it
and writes one record per object when the action is done: "added" for an object created inside
it, "changed" otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import ClassVar

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

# Why a seed row has history at all: the first record of every row `bootstrap` loads.
SEED_REASON = "loaded from the seed archive"

# (model, pk) -> [latest instance, history type, database alias], while an action is running.
_pending: ContextVar[dict | None] = ContextVar("archive_history_pending", default=None)


def _recording(instance) -> bool:
    return getattr(settings, "SIMPLE_HISTORY_ENABLED", True) and not hasattr(
        instance, "skip_history_when_saving"
    )


class ArchiveHistory(HistoricalRecords):
    """simple_history's recorder, kept per model, that can defer records to the action's end."""

    recorders: ClassVar[dict[type[models.Model], ArchiveHistory]] = {}

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            ArchiveHistory.recorders[sender] = self

    def post_save(self, instance, created, using=None, **kwargs):
        pending = _pending.get()
        if pending is None or kwargs.get("raw", False) or not _recording(instance):
            return super().post_save(instance, created, using=using, **kwargs)
        entry = pending.setdefault((type(instance), instance.pk), [instance, "~", using])
        entry[0] = instance
        if created:
            entry[1] = "+"

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        pending = _pending.get()
        if pending is None or reverse or not _recording(instance):
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if action in ("post_add", "post_remove", "post_clear"):
            pending.setdefault((type(instance), instance.pk), [instance, "~", None])

    def post_delete(self, instance, using=None, **kwargs):
        pending = _pending.get()
        if pending is not None:
            pending.pop((type(instance), instance.pk), None)
        return super().post_delete(instance, using=using, **kwargs)


def record(instance, history_type: str, *, reason: str = "", using: str | None = None) -> None:
    """Write one history record of `instance` as it is now (its links read from the database)."""
    if reason:
        instance._change_reason = reason
    try:
        ArchiveHistory.recorders[type(instance)].create_historical_record(
            instance, history_type, using=using
        )
    finally:
        if reason:
            del instance._change_reason


def is_recorded(model: type[models.Model]) -> bool:
    return model in ArchiveHistory.recorders


@contextmanager
def one_record_per_action() -> Iterator[None]:
    """Inside: saves are gathered; at a successful end, one record per object saved.

    Nested uses join the outermost one. Nothing is written if the block raises (its
    transaction is rolled back by the caller's atomic block anyway).
    """
    if _pending.get() is not None:
        yield
        return
    pending: dict = {}
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    for instance, history_type, using in pending.values():
        record(instance, history_type, using=using)
