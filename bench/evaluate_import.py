#!/usr/bin/env python
"""Print how close the importer comes to the hand-curated seed archive (issue 6).

    .venv/bin/python bench/evaluate_import.py [-v]

Runs on a throwaway in-memory SQLite database: loads fixtures/archive.json, removes the
curated articles (keeping the gazetteer, sources and people), imports the five raw seeds as
new captures and compares the proposals with the curated testimonies and places. The same
comparison, with thresholds, is tests/test_ingest_seeds.py.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from archive.ingest.evaluation import evaluate  # noqa: E402

if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    call_command("loaddata", "archive", verbosity=0)
    figures = evaluate(ROOT / "fixtures" / "dispatches", throwaway_database=True)
    print(figures.table())
    if "-v" in sys.argv:
        for miss in figures.misses:
            print("missed:", miss)
        for wrong in figures.wrong:
            print("wrong: ", wrong)
