"""Make a fresh (or existing) instance ready: schema, curated seed data, editorial groups."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import BaseCommand, CommandError, call_command
from django.db import transaction
from django.test.utils import override_settings

from archive import history
from archive.models import SeedRow
from archive.permissions import ensure_groups
from archive.services import mentions_rescan_all

SEED_FIXTURE = "archive.json"
LOCAL_EDITOR = "editor"


@dataclass
class SeedLoad:
    loaded: int = 0
    present: int = 0


class Command(BaseCommand):
    help = (
        "Migrate the database, load the rows of the curated seed archive that were never "
        "loaded (existing rows are never changed), create the editor and contributor groups "
        "and, with DEBUG on, a local editor account. Safe to run on every deploy."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-fixtures", action="store_true", help="Do not load the curated seed data."
        )

    def handle(self, *args, no_fixtures: bool = False, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        if not no_fixtures:
            load = load_seed(seed_path())
            self.stdout.write(
                f"Seed archive: {load.loaded} rows loaded, {load.present} already loaded "
                "before (left exactly as they are)."
            )
            # Mentions are found, not curated: proposed afresh for the seeds (an editor's
            # confirmations and rejections are kept).
            proposed = mentions_rescan_all()
            self.stdout.write(f"Mentions proposed: {proposed}.")
        groups = ensure_groups()
        self.stdout.write(f"Groups ready: {', '.join(sorted(groups))}.")
        if settings.DEBUG:
            self._ensure_local_editor(groups["editor"])

    @transaction.atomic
    def _ensure_local_editor(self, group) -> None:
        User = get_user_model()
        if User.objects.filter(username=LOCAL_EDITOR).exists():
            self.stdout.write(
                f"Local editor account '{LOCAL_EDITOR}' already exists "
                f"(reset its password with: python manage.py changepassword {LOCAL_EDITOR})."
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            username=LOCAL_EDITOR, password=password, is_staff=True, email=""
        )
        user.groups.add(group)
        self.stdout.write(
            self.style.SUCCESS(
                "Created the local editor account (shown once, development only):\n"
                f"    username: {LOCAL_EDITOR}\n    password: {password}"
            )
        )


def seed_path() -> Path:
    for directory in settings.FIXTURE_DIRS:
        path = Path(directory) / SEED_FIXTURE
        if path.exists():
            return path
    raise CommandError(f"The seed archive {SEED_FIXTURE} is in none of FIXTURE_DIRS.")


@transaction.atomic
def load_seed(path: Path) -> SeedLoad:
    """Insert the seed rows that were never loaded; never update or re-create a row.

    A seed row is identified by its natural key in the seed. One that the ledger (SeedRow)
    lists was loaded before: whatever editors did to it since — edits, a new slug, deletion —
    stands. One the ledger does not list but the archive holds (an archive seeded before the
    ledger existed) is adopted into the ledger unchanged. Only the rest is inserted, and
    starts its history with one record, "loaded from the seed archive".
    """
    load = SeedLoad()
    seeded = set(SeedRow.objects.values_list("model", "natural_key"))
    inserted, adopted, deferred = [], [], []
    # Links (tags, places) of a new row are part of its first record, written below once the
    # row and its links are all in place; simple_history would otherwise add a "changed"
    # record per link.
    with override_settings(SIMPLE_HISTORY_ENABLED=False), path.open(encoding="utf-8") as stream:
        for row in serializers.deserialize("json", stream, handle_forward_references=True):
            instance = row.object
            model = type(instance)
            key = (model._meta.label_lower, json.dumps(list(instance.natural_key())))
            if key in seeded:
                load.present += 1
                continue
            seeded.add(key)
            if instance.pk is not None and model._base_manager.filter(pk=instance.pk).exists():
                adopted.append(instance)
                load.present += 1
            else:
                row.save()
                if row.deferred_fields:
                    deferred.append(row)
                inserted.append(instance)
                load.loaded += 1
            SeedRow.objects.create(model=key[0], natural_key=key[1])
        for row in deferred:
            row.save_deferred_fields()
    for instance in inserted:
        if history.is_recorded(type(instance)):
            history.record(instance, "+", reason=history.SEED_REASON)
    for instance in adopted:
        # A seed row from before the ledger that has no history at all: give it its first
        # record, so that its first edit can be compared and reverted.
        model = type(instance)
        if history.is_recorded(model) and not model.history.filter(id=instance.pk).exists():
            history.record(model._base_manager.get(pk=instance.pk), "+", reason=history.SEED_REASON)
    return load
