"""Metrics for operators in the Prometheus text format (prometheus-client), at `/metrics`.

Per view (the URL pattern's name, so the number of series stays bounded whatever paths clients
invent): requests answered by method and status, the time to answer, and the time spent in the
database and the number of queries for each request.

`/metrics` answers only when `METRICS_ENABLED` is on, and only to a client whose address
(`newsroom.clients.client_address`) is in `METRICS_ALLOWED_IPS` (loopback by default); a request
relayed by a proxy that is not trusted is refused, since its peer address says nothing about
the client. Everyone else gets the same JSON 404 as for a path that does not exist.

With several gunicorn workers, set `PROMETHEUS_MULTIPROC_DIR` to an empty directory writable by
the workers (cleared at each start): every worker then writes its samples there and `/metrics`
adds them up, whichever worker answers the scrape.
"""

from __future__ import annotations

import ipaddress
import os
import time
from contextlib import ExitStack

from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from newsroom.clients import client_address, is_trusted_proxy
from newsroom.errors import page_not_found

REQUESTS = Counter(
    "newsroom_http_requests",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "newsroom_http_request_duration_seconds",
    "Time to answer a request, by view and method.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DATABASE_TIME = Histogram(
    "newsroom_db_duration_seconds",
    "Time a request spent in the database (all queries), by view.",
    ["view"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
DATABASE_QUERIES = Counter(
    "newsroom_db_queries", "SQL queries run while answering requests, by view.", ["view"]
)


class _DatabaseTimer:
    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def view_label(request) -> str:
    """The URL pattern's name; "static" for whitenoise's files, answered before any URL is
    resolved; "unmatched" for anything else no pattern names."""
    match = getattr(request, "resolver_match", None)
    if match and match.view_name:
        return match.view_name
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timer = _DatabaseTimer()
        started = time.perf_counter()
        with ExitStack() as stack:
            for alias in connections:
                stack.enter_context(connections[alias].execute_wrapper(timer))
            response = self.get_response(request)
        view = view_label(request)
        LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(view, request.method, str(response.status_code)).inc()
        DATABASE_TIME.labels(view).observe(timer.seconds)
        DATABASE_QUERIES.labels(view).inc(timer.queries)
        return response


def _allowed(request) -> bool:
    if not settings.METRICS_ENABLED:
        return False
    meta = request.META
    if meta.get("HTTP_X_FORWARDED_FOR") and not is_trusted_proxy(meta.get("REMOTE_ADDR", "")):
        return False
    try:
        address = ipaddress.ip_address(client_address(meta))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(allowed, strict=False)
        for allowed in settings.METRICS_ALLOWED_IPS
    )


def metrics_view(request):
    if not _allowed(request):
        return page_not_found(request)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
