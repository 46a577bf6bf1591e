"""Settings for the newsroom archive.

Everything that differs between a laptop and production comes from the environment, read
through one helper (django-environ). The defaults are safe for local development only; with
DEBUG off, `newsroom.checks` refuses to start on an unsafe configuration.
"""

import logging
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from newsroom.clients import parse_networks

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def networks_setting(name: str, default: list[str]) -> list[str]:
    """A list of addresses or CIDR networks, checked here so that a typo stops the start."""
    values = env.list(name, default=default)
    try:
        parse_networks(values)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc} (expected addresses or CIDR networks).") from exc
    return values


# Used only when DEBUG is on; the production check refuses to start with it.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-do-not-use-in-production"

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Proxies (addresses or CIDR networks) whose X-Forwarded-For is believed when they are the hop
# that handed us the request: see newsroom.clients. None by default, so a client cannot choose
# the address it is throttled and logged under.
TRUSTED_PROXIES = networks_setting("TRUSTED_PROXIES", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_rq",
    "newsroom",
    "archive",
]

MIDDLEWARE = [
    "newsroom.requestid.RequestIdMiddleware",
    "newsroom.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "archive.middleware.NormalisePostedTextMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
CSRF_FAILURE_VIEW = "newsroom.errors.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "newsroom" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the development server read while a management command writes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

# A read replica (PostgreSQL streaming replication, say): newsroom.routers sends reads there and
# keeps writes, and reads inside a write transaction, on the primary. In tests it mirrors the
# primary, so the routing is exercised without a second server.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    for option in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        if option in DATABASES["default"]:
            DATABASES["replica"].setdefault(option, DATABASES["default"][option])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["newsroom.routers.PrimaryReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default=env.str("REDIS_URL", default="locmemcache://"))}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic gathers the files whitenoise serves (a per-release directory in deploys).
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["archive.filters.ArchiveFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["newsroom.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env.str("ANON_THROTTLE_RATE", default="120/minute")},
    "EXCEPTION_HANDLER": "archive.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Newsroom archive API",
    "DESCRIPTION": "Dispatches from the front and the testimonies of the people in them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `kind`; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "PersonKindEnum": "archive.models.Person.Kind",
        "PlaceKindEnum": "archive.models.Place.Kind",
        "PlaceNameKindEnum": "archive.models.PlaceName.Kind",
        "PlaceFactKindEnum": "archive.models.PlaceFact.Kind",
        "SourceKindEnum": "archive.models.Source.Kind",
    },
}

CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"

# HTTPS in production: on by default when DEBUG is off, each part tunable from the environment.
# The proxy in front terminates TLS and says so in X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER
# names the header; empty to believe none). Load balancers probe the health endpoints over
# plain HTTP: they are not redirected.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
if not DEBUG:
    _proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto")
    if _proxy_ssl_header:
        SECURE_PROXY_SSL_HEADER = (
            "HTTP_" + _proxy_ssl_header.upper().replace("-", "_"),
            "https",
        )
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

# One handler, on the root logger: Django's loggers only propagate to it (Django's own console
# handler would print every line a second time). LOG_FORMAT=json (the default when DEBUG is off)
# writes one JSON object a line for the log collector; text is for a terminal. Every line
# carries the request id and client address (newsroom.requestid) of the request being handled,
# or "-".
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
# Python warnings (a library's UserWarning at start-up) are log lines too, in the same format.
logging.captureWarnings(True)
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json").lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "newsroom.requestid.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(client)s] %(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(client)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # runserver's request lines: kept on a terminal, through the one handler.
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# Prometheus metrics at /metrics (newsroom.metrics): off unless METRICS_ENABLED, and then only for
# scrapers at these addresses or networks (loopback by default).
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_ALLOWED_IPS = networks_setting("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])

# The largest capture the importer accepts, in bytes (the command and the admin page alike).
INGEST_MAX_BYTES = env.int("INGEST_MAX_BYTES", default=2 * 1024 * 1024)
# Bounds on one capture's work: quote marks read, testimonies proposed (refused beyond them).
INGEST_MAX_QUOTE_MARKS = env.int("INGEST_MAX_QUOTE_MARKS", default=2000)
INGEST_MAX_PROPOSALS = env.int("INGEST_MAX_PROPOSALS", default=500)

# Background jobs (archive.jobs) on an RQ queue in Redis; workers: `manage.py rqworker default`.
# Without a Redis URL a job runs at once in the process that starts it (a laptop).
JOBS_REDIS_URL = env.str("JOBS_REDIS_URL", default=env.str("REDIS_URL", default=""))
# How long one job may run before its worker stops it (a fixity check at a million articles
# takes minutes; a batch import of hundreds of files, as long).
JOBS_TIMEOUT = env.int("JOBS_TIMEOUT", default=6 * 3600)
# django-rq's queue dashboard in the admin (superusers), only where there is a queue to show.
RQ_SHOW_ADMIN_LINK = bool(JOBS_REDIS_URL)
RQ_QUEUES = {
    "default": {
        "URL": JOBS_REDIS_URL or "redis://127.0.0.1:6379/0",
        "DEFAULT_TIMEOUT": JOBS_TIMEOUT,
    }
}
# A batch import in the admin (several files, or a zip): at most this many files and bytes.
INGEST_MAX_BATCH_FILES = env.int("INGEST_MAX_BATCH_FILES", default=500)
INGEST_MAX_BATCH_BYTES = env.int("INGEST_MAX_BATCH_BYTES", default=200 * 1024 * 1024)
