"""Production settings refuse an unsafe configuration, with a message that says what to set."""

import os
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
