"""Django settings for gridgov.

Everything that differs between machines comes from the environment:

- ``GRIDGOV_DATA_DIR``: where the SQLite database, uploads, collected static files and the
  generated secret key live (default ``./var``).
- ``DATABASE_URL``: a PostgreSQL URL for production; SQLite in the data directory otherwise.
- ``GRIDGOV_PROFILE``: ``local`` (default) or ``production``. The production profile refuses to
  start without ``GRIDGOV_SECRET_KEY`` and ``GRIDGOV_ALLOWED_HOSTS`` and turns on every HTTPS
  protection, so that ``manage.py check --deploy`` reports nothing.
- ``GRIDGOV_DEBUG``: ``1`` for Django's debug pages (local profile only).
- ``GRIDGOV_DATA_KEY``: the keys that encrypt personal data at rest (else the data dir's
  ``data_key`` file); see gridgov/crypto.py.
- ``GRIDGOV_TILE_URL`` / ``GRIDGOV_TILE_ATTRIBUTION``: an optional base-map tile layer, e.g.
  Tianditu with your key. Without it the map draws the grid polygons on a blank background.
- ``GRIDGOV_IDLE_TIMEOUT_MINUTES`` (default 30) and ``GRIDGOV_SESSION_LIFETIME_HOURS`` (default
  12): a signed-in session ends after this long without a request, and after this long in all.
- ``GRIDGOV_LOGIN_FAILURE_LIMIT`` (default 5) and ``GRIDGOV_LOCKOUT_MINUTES`` (default 30; 0 locks
  until the security administrator unlocks): failed log-ins per account and per address before
  the log-in is locked.
"""

