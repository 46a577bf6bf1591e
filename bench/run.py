#!/usr/bin/env python
"""Benchmark the public API against hand-written baselines, on PostgreSQL, through gunicorn.

    .venv/bin/python bench/run.py --articles 100000        # then --articles 1000000

What it does, in order:
1. creates the database (default `newsroom_bench` on 127.0.0.1:5432) if needed, migrates it,
   and tops it up to --articles articles with `generate_archive` (a seed per top-up, so an
   existing archive is extended, never regenerated), then ANALYZEs it;
2. counts the SQL queries of every list endpoint at page sizes 10 and 100 (in-process, Django
   test client): they must not grow with the page size;
3. starts gunicorn (2 workers, DEBUG off, a fresh SECRET_KEY, bound to 127.0.0.1) with
   BENCH_BASELINE=1, which adds the hand-written baseline endpoint (bench/baseline_app.py);
4. drives each endpoint with wrk (Debian package `wrk`) for --duration seconds over
   --connections connections, loopback only, in --rounds rounds (every endpoint in turn, then
   again), and prints each endpoint's median round: p50, p95 and requests per second, with the
   comparisons the targets are about (lists vs baseline, deep vs first cursor page, 304 vs
   200) as the median of the ratios measured within a round.

It is a script that prints a table, not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


@dataclass
class Result:
    name: str
    path: str
    requests: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    rps: float = 0.0
    errors: int = 0
    note: str = ""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database", default="newsroom_bench")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="server URL")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--cache-url", default="", help="e.g. redis://127.0.0.1:6379/5")
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="measure every endpoint this many times, in turn, and report the median round: "
        "a shared machine's speed drifts within a run, and the comparisons are ratios",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="parallel generate_archive runs (PostgreSQL)"
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="prepare the database, do not measure"
    )
    parser.add_argument(
        "--skip-migrate",
        action="store_true",
        help="do not migrate (a migration that rewrites every row can take long at 1M)",
    )
    return parser.parse_args()


# --- 1. The database ---------------------------------------------------------------------------


def prepare_database(args, env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone()
        if not exists:
            log(f"creating database {args.database}")
            conn.execute(f'CREATE DATABASE "{args.database}"')
    if args.skip_migrate:
        log("--skip-migrate: using the schema as it is")
    else:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    count = article_count(env)
    if count >= args.articles:
        log(f"{count} articles already there")
        return
    started = time.monotonic()
    if count == 0:
        # The first run creates the shared reference data (sources, gazetteer, thesaurus);
        # the parallel runs after it find and reuse them.
        generate(env, articles=min(1000, args.articles), seed=0)
        count = article_count(env)
    missing = args.articles - count
    jobs = max(1, min(args.jobs, missing // 1000 or 1))
    log(f"{count} articles: generating {missing} more in {jobs} parallel run(s)")
    # Each run has its own seed (the count it starts from, plus its index), so a database is
    # only ever extended and every generated slug stays unique.
    shares = [missing // jobs + (1 if i < missing % jobs else 0) for i in range(jobs)]
    runs = [
        generate(env, articles=share, seed=count + i, wait=False) for i, share in enumerate(shares)
    ]
    for run in runs:
        if run.wait() != 0:
            sys.exit("generate_archive failed")
    log(f"generated {missing} articles in {time.monotonic() - started:.0f}s")
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("ANALYZE")


def article_count(env: dict[str, str]) -> int:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as conn:
        return conn.execute("SELECT count(*) FROM archive_article").fetchone()[0]


def generate(env: dict[str, str], *, articles: int, seed: int, wait: bool = True):
    command = [PYTHON, "manage.py", "generate_archive", "--articles", str(articles)]
    command += ["--seed", str(seed), "--batch-size", "5000"]
    if not wait:
        return subprocess.Popen(command, cwd=ROOT, env=env)
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    return None


# --- 2. Targets and query counts (in-process) -------------------------------------------------


def cursor_at(position: str) -> str:
    """A cursor positioned at `position` of the list's ordering, as DRF encodes it."""
    query = urllib.parse.urlencode({"p": position})
    return base64.b64encode(query.encode("ascii")).decode("ascii")


