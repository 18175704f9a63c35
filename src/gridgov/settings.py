"""Django settings for gridgov.

Everything that differs between machines comes from the environment:

- ``GRIDGOV_DATA_DIR``: where the SQLite database, uploads, collected static files and the
  generated secret key live (default ``./var``).
- ``DATABASE_URL``: a PostgreSQL URL for production; SQLite in the data directory otherwise.
- ``GRIDGOV_PROFILE``: ``local`` (default) or ``production``. The production profile refuses to
  start without ``GRIDGOV_SECRET_KEY`` and ``GRIDGOV_ALLOWED_HOSTS`` and turns on every HTTPS
  protection, so that ``manage.py check --deploy`` reports nothing.
- ``GRIDGOV_DEBUG``: ``1`` for Django's debug pages (local profile only).
- ``GRIDGOV_TILE_URL`` / ``GRIDGOV_TILE_ATTRIBUTION``: an optional base-map tile layer, e.g.
  Tianditu with your key. Without it the map draws the grid polygons on a blank background.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("GRIDGOV_DATA_DIR", "var")).resolve()
PROFILE = os.environ.get("GRIDGOV_PROFILE", "local")
if PROFILE not in {"local", "production"}:
    raise ImproperlyConfigured(f"GRIDGOV_PROFILE must be 'local' or 'production', not {PROFILE!r}")
PRODUCTION = PROFILE == "production"


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    """A per-installation key kept in the data directory, so sessions survive restarts."""
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


if PRODUCTION:
    SECRET_KEY = os.environ.get("GRIDGOV_SECRET_KEY", "")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("production needs GRIDGOV_SECRET_KEY of at least 50 characters")
    ALLOWED_HOSTS = _env_list("GRIDGOV_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("production needs GRIDGOV_ALLOWED_HOSTS (comma-separated)")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("GRIDGOV_SECRET_KEY") or _local_secret_key()
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", *_env_list("GRIDGOV_ALLOWED_HOSTS")]
    DEBUG = os.environ.get("GRIDGOV_DEBUG") == "1"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "gridgov.accounts",
    "gridgov.grids",
    "gridgov.cases",
    "gridgov.ops",
    "gridgov.open311",
    "gridgov.economy",
    "gridgov.projects",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "gridgov.dbbackends.sqlite",  # SQLite whose writers queue (see its docstring)
            "NAME": DATA_DIR / "gridgov.sqlite3",
            # Keep each server thread's connection: opening one costs more than most requests
            # (SQLite reads the whole schema and the WAL pragmas run again).
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at
                # BEGIN so concurrent transactions queue instead of failing with "database is locked".
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "grids:map"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]  # project-wide CSS and vendored JS libraries
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the app folders when static files have not been collected (tests, dev).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Map settings passed to the page; no base map is needed.
GRIDGOV_TILE_URL = os.environ.get("GRIDGOV_TILE_URL", "")
GRIDGOV_TILE_ATTRIBUTION = os.environ.get("GRIDGOV_TILE_ATTRIBUTION", "")

# Background tasks (django-tasks). The immediate backend runs a task in the caller; a deployment
# that wants a queue installs django-tasks-db and sets "django_tasks_db.DatabaseBackend" here.
# Reminders do not need a queue: run `gridgov remind` from cron every 5 minutes.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Where reminders and other notices go: classes with send(user, case, kind, text).
GRIDGOV_NOTIFICATION_CHANNELS = ["gridgov.cases.notifications.InAppChannel"]
# A thread in each server process turns queued Open311 POSTs into cases (open311/worker.py).
GRIDGOV_OPEN311_WORKER = os.environ.get("GRIDGOV_OPEN311_WORKER", "1") != "0"
# Mark cases overdue by more than their step's time limit as supervised (督办).
GRIDGOV_AUTO_SUPERVISE = True

# `gridgov bench intake` turns on an endpoint that commits one row per POST (ops/views.py).
GRIDGOV_BENCH_ENDPOINTS = not PRODUCTION and os.environ.get("GRIDGOV_BENCH_ENDPOINTS") == "1"

# Public intake (resident form, Open311 POST) per client; "" turns the limit off. See cases/ratelimit.py.
GRIDGOV_INTAKE_RATE = os.environ.get("GRIDGOV_INTAKE_RATE", "20/h")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("GRIDGOV_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = _env_list("GRIDGOV_CSRF_TRUSTED_ORIGINS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