import os
import secrets
from datetime import timedelta
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
    "gridgov.accounts.apps.GridgovAdminConfig",  # django.contrib.admin, every change audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "gridgov.accounts",
    "gridgov.grids",
    "gridgov.cases",
    "gridgov.ops",
    "gridgov.open311",
    "gridgov.evaluation",
    "gridgov.economy",
    "gridgov.projects",
    "gridgov.services",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.middleware.CompressTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gridgov.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridgov.accounts.middleware.SecurityGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "gridgov.middleware.SecurityHeadersMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
            "NAME": str(DATA_DIR / "gridgov.sqlite3"),
            # Keep each server thread's connection: opening one costs more than most requests
            # (SQLite reads the whole schema and the WAL pragmas run again).
            "CONN_MAX_AGE": None,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at
                # BEGIN so concurrent transactions queue instead of failing with "database is locked".
                # A larger page cache and memory-mapped reads (PRAGMA cache_size=-64000,
                # mmap_size=268435456) were measured for the services statistics and the
                # evaluation and left out: no faster (100,000 applications, medians of 9: 666 ms
                # default, 739 ms cache, 684 ms mmap, 767 ms both; CPU 331 / 394 / 366 / 396 ms),
                # the pages being in the OS cache already, and 64 MB per connection would cost up
                # to 512 MB at serve's 2 workers x 4 threads. See benchmarks/README.md (services).
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # The tests' database is in memory (SQLite's default, said out loud so that
            # pytest-xdist's per-worker suffix leaves it alone: each worker is its own process).
            "TEST": {"NAME": ":memory:"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes first (it refuses locked-out log-ins before a password is checked), then the
# role-based permissions of the three administrators (accounts/permissions.py).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "gridgov.accounts.permissions.RoleBackend"]
# Password complexity (accounts/validators.py): 10 characters or more, three kinds of characters.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gridgov.accounts.validators.CharacterKindsValidator", "OPTIONS": {"min_kinds": 3}},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # evaluation.views.home: the dashboard for leaders, the map for others
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

# What one uploaded photo may cost (cases/photos.py; worst accepted file in benchmarks/README.md):
# file size, pixels in the header, and pixels actually decoded (a larger JPEG is decoded at a
# reduced scale; a larger PNG or WebP is refused).
GRIDGOV_PHOTO_MAX_BYTES = int(os.environ.get("GRIDGOV_PHOTO_MAX_BYTES", 20 * 1024 * 1024))
# Largest PDF an applicant may upload as a service material (images follow the photo limits).
GRIDGOV_MATERIAL_MAX_BYTES = int(os.environ.get("GRIDGOV_MATERIAL_MAX_BYTES", 10 * 1024 * 1024))
GRIDGOV_PHOTO_MAX_PIXELS = int(os.environ.get("GRIDGOV_PHOTO_MAX_PIXELS", 52_000_000))
GRIDGOV_PHOTO_MAX_DECODED_PIXELS = int(os.environ.get("GRIDGOV_PHOTO_MAX_DECODED_PIXELS", 16_000_000))
# Where uploaded photos wait, as received (EXIF and GPS included), for the process_photo task that
# cleans them into MEDIA_ROOT: outside MEDIA_ROOT and served by nothing; the workers and the web
# server must share it.
GRIDGOV_PHOTO_PENDING_DIR = Path(os.environ.get("GRIDGOV_PHOTO_PENDING_DIR", DATA_DIR / "pending-photos")).resolve()

# Background tasks (django-tasks; gridgov/background.py). The database queue of django-tasks-db
# by default: `gridgov serve` / `gridgov demo` start its worker, which processes uploaded photos
# and runs reminders and photo sweeps on their schedule.
# GRIDGOV_TASKS_BACKEND=django_tasks_rq.RQBackend (with the django-tasks-rq package installed and
# GRIDGOV_REDIS_URL) runs the same tasks on RQ workers.
GRIDGOV_TASKS_BACKEND = os.environ.get("GRIDGOV_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
TASKS = {"default": {"BACKEND": GRIDGOV_TASKS_BACKEND}}
if GRIDGOV_TASKS_BACKEND == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": os.environ.get("GRIDGOV_REDIS_URL", "redis://127.0.0.1:6379/0")}}
# How often the periodic tasks run (seconds).
GRIDGOV_REMINDER_SECONDS = int(os.environ.get("GRIDGOV_REMINDER_SECONDS", 300))
GRIDGOV_PHOTO_SWEEP_SECONDS = int(os.environ.get("GRIDGOV_PHOTO_SWEEP_SECONDS", 24 * 3600))
# Where queued Excel exports are written for the user who asked (not under MEDIA_ROOT: never served
# by the web server); the workers and the web server must share it.
GRIDGOV_EXPORT_DIR = Path(os.environ.get("GRIDGOV_EXPORT_DIR", DATA_DIR / "exports")).resolve()
# Where reminders and other notices go: classes with send(user, case, kind, text).
GRIDGOV_NOTIFICATION_CHANNELS = ["gridgov.cases.notifications.InAppChannel"]
# Residents (the reporter and "me too" subscribers) are told of each public change through these
# channels (classes with send(contact, case, kind, text)); the SMS channel hands the text to the
# gateway class named here (send(phone, text)); the default gateway only logs. E-mail goes through
# Django's mail: EMAIL_HOST / EMAIL_PORT / DEFAULT_FROM_EMAIL from the environment below.
GRIDGOV_RESIDENT_CHANNELS = [
    path.strip()
    for path in os.environ.get(
        "GRIDGOV_RESIDENT_CHANNELS", "gridgov.cases.notifications.SmsChannel,gridgov.cases.notifications.EmailChannel"
    ).split(",")
    if path.strip()
]
GRIDGOV_SMS_GATEWAY = os.environ.get("GRIDGOV_SMS_GATEWAY", "gridgov.cases.notifications.LoggingSmsGateway")
EMAIL_HOST = os.environ.get("GRIDGOV_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("GRIDGOV_EMAIL_PORT", 25))
DEFAULT_FROM_EMAIL = os.environ.get("GRIDGOV_FROM_EMAIL", "gridgov@localhost")
# A thread in each server process turns queued Open311 POSTs into cases (open311/worker.py).
GRIDGOV_OPEN311_WORKER = os.environ.get("GRIDGOV_OPEN311_WORKER", "1") != "0"


# Where an Open311 request that names only an address (address_string / address_id, no lat and
# long) is taken in, as "lat,lng": the command centre's own point, say. The case is flagged
# "location to be confirmed" for the intake clerk. Empty: a point inside the district.
def _point(name: str) -> tuple[float, float] | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        lat, lng = (float(part) for part in raw.split(","))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be 'lat,lng' in degrees, e.g. 41.79,123.40; got {raw!r}") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ImproperlyConfigured(f"{name}: {raw!r} is not a latitude and longitude")
    return lat, lng


GRIDGOV_OPEN311_INTAKE_POINT = _point("GRIDGOV_OPEN311_INTAKE_POINT")
# Mark cases overdue by more than their step's time limit as supervised (督办).
GRIDGOV_AUTO_SUPERVISE = True

# `gridgov bench intake` turns on an endpoint that commits one row per POST (ops/views.py).
GRIDGOV_BENCH_ENDPOINTS = not PRODUCTION and os.environ.get("GRIDGOV_BENCH_ENDPOINTS") == "1"

# Rate limits (cases/ratelimit.py); "" turns one off. Buckets are keyed on the client's address,
# which X-Forwarded-For gives only behind GRIDGOV_TRUSTED_PROXIES proxies of our own (0: ignore it).
GRIDGOV_TRUSTED_PROXIES = int(os.environ.get("GRIDGOV_TRUSTED_PROXIES", "0") or 0)
if GRIDGOV_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("GRIDGOV_TRUSTED_PROXIES must be the number of proxies in front of the server (0 or more)")
# Public intake (resident form, Open311 POST without a valid key) per address.
GRIDGOV_INTAKE_RATE = os.environ.get("GRIDGOV_INTAKE_RATE", "20/h")
# Open311 POSTs per valid API key (each client its own bucket; an invalid key is refused).
GRIDGOV_API_KEY_RATE = os.environ.get("GRIDGOV_API_KEY_RATE", "600/h")
# Public case look-ups (number + phone) per address.
GRIDGOV_LOOKUP_RATE = os.environ.get("GRIDGOV_LOOKUP_RATE", "60/h")
# Wrong phones before a case number (and, separately, an address) is locked out of the look-up.
GRIDGOV_LOOKUP_FAILURES = os.environ.get("GRIDGOV_LOOKUP_FAILURES", "5/h")

# Keys that encrypt personal data at rest (gridgov/crypto.py): GRIDGOV_DATA_KEY holds Fernet keys,
# comma-separated, newest first. Without it the key file ``data_key`` in the data directory is
# used, generated (mode 0600) on first use in the local profile; production never invents one.
# Rotate with `gridgov rotate-data-key`. Keep the keys outside the database and its backups.
GRIDGOV_DATA_KEYS = _env_list("GRIDGOV_DATA_KEY")


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw.strip() else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


# How long a server process trusts its last read of the cases' change marks (cases/selectors.py),
# in milliseconds: Open311's kept GET answers ask the database whether anything changed at most
# this often per process instead of on every request. A change made in another process shows
# within this bound (at once in the process that made it); 0 asks on every request.
GRIDGOV_CHANGE_MARK_MS = _env_int("GRIDGOV_CHANGE_MARK_MS", 250)

# Sessions (等保 level 3): end after the idle timeout and after the absolute lifetime, whichever
# comes first (accounts/sessions.py); the cookie itself dies with the lifetime.
GRIDGOV_IDLE_TIMEOUT_MINUTES = _env_int("GRIDGOV_IDLE_TIMEOUT_MINUTES", 30, minimum=1)
GRIDGOV_SESSION_LIFETIME_HOURS = _env_int("GRIDGOV_SESSION_LIFETIME_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = GRIDGOV_SESSION_LIFETIME_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Log-in lockout (django-axes): per account and, separately, per client address.
GRIDGOV_LOGIN_FAILURE_LIMIT = _env_int("GRIDGOV_LOGIN_FAILURE_LIMIT", 5, minimum=1)
GRIDGOV_LOCKOUT_MINUTES = _env_int("GRIDGOV_LOCKOUT_MINUTES", 30)
AXES_FAILURE_LIMIT = GRIDGOV_LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=GRIDGOV_LOCKOUT_MINUTES) if GRIDGOV_LOCKOUT_MINUTES else None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "gridgov.accounts.views.locked_out"
# The client address as the intake rate limits see it (GRIDGOV_TRUSTED_PROXIES, X-Forwarded-For),
# so that behind a proxy every resident does not share one lockout.
GRIDGOV_CLIENT_ADDRESS = "gridgov.cases.ratelimit.client_address"
AXES_CLIENT_IP_CALLABLE = "gridgov.accounts.services.lockout_address"
AXES_VERBOSE = False
# The second factor: the issuer an authenticator app shows next to the account.
OTP_TOTP_ISSUER = "gridgov"

# Response headers (gridgov/middleware.py); the CSP is built from the tile URL above.
GRIDGOV_PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"

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
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