def pick_targets() -> dict[str, str]:
    from django.db.models import Count

    from archive.models import Article, Collection, Place, Tag, Testimony

    published = Article.objects.published()
    article = published.exclude(published_on=None).order_by("-published_on", "-id")[
        published.count() // 3 : published.count() // 3 + 1
    ]
    article_slug = article[0].slug
    total = published.count()
    middle = (
        published.exclude(published_on=None)
        .order_by("-published_on", "-id")
        .values_list("published_on", flat=True)[total // 2]
    )
    collection = (
        Collection.objects.published()
        .annotate(n=Count("items"))
        .order_by("-n", "id")
        .values_list("slug", flat=True)
        .first()
    )
    # A place and a tag that share public testimonies: a selective but non-empty filter.
    public = Testimony.objects.public()
    place_id = (
        public.exclude(place=None)
        .values("place")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("place", flat=True)[5]
    )
    tag_id = (
        public.filter(place_id=place_id)
        .values("tags")
        .exclude(tags=None)
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("tags", flat=True)
        .first()
    )
    # And the least quoted place: where walking the date index to fill a page costs most.
    rare_place_id = (
        public.exclude(place=None)
        .values("place")
        .annotate(n=Count("id"))
        .order_by("n", "place")
        .values_list("place", flat=True)
        .first()
    )
    place = Place.objects.get(pk=place_id).slug
    tag = Tag.objects.get(pk=tag_id).slug
    return {
        "article": article_slug,
        "collection": collection,
        "place": place,
        "rare_place": Place.objects.get(pk=rare_place_id).slug,
        "tag": tag,
        "deep_cursor": cursor_at(middle.isoformat()),
    }


def endpoints(t: dict[str, str]) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, extra headers). Conditional requests get their ETag at run time."""
    return [
        ("baseline: hand-written article list", "/bench/articles/", {}),
        ("article list, first page", "/api/v1/articles/", {}),
        ("article list, deep cursor page", f"/api/v1/articles/?cursor={t['deep_cursor']}", {}),
        ("article detail (200)", f"/api/v1/articles/{t['article']}/", {}),
        ("article detail (304)", f"/api/v1/articles/{t['article']}/", {"etag": "1"}),
        ("testimony list, first page", "/api/v1/testimonies/", {}),
        (
            "testimony list, deep cursor page",
            f"/api/v1/testimonies/?cursor={t['deep_cursor']}",
            {},
        ),
        (
            "testimony list by place+tag",
            f"/api/v1/testimonies/?place={t['place']}&tag={t['tag']}",
            {},
        ),
        ("testimony list by a rare place", f"/api/v1/testimonies/?place={t['rare_place']}", {}),
        ("collection detail", f"/api/v1/collections/{t['collection']}/", {}),
        ("search", "/api/v1/search/?q=evacuation", {}),
        ("admin article changelist", "/admin/archive/article/", {"admin": "1"}),
        ("admin testimony changelist", "/admin/archive/testimony/", {"admin": "1"}),
    ]


def with_page_size(path: str, size: int) -> str:
    return f"{path}{'&' if '?' in path else '?'}page_size={size}"


def query_counts(t: dict[str, str]) -> dict[str, str]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ROOT_URLCONF = "bench.baseline_app"
    client = Client()
    counts = {}
    lists = {
        "baseline: hand-written article list": "/bench/articles/",
        "article list, first page": "/api/v1/articles/",
        "testimony list, first page": "/api/v1/testimonies/",
        "testimony list by place+tag": f"/api/v1/testimonies/?place={t['place']}&tag={t['tag']}",
    }
    for name, path in lists.items():
        found = []
        for size in (10, 100):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(with_page_size(path, size))
            found.append(str(len(queries)) if response.status_code == 200 else "-")
        counts[name] = " / ".join(found)
    return counts


def admin_session() -> str:
    """A superuser's session cookie, for the admin changelists."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


