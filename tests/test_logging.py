"""Logs: each event written once, JSON lines in production, the request id in every line."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

ROOT = Path(__file__).resolve().parent.parent
EMIT = (
    "import django, logging; django.setup(); "
    "logging.getLogger('django.request').warning('Not Found: /somewhere'); "
    "logging.getLogger('archive').error('an archive event')"
)


def emitted_lines(**env) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", EMIT],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stderr.splitlines()


def test_each_event_is_logged_once_on_a_development_terminal():
    lines = emitted_lines(DEBUG="true")

    assert len(lines) == 2
    assert "Not Found: /somewhere" in lines[0]
    assert "an archive event" in lines[1]


def test_production_logs_one_json_object_per_event():
    lines = emitted_lines(DEBUG="false", SECRET_KEY="s" * 60, ALLOWED_HOSTS="archive.example.org")

    records = [json.loads(line) for line in lines]
    assert [(r["level"], r["logger"], r["message"]) for r in records] == [
        ("WARNING", "django.request", "Not Found: /somewhere"),
        ("ERROR", "archive", "an archive event"),
    ]
    assert all(r["request_id"] == "-" and r["client"] == "-" and r["time"] for r in records)


def test_log_format_chooses_json_on_a_development_machine_too():
    lines = emitted_lines(DEBUG="true", LOG_FORMAT="json")

    assert json.loads(lines[0])["message"] == "Not Found: /somewhere"


@pytest.fixture
def json_log():
    """The root console handler, writing JSON into a buffer for the test."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream, formatter = handler.stream, handler.formatter
    buffer = io.StringIO()
    handler.setStream(buffer)
    handler.setFormatter(
        JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s %(client)s")
    )
    yield buffer
    handler.setStream(stream)
    handler.setFormatter(formatter)


@pytest.mark.django_db
def test_the_request_id_in_the_header_the_error_body_and_the_log_line_is_the_same(json_log):
    response = Client().get("/api/v1/no-such-endpoint/")

    records = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert response.status_code == 404
    assert len(records) == 1
    assert records[0]["name"] == "django.request"
    assert records[0]["request_id"] == response["X-Request-ID"] == response.json()["request_id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("remote", "forwarded", "logged"),
    [
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
    ],
    ids=["spoofed header ignored", "through the trusted proxy"],
)
def test_log_lines_name_the_client_address_the_throttle_uses(
    json_log, settings, remote, forwarded, logged
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    Client(REMOTE_ADDR=remote).get("/api/v1/no-such-endpoint/", HTTP_X_FORWARDED_FOR=forwarded)

    [record] = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert record["client"] == logged
