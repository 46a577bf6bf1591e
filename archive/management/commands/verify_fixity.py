"""Recompute every raw capture's SHA-256 and compare it with the stored one; exit 1 on any
mismatch (for cron and monitoring)."""

import json

from django.core.management import BaseCommand
from django.db import DEFAULT_DB_ALIAS
from tqdm import tqdm

from archive.fixity import verify_fixity


class Command(BaseCommand):
    help = (
        "Recompute the SHA-256 of every article's raw capture and compare it with the stored "
        "value. Exits 1 and lists the articles whose capture no longer matches."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", action="store_true", help="Print a JSON summary on stdout instead of text."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, database: str, **options):
        as_json = options["json"]
        with tqdm(
            unit="capture",
            disable=options["verbosity"] < 1,
            file=self.stderr._out,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = verify_fixity(using=database, progress=progress)
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            for m in report.mismatches:
                self.stdout.write(
                    self.style.ERROR(
                        f"MISMATCH article {m.article_id} ({m.slug}): stored {m.stored_sha256}, "
                        f"computed {m.computed_sha256}"
                    )
                )
            if report.ok:
                self.stdout.write(
                    self.style.SUCCESS(f"Fixity verified: {report.checked} captures match.")
                )
            else:
                self.stdout.write(
                    self.style.ERROR(
                        f"{len(report.mismatches)} of {report.checked} captures do not match "
                        "their stored SHA-256."
                    )
                )
        if not report.ok:
            # SystemExit rather than CommandError: the report is already printed, in JSON too.
            raise SystemExit(1)