# --- 3. The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(args, env: dict[str, str], port: int, static_root: str) -> subprocess.Popen:
    server_env = {
        **env,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": static_root,
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "BENCH_BASELINE": "1",
        # The anonymous throttle would turn the benchmark into a 429 benchmark.
        "ANON_THROTTLE_RATE": "100000000/second",
        # Plain HTTP on loopback: secure cookies would keep the admin session from being sent.
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        # and every request would be redirected to HTTPS, which nothing serves here.
        "SECURE_SSL_REDIRECT": "false",
    }
    # The admin's pages need the hashed static files of a production build.
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=server_env,
        check=True,
    )
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "bench.wsgi:application"],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(tempfile.gettempdir()) / "bench-gunicorn.log", "w"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=5)
            return server
        except (urllib.error.URLError, ConnectionError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start; see bench-gunicorn.log") from None
            time.sleep(0.3)


# --- 4. The load ----------------------------------------------------------------------------


# A response slower than this is reported, not load-tested: wrk would only count timeouts.
SLOW_SECONDS = 5.0


def fetch(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """(status, headers); status 0 when the server timed out or dropped the connection."""
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)
    except (OSError, http.client.HTTPException):
        return 0, {}


def measure(args, base: str, name: str, path: str, headers: dict[str, str], script: str) -> Result:
    result = Result(name, path)
    url = base + path
    started = time.monotonic()
    status, response_headers = fetch(url, headers)
    elapsed = time.monotonic() - started
    if status != 200:
        result.note = f"skipped: HTTP {status or 'timeout/disconnect'} after {elapsed:.1f}s"
        return result
    if elapsed > SLOW_SECONDS:
        result.note = f"not load-tested: one response took {elapsed:.1f}s"
        return result
    if headers.pop("etag", None):
        etag = response_headers.get("ETag")
        if not etag:
            result.note = "skipped: no ETag"
            return result
        headers = {**headers, "If-None-Match": etag}
        status, _ = fetch(url, headers)
        if status != 304:
            result.note = f"skipped: If-None-Match answered {status}"
            return result
    for _ in range(4):  # warm up: connections, caches, both workers' first requests
        fetch(url, headers)
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "-s", script]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    requests, duration_us, p50, p95, errors = map(int, line.split()[1:])
    result.requests = requests
    result.rps = requests / (duration_us / 1e6)
    result.p50_ms, result.p95_ms, result.errors = p50 / 1000, p95 / 1000, errors
    return result


