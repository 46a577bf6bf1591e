"""Fill the database with a synthetic archive of N articles (for benchmarks and load tests)."""

import time

from django.core.management import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from tqdm import tqdm

from archive.generate import AlreadyGenerated, generate_archive
from newsroom.migrations_state import unapplied_migrations


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate a synthetic archive: N articles with about six testimonies each, people, a "
        "gazetteer of ~200 places with name variants, the tag thesaurus (reused if present), "
        "annotations and collections. Reproducible with --seed; bulk inserts (COPY on "
        "PostgreSQL). Generated rows have no change history."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--articles", type=positive_int, required=True, help="How many articles (N >= 1)."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=0,
            help="Random seed: the same seed gives the same archive. Generated slugs carry it, "
            "so each seed can be generated once per database.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=2000,
            help="Articles written per transaction (default 2000); the progress bar counts "
            "each article as it is made.",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, articles: int, seed: int, batch_size: int, database: str, **options):
        missing = unapplied_migrations(database)
        if missing:
            raise CommandError(
                f"The database has {len(missing)} unapplied migrations (first: {missing[0]}): "
                "run `python manage.py migrate` first."
            )
        started = time.monotonic()
        with tqdm(
            total=articles,
            unit="article",
            disable=options["verbosity"] < 1,
            file=self.stderr._out,
        ) as bar:
            try:
                counts = generate_archive(
                    articles=articles,
                    seed=seed,
                    batch_size=batch_size,
                    using=database,
                    progress=bar.update,
                )
            except AlreadyGenerated as exc:
                raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - started
        summary = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.as_dict().items())
        self.stdout.write(self.style.SUCCESS(f"Generated in {elapsed:.1f}s: {summary}."))
