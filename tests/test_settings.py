"""Production settings refuse an unsafe configuration, with a message that says what to set."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from newsroom.checks import UnsafeConfiguration, refuse_unsafe_configuration, unsafe_settings_errors

ROOT = Path(__file__).resolve().parent.parent
SAFE_KEY = "x" * 50


def run(code_or_args: list[str], **env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "archive.example.org"}, "SECRET_KEY"),
        (
            {
                "DEBUG": "false",
                "ALLOWED_HOSTS": "archive.example.org",
                "SECRET_KEY": "django-insecure-development-only-do-not-use-in-production",
            },
            "SECRET_KEY",
        ),
        ({"DEBUG": "false", "SECRET_KEY": SAFE_KEY}, "ALLOWED_HOSTS"),
    ],
)
def test_management_commands_refuse_to_start_on_unsafe_production_settings(env, expected):
    result = run(["manage.py", "check"], **env)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Set the" in result.stderr or "Set ALLOWED_HOSTS" in result.stderr


def test_the_wsgi_application_refuses_to_load_without_a_secret_key():
    result = run(["-c", "import newsroom.wsgi"], DEBUG="false", ALLOWED_HOSTS="a.example.org")
    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_a_safe_production_configuration_starts():
    result = run(
        ["manage.py", "check"], DEBUG="false", SECRET_KEY=SAFE_KEY, ALLOWED_HOSTS="a.example.org"
    )
    assert result.returncode == 0, result.stderr


def test_development_defaults_are_accepted_only_with_debug_on(settings):
    settings.DEBUG = True
    assert unsafe_settings_errors() == []
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = []
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    assert {e.id for e in unsafe_settings_errors()} == {"newsroom.E001", "newsroom.E002"}
    with pytest.raises(UnsafeConfiguration, match="ALLOWED_HOSTS"):
        refuse_unsafe_configuration()


def documented_production_environment() -> dict[str, str]:
    """The settings of the README's production recipe (step 5), the secret generated as there."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("cat > /etc/archive/archive.env <<END\n", 1)[1].split("\nEND\n", 1)[0]
    env = dict(line.split("=", 1) for line in block.splitlines())
    assert env["SECRET_KEY"].startswith("$(python3 -c")
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_the_documented_production_environment_passes_check_deploy_without_a_warning():
    env = documented_production_environment()
    assert env["DEBUG"] == "false"

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_https_redirect_hsts_and_secure_cookies_by_default():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER]))"
    )
    env = {"DJANGO_SETTINGS_MODULE": "newsroom.settings"}
    production = run(["-c", code], DEBUG="false", SECRET_KEY=SAFE_KEY, ALLOWED_HOSTS="a", **env)
    tuned = run(
        ["-c", code],
        DEBUG="false",
        SECRET_KEY=SAFE_KEY,
        ALLOWED_HOSTS="a",
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="0",
        SECURE_PROXY_SSL_HEADER="X-Scheme",
        **env,
    )

    assert json.loads(production.stdout) == [
        True,
        31536000,
        True,
        True,
        True,
        ["HTTP_X_FORWARDED_PROTO", "https"],
    ]
    assert json.loads(tuned.stdout)[:2] == [False, 0]
    assert json.loads(tuned.stdout)[5] == ["HTTP_X_SCHEME", "https"]


@pytest.mark.django_db
def test_probes_are_not_redirected_to_https_but_everything_else_is(settings):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    client = Client()

    assert client.get("/api/v1/").status_code == 301
    assert client.get("/health/live/").status_code == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TRUSTED_PROXIES", "10.0.0.0/8,proxy.internal"),
        ("METRICS_ALLOWED_IPS", "300.1.1.1"),
        ("LOG_FORMAT", "yaml"),
    ],
)
def test_a_malformed_operations_setting_stops_the_start_naming_it(name, value):
    result = run(["manage.py", "check"], **{name: value})

    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name}" in result.stderr
