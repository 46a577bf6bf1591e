"""gunicorn configuration for the archive (`gunicorn newsroom.wsgi`, read from this file).

Everything a deployment tunes comes from the environment, so one file serves a laptop, a
container and a VM:

    WEB_CONCURRENCY      worker processes (default: 2 x CPU cores + 1)
    GUNICORN_THREADS     threads per worker (default 1: sync workers; more uses gthread)
    GUNICORN_BIND        address to listen on (default 127.0.0.1:$PORT, PORT default 8000)
    GUNICORN_TIMEOUT     seconds before a silent worker is killed and replaced (default 30)
    GUNICORN_ACCESS_LOG  where to write the access log ("-" for stdout); off by default, since
                         the load balancer in front already logs every request
    FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)
"""

import multiprocessing
import os

wsgi_app = "newsroom.wsgi:application"

# Loopback unless told otherwise: the proxy in front, on the same machine, is the way in.
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
# gunicorn's own sync and gthread workers, answering their own errors (414, 431, 400) in JSON.
worker_class = (
    "newsroom.gunicorn_workers.JSONErrorsThreadWorker"
    if threads > 1
    else "newsroom.gunicorn_workers.JSONErrorsSyncWorker"
)

timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
# Behind a load balancer, keep idle connections a little longer than its own idle timeout
# would need to reuse them, but not so long that they pin sync workers.
keepalive = 5

# Recycle workers now and then so a slow leak cannot grow without bound; the jitter keeps them
# from all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 10000)
max_requests_jitter = max_requests // 10

# Load Django once in the master: workers fork with the app already imported (faster starts,
# shared memory) and a broken configuration (newsroom.checks) fails before any worker starts.
preload_app = True

accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def _logs_json() -> bool:
    # As newsroom.settings decides LOG_FORMAT (json by default when DEBUG is off), without
    # importing Django here.
    log_format = os.environ.get("LOG_FORMAT", "").strip().lower()
    if log_format:
        return log_format == "json"
    debug = os.environ.get("DEBUG", "true").strip().lower()
    return debug not in {"true", "on", "ok", "y", "yes", "1"}


if _logs_json():
    logger_class = "newsroom.gunicorn_workers.JSONLinesLogger"


def post_fork(server, worker):
    # With preload_app, a database connection opened in the master (by an import-time query)
    # would be shared by every forked worker; each worker must open its own.
    from django.db import connections

    connections.close_all()


def child_exit(server, worker):
    # Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR): drop a dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
