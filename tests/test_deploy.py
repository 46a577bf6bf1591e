"""Production deployment: gunicorn's configuration, static files through whitenoise, the cache
from CACHE_URL. These start real processes with the environment a deployment would set."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "test-deploy-" + "k" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
}
REDIS = ("127.0.0.1", 6379)
ADMIN_ONLY = ("-i", "drf_spectacular_sidecar", "-i", "rest_framework")


def environment(**env) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"WEB_CONCURRENCY", "GUNICORN_BIND", "GUNICORN_ACCESS_LOG", "CACHE_URL"}
    }
    return {**base, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env}


def settings_value(expression: str, **env):
    """The JSON value of `expression` (over `settings`) in a fresh process with this env."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expression}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def gunicorn_config(**env) -> dict[str, str]:
    result = subprocess.run(
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--print-config"],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    config = {}
    for line in result.stdout.splitlines():
        name, _, value = line.partition("=")
        config[name.strip()] = value.strip()
    return config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


def test_gunicorn_takes_its_worker_count_from_web_concurrency():
    assert gunicorn_config(WEB_CONCURRENCY="3")["workers"] == "3"
    threaded = gunicorn_config(WEB_CONCURRENCY="7", GUNICORN_THREADS="4")["worker_class"]
    assert threaded == "newsroom.gunicorn_workers.JSONErrorsThreadWorker"


def test_gunicorn_defaults_preload_the_app_and_keep_the_access_log_off():
    config = gunicorn_config()

    assert config["wsgi_app"] == "newsroom.wsgi:application"
    assert config["preload_app"] == "True"
    assert config["accesslog"] == "None"
    assert config["timeout"] == "30"
    assert config["bind"] == "['127.0.0.1:8000']"
    assert int(config["workers"]) >= 3
    assert gunicorn_config(GUNICORN_BIND="127.0.0.1:9001")["bind"] == "['127.0.0.1:9001']"
    assert gunicorn_config(GUNICORN_ACCESS_LOG="-")["accesslog"] == "-"


def test_production_static_storage_is_compressed_and_hashed():
    backend = settings_value("settings.STORAGES['staticfiles']['BACKEND']", **PRODUCTION)

    assert backend == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_gunicorn_serves_collected_static_files_with_far_future_cache_headers(tmp_path):
    env = environment(
        **PRODUCTION,
        STATIC_ROOT=str(tmp_path / "static"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        WEB_CONCURRENCY="1",
        GUNICORN_BIND=f"127.0.0.1:{(port := free_port())}",
    )
    # The admin's files are enough to prove the pipeline, and much quicker to compress.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0", *ADMIN_ONLY],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    # As the TLS proxy in front says; plain HTTP would be redirected to HTTPS.
    https = {"X-Forwarded-Proto": "https"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"{base}/static/{hashed}", headers=https), timeout=2
                )
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)

        request = urllib.request.Request(
            f"{base}/static/{hashed}", headers={"Accept-Encoding": "gzip", **https}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
            assert "max-age=315360000" in response.headers["Cache-Control"]
            assert "immutable" in response.headers["Cache-Control"]
            assert response.headers["Content-Encoding"] == "gzip"
        unhashed = urllib.request.Request(f"{base}/static/admin/css/base.css", headers=https)
        with urllib.request.urlopen(unhashed, timeout=5) as response:
            # The unhashed name may change content on the next deploy: short caching only.
            assert "immutable" not in response.headers["Cache-Control"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_redis_cache_url_configures_djangos_redis_cache():
    cache = settings_value("settings.CACHES['default']", CACHE_URL="redis://127.0.0.1:6379/3")

    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_redis_url_is_used_when_cache_url_is_not_set():
    cache = settings_value("settings.CACHES['default']", REDIS_URL="redis://127.0.0.1:6379/4")

    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.skipif(not redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_the_redis_cache_round_trips_a_value():
    from django.core.cache.backends.redis import RedisCache

    # Its own key prefix, so the test can never read or clobber another process's keys.
    cache = RedisCache("redis://127.0.0.1:6379/0", {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    try:
        cache.set("answer", {"articles": 1_000_000}, timeout=30)
        assert cache.get("answer") == {"articles": 1_000_000}
        assert cache.get("missing", "absent") == "absent"
    finally:
        cache.delete("answer")
        cache.close()


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """gunicorn with the production settings on a free loopback port, one worker."""
    tmp = tmp_path_factory.mktemp("server")
    env = environment(
        **PRODUCTION,
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp / "static"),
        WEB_CONCURRENCY="1",
        GUNICORN_BIND=f"127.0.0.1:{(port := free_port())}",
    )
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.2)
    try:
        yield port, tmp / "gunicorn.log"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def raw_request(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/v1/?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (b"GET /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"NONSENSE\r\n\r\n", 400),
    ],
    ids=["long request line", "large header", "malformed"],
)
def test_gunicorns_own_errors_are_json(production_server, request_bytes, status):
    got, headers, body = raw_request(production_server[0], request_bytes)

    assert got == status
    assert headers["content-type"] == "application/json"
    error = json.loads(body)
    assert error["status"] == status
    assert error["detail"]
    assert error["request_id"] == headers["x-request-id"]


def test_a_host_not_allowed_gets_json_through_gunicorn(production_server):
    status, headers, body = raw_request(
        production_server[0], b"GET /api/v1/ HTTP/1.0\r\nHost: evil.example\r\n\r\n"
    )

    assert status == 400
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["request_id"] == headers["x-request-id"]


def test_in_production_gunicorns_own_log_lines_are_json_too(production_server):
    port, log = production_server
    raw_request(port, b"NONSENSE\r\n\r\n")

    lines = log.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    assert any("Invalid request" in r["message"] for r in records)


RUNTIME_ONLY = """
import importlib, importlib.abc, pkgutil, sys

DEV = {"pytest", "_pytest", "pytest_django", "factory", "hypothesis", "playwright",
       "schemathesis", "openapi_spec_validator"}

class RefuseDevPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in DEV:
            raise ImportError(f"a test tool imported at run time: {name}")

sys.meta_path.insert(0, RefuseDevPackages())
import django
django.setup()
import archive, newsroom
for package in (archive, newsroom):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
from django.core.management import call_command
call_command("check")
print("runtime only: ok")
"""


def test_the_archive_runs_without_any_test_tool_installed():
    # README command 1 installs the runtime dependencies only: nothing the archive imports
    # (every module of both packages, the URLs, the checks) may need a [dev] package.
    result = subprocess.run(
        [sys.executable, "-c", RUNTIME_ONLY],
        cwd=ROOT,
        env=environment(DATABASE_URL="sqlite:///:memory:"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "runtime only: ok" in result.stdout
