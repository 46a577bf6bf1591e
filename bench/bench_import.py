#!/usr/bin/env python
"""Benchmark the importer: dispatches imported per second on SQLite and PostgreSQL (issue 6).
A script, not a test.

    createdb -h 127.0.0.1 -U postgres newsroom_ingest_bench     # once, for PostgreSQL
    .venv/bin/python bench/bench_import.py [--captures 300] [--backends sqlite,postgres]

For each backend it runs a worker process on a fresh database (a temporary SQLite file;
PostgreSQL at $BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/newsroom_ingest_bench,
flushed first): migrate, load the curated gazetteer, sources and people (fixtures/archive.json,
without its articles), then import --captures distinct captures made from the five seeds and
the test captures (each made unique by a numbered closing line, so none is "already
imported"), one `dispatch_import` (one transaction) each, as the command does. It prints one
table: captures, seconds, dispatches per second, and testimonies proposed per second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/newsroom_ingest_bench"


def captures(n: int) -> list[bytes]:
    sources = sorted((ROOT / "fixtures" / "dispatches").glob("*.txt"))
    sources += sorted((ROOT / "tests" / "captures").glob("*.txt"))
    texts = [p.read_text("utf-8") for p in sources]
    return [
        f"{texts[i % len(texts)]}\n\nCapture {i} received by the desk.\n".encode() for i in range(n)
    ]


def worker(n: int) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from archive.ingest.evaluation import strip_editorial_work
    from archive.ingest.service import Reference, dispatch_import

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", "archive", verbosity=0)
    strip_editorial_work(throwaway_database=True)
    batch = captures(n)
    testimonies = 0
    started = time.perf_counter()
    # As the command does: the gazetteer, sources and people are read once per run.
    reference = Reference.load()
    for i, raw in enumerate(batch):
        result = dispatch_import(raw=raw, filename=f"capture-{i}.txt", reference=reference)
        assert result.status == "created", result
        testimonies += len(result.testimonies)
    seconds = time.perf_counter() - started
    return {
        "backend": connection.vendor,
        "captures": n,
        "seconds": round(seconds, 2),
        "per_second": round(n / seconds, 1),
        "testimonies_per_second": round(testimonies / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.captures)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        urls = {
            "sqlite": f"sqlite:///{tmp}/bench.sqlite3",
            "postgres": os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        }
        for backend in args.backends.split(","):
            env = {**os.environ, "DATABASE_URL": urls[backend]}
            done = subprocess.run(
                [sys.executable, __file__, "--worker", "--captures", str(args.captures)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(f"{backend}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        f"{'backend':10} {'captures':>8} {'seconds':>8} {'dispatches/s':>13} {'testimonies/s':>14}"
    )
    for r in rows:
        print(
            f"{r['backend']:10} {r['captures']:8} {r['seconds']:8.2f} {r['per_second']:13.1f} "
            f"{r['testimonies_per_second']:14.1f}"
        )


if __name__ == "__main__":
    main()