def median_round(measured: list[Result]) -> Result:
    """The round with the median throughput (its p50 and p95 with it); notes kept."""
    loaded = sorted((r for r in measured if r.requests), key=lambda r: r.rps)
    if not loaded:
        return measured[0]
    middle = loaded[len(loaded) // 2]
    rates = ", ".join(f"{r.rps:.0f}" for r in measured if r.requests)
    if len(loaded) > 1:
        middle.note = f"req/s by round: {rates} {middle.note}".strip()
    return middle


def print_table(
    results: list[Result],
    counts: dict[str, str],
    articles: int,
    rounds: dict[str, list[Result]] | None = None,
) -> None:
    print(
        f"\n{articles} articles · gunicorn 2 workers · wrk, see the command line for the load; "
        "each row is the median of its rounds\n"
    )
    header = (
        f"{'endpoint':36} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'queries 10/100':>15}  note"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r.errors:
            # wrk counts non-2xx/3xx answers and its own 2 s timeouts as errors.
            r.note = f"{r.errors} of {r.requests} requests failed or timed out {r.note}".strip()
        if r.requests:
            print(
                f"{r.name:36} {r.p50_ms:8.1f} {r.p95_ms:8.1f} {r.rps:8.1f} "
                f"{counts.get(r.name, ''):>15}  {r.note}"
            )
        else:
            print(f"{r.name:36} {'':8} {'':8} {'':8} {counts.get(r.name, ''):>15}  {r.note}")
    by_name = {r.name: r for r in results if r.requests}

    def ratio(a: str, b: str, attr: str) -> str:
        """The median over rounds of a/b measured in the same round (and the range)."""
        pairs = list(zip((rounds or {}).get(a, []), (rounds or {}).get(b, []), strict=False))
        found = sorted(
            getattr(x, attr) / getattr(y, attr)
            for x, y in pairs
            if x.requests and y.requests and getattr(y, attr)
        )
        if found:
            spread = f" (rounds: {found[0]:.2f}–{found[-1]:.2f})" if len(found) > 1 else ""
            return f"{found[len(found) // 2]:.2f}{spread}"
        if a in by_name and b in by_name and getattr(by_name[b], attr):
            return f"{getattr(by_name[a], attr) / getattr(by_name[b], attr):.2f}"
        return "n/a"

    base = "baseline: hand-written article list"
    print("\nTargets")
    checks = [
        ("article list req/s vs baseline (>= 0.5)", ratio("article list, first page", base, "rps")),
        (
            "testimony list req/s vs baseline (>= 0.5)",
            ratio("testimony list, first page", base, "rps"),
        ),
        (
            "article deep / first page p50 (<= 1.2)",
            ratio("article list, deep cursor page", "article list, first page", "p50_ms"),
        ),
        (
            "testimony deep / first page p50 (<= 1.2)",
            ratio("testimony list, deep cursor page", "testimony list, first page", "p50_ms"),
        ),
        ("304 / 200 p50 (<= 0.3)", ratio("article detail (304)", "article detail (200)", "p50_ms")),
    ]
    for label, value in checks:
        print(f"  {label:45} {value}")


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install -y wrk).")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DATABASE_URL": f"{args.pg}/{args.database}",
        "PYTHONPATH": str(ROOT),
        # One key for this process and the server: the admin session made here must be valid
        # there.
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    env.pop("DATABASE_REPLICA_URL", None)
    if args.cache_url:
        env["CACHE_URL"] = args.cache_url
    prepare_database(args, env)
    if args.generate_only:
        return

    os.environ.update(env)
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["ANON_THROTTLE_RATE"] = "100000000/second"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from archive.models import Article

    articles = Article.objects.count()
    targets = pick_targets()
    log(f"targets: {targets}")
    counts = query_counts(targets)
    cookie = admin_session()

    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    log(f"starting gunicorn on {base}")
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    server = start_server(args, env, port, static_root)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    selected = []
    for name, path, headers in endpoints(targets):
        if only and not any(o in name for o in only):
            continue
        if headers.pop("admin", None):
            headers = {**headers, "Cookie": f"sessionid={cookie}"}
        selected.append((name, path, headers))
    rounds: dict[str, list[Result]] = {name: [] for name, _, _ in selected}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_REPORT)
    try:
        # Round after round over every endpoint, so that a drift in the machine's speed
        # touches the baseline and the endpoints compared with it alike.
        for round_number in range(1, max(1, args.rounds) + 1):
            for name, path, headers in selected:
                log(f"round {round_number}/{args.rounds} {name}: {path}")
                rounds[name].append(measure(args, base, name, path, dict(headers), script.name))
    except KeyboardInterrupt:
        log("interrupted: the table has what was measured so far")
    finally:
        server.terminate()
        server.wait(timeout=30)
        os.unlink(script.name)
        shutil.rmtree(static_root, ignore_errors=True)
    results = [median_round(measured) for measured in rounds.values() if measured]
    print_table(results, counts, articles, rounds)


if __name__ == "__main__":
    main()
