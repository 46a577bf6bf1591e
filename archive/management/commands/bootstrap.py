"""Make a fresh (or existing) instance ready: schema, curated seed data, editorial groups."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command
from django.db import transaction
from django.test.utils import override_settings

from archive.permissions import ensure_groups
from archive.services import mentions_rescan_all

SEED_FIXTURE = "archive"
LOCAL_EDITOR = "editor"


class Command(BaseCommand):
    help = (
        "Migrate the database, load the curated seed fixtures (idempotently), create the "
        "editor and contributor groups and, with DEBUG on, a local editor account."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-fixtures", action="store_true", help="Do not load the curated seed data."
        )

    def handle(self, *args, no_fixtures: bool = False, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        if not no_fixtures:
            # Natural keys make a second load update the same rows instead of adding new ones.
            # Loading seed data is not an edit: no history (loaddata's row saves write none;
            # its many-to-many sets would, so history is switched off for the load).
            with override_settings(SIMPLE_HISTORY_ENABLED=False):
                call_command("loaddata", SEED_FIXTURE, verbosity=verbosity)
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
