"""Refuse to run on an unsafe production configuration.

These are Django system checks of level ERROR tagged `deploy`-independent, so `runserver`,
`migrate`, gunicorn (through `newsroom.wsgi`) and every management command stop with a message
that says what to set.
"""

from django.conf import settings
from django.core.checks import Error, register


@register()
def production_settings_are_safe(app_configs=None, **kwargs) -> list[Error]:
    return unsafe_settings_errors()


def unsafe_settings_errors() -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    if not settings.SECRET_KEY or settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        errors.append(
            Error(
                "SECRET_KEY is missing or is the development default while DEBUG is off.",
                hint="Set the SECRET_KEY environment variable to a long random value, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'.",
                id="newsroom.E001",
            )
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "ALLOWED_HOSTS is empty while DEBUG is off.",
                hint="Set ALLOWED_HOSTS to a comma-separated list of the host names this "
                "archive is served under, e.g. ALLOWED_HOSTS=archive.example.org.",
                id="newsroom.E002",
            )
        )
    return errors


class UnsafeConfiguration(RuntimeError):
    pass


def refuse_unsafe_configuration() -> None:
    """Called from wsgi/asgi: a server process must not start, not merely warn."""
    errors = unsafe_settings_errors()
    if errors:
        lines = [f"{e.msg} {e.hint}" for e in errors]
        raise UnsafeConfiguration("Refusing to start:\n  " + "\n  ".join(lines))
