#!/usr/bin/env python
"""Benchmark search on a generated archive on PostgreSQL (issue 5). A script, not a test.

    createdb -h 127.0.0.1 -U postgres newsroom_search_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_search_bench \\
        .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python manage.py generate_archive --articles 100000 --seed 1
    DATABASE_URL=... .venv/bin/python bench/bench_search.py [--rounds 3] [--terms 70]

What it does:
1. picks query words in three document-frequency bands (rare: in < 0.2% of articles, medium:
   1-5%, frequent: > 15%) from a sample of article bodies, --terms words per band (>= 200 in
   all with the default 70, plus a set of place names in every transliteration);
2. runs every word, rotating through the whole list --rounds times, as an anonymous
   `GET /api/v1/search/?q=…` through the Django test client (the full stack: parsing, place
   expansion, ranking, count, snippets, serialisation), and interleaves a plain
   `GET /api/v1/articles/` list request in the same run for comparison;
3. prints p50 / p95 per band and overall, and the ratio of search p50 to list p50.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
# The benchmark sends hundreds of anonymous requests a minute: lift the throttle for it.
os.environ.setdefault("ANON_THROTTLE_RATE", "100000000/minute")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from archive.models import Article, Place  # noqa: E402

BANDS = {"rare": (0.0, 0.002), "medium": (0.01, 0.05), "frequent": (0.15, 1.0)}
WORD = re.compile(r"[^\W\d_]{4,}")


def pick_terms(per_band: int, sample: int, rng: random.Random) -> dict[str, list[str]]:
    total = Article.objects.count()
    ids = list(Article.objects.order_by("?").values_list("pk", flat=True)[:sample])
    df: Counter[str] = Counter()
    for body in Article.objects.filter(pk__in=ids).values_list("body", flat=True).iterator():
        df.update({w.lower() for w in WORD.findall(body)})
    n = len(ids)
    bands: dict[str, list[str]] = {}
    for band, (low, high) in BANDS.items():
        words = sorted(w for w, c in df.items() if low < c / n <= high)
        rng.shuffle(words)
        bands[band] = words[:per_band]
    places = []
    for place in Place.objects.prefetch_related("variants").order_by("?")[:20]:
        places += [place.name, *(v.name for v in place.variants.all())][:3]
    bands["place names"] = places[:per_band]
    print(f"{total} articles; document frequencies from a sample of {n}.")
    for band, words in bands.items():
        print(f"  {band:12} {len(words):4} terms, e.g. {', '.join(words[:6])}")
    return bands


def timed(client: Client, url: str, params: dict) -> float:
    started = time.perf_counter()
    response = client.get(url, params)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} {params} -> {response.status_code}: {response.content[:300]}")
    return elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=70, help="Words per frequency band.")
    parser.add_argument("--rounds", type=int, default=3, help="Passes over the rotating list.")
    parser.add_argument("--sample", type=int, default=3000, help="Articles sampled for df.")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: this benchmark is meant for PostgreSQL; running on", connection.vendor)
    rng = random.Random(args.seed)
    bands = pick_terms(args.terms, args.sample, rng)
    rotation = [(band, term) for band, terms in bands.items() for term in terms]
    rng.shuffle(rotation)
    print(f"{len(rotation)} query terms, {args.rounds} rounds.")

    client = Client()
    # Warm up connections, caches and the planner.
    for _band, term in rotation[:20]:
        timed(client, "/api/v1/search/", {"q": term})
        timed(client, "/api/v1/articles/", {})

    search_ms: dict[str, list[float]] = {band: [] for band in bands}
    list_ms: list[float] = []
    for _ in range(args.rounds):
        for i, (band, term) in enumerate(rotation):
            search_ms[band].append(timed(client, "/api/v1/search/", {"q": term}))
            if i % 4 == 0:
                list_ms.append(timed(client, "/api/v1/articles/", {}))

    everything = [ms for values in search_ms.values() for ms in values]
    print(f"\n{'':22}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}")
    rows = [(f"search {band}", values) for band, values in search_ms.items()]
    rows += [("search, all terms", everything), ("list articles", list_ms)]
    for label, values in rows:
        print(f"{label:22}{len(values):>10}{pct(values, 50):>10.1f}{pct(values, 95):>10.1f}")
    ratio = statistics.median(everything) / statistics.median(list_ms)
    print(f"\nsearch p50 / list p50 = {ratio:.1f}x (aim: within 5x)")


if __name__ == "__main__":
    main()
