"""Settings of socle.

One module for every deployment: each production difference comes from an
environment variable prefixed with ``SOCLE_`` (see ``.env.example``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"SOCLE_{name}") or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

PRODUCTION = env_bool("PRODUCTION")
DEBUG = env_bool("DEBUG", default=False)


def _secret_key() -> str:
    key = env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SOCLE_SECRET_KEY doit être défini en production.")
    # Outside production, a key is generated once per data directory so that
    # sessions survive restarts of `socle demo`.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Previous keys, still accepted to verify (never to sign): rotating the key then
# logs nobody out and keeps the confirmation links already sent valid.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Set by socle/cli.py for the commands that read one module's tables only (`socle archives
# verify`): the other modules' models are not imported, which halves what start-up costs.
_ONLY_MODULES = frozenset(env_list("ONLY_MODULES"))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Listed so that the API's documentation page serves Swagger UI from our own
    # static files: the CDN copy it falls back to is blocked by the CSP. Importing it
    # imports the whole of django-ninja, pydantic and django.test (0.4 s): the commands
    # that serve no page leave it out (socle/cli.py, LEAN_COMMANDS).
    *([] if env_bool("WITHOUT_API_DOCS") else ["ninja"]),
    "django_tasks",
    "django_tasks_db",
    "socle.core",
    # Every folder of socle/ with a module.py is a module (socle/core/modules.py): adding
    # one touches nothing here. SOCLE_EXTRA_APPS adds modules installed elsewhere.
    *sorted(f"socle.{folder.name}" for folder in Path(__file__).resolve().parent.iterdir()
            if folder.name != "core" and (folder / "module.py").is_file()
            and (not _ONLY_MODULES or folder.name in _ONLY_MODULES)),
    *env_list("EXTRA_APPS"),
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "socle.core.middleware.RequestSizeLimitMiddleware",
    "socle.core.public_cache.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "socle.core.assurance.SessionAssuranceMiddleware",
    "socle.core.gates.GateMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Public pages served again from memory to visitors without a session, for a few
# seconds (0 turns it off): see socle/core/public_cache.py.
PUBLIC_CACHE_SECONDS = int(env("PUBLIC_CACHE_SECONDS", "10"))
PUBLIC_CACHE_PATHS = frozenset({"/", "/communes/", "/accessibilite/", "/demarches/",
                                "/api/v1/organisations"})
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "public": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
               "LOCATION": "public-pages", "OPTIONS": {"MAX_ENTRIES": 100}},
}

# How long an instance may keep the list of modules switched off per organisation.
MODULES_CACHE_SECONDS = int(env("MODULES_CACHE_SECONDS", "10"))
# How long an instance may keep an agent's queue filter lists (procedures, agents, statuses).
QUEUE_FILTERS_CACHE_SECONDS = int(env("QUEUE_FILTERS_CACHE_SECONDS", "30"))

ROOT_URLCONF = "socle.urls"
WSGI_APPLICATION = "socle.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "socle" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "socle.core.context_processors.platform",
            ],
        },
    },
]

# Database: SQLite under the data directory by default, any database URL otherwise.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections, checked at the start of each request: after a
    # database restart or failover, the next request reconnects instead of failing.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60,
                                                  conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "socle.sqlite3"),
            # Opening a connection runs the PRAGMAs below and closing the last one
            # checkpoints the WAL: per request, that was most of a page's cost.
            "CONN_MAX_AGE": 60,
            "OPTIONS": {
                # IMMEDIATE transactions take the write lock up front, so two
                # writers queue instead of failing on a lock upgrade.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:account"

LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# The shell's own files (socle/static) belong to no app: without this, the
# manifest storage has no entry for socle.css and every page fails in production.
STATICFILES_DIRS = [BASE_DIR / "socle" / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# Blob store: content-addressed files on a local directory, or S3-compatible storage.
BLOB_BACKEND = env("BLOB_BACKEND", "local")
BLOB_DIR = Path(env("BLOB_DIR", str(DATA_DIR / "blobs")))
BLOB_MAX_SIZE = int(env("BLOB_MAX_SIZE", str(20 * 1024 * 1024)))
S3_BUCKET = env("S3_BUCKET")
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL")
S3_ACCESS_KEY = env("S3_ACCESS_KEY")
S3_SECRET_KEY = env("S3_SECRET_KEY")
S3_REGION = env("S3_REGION", "fr-par")
if BLOB_BACKEND == "s3" and not (S3_BUCKET and S3_ACCESS_KEY and S3_SECRET_KEY):
    raise ImproperlyConfigured(
        "SOCLE_BLOB_BACKEND=s3 demande SOCLE_S3_BUCKET, SOCLE_S3_ACCESS_KEY et SOCLE_S3_SECRET_KEY."
    )
if BLOB_BACKEND not in {"local", "s3"}:
    raise ImproperlyConfigured("SOCLE_BLOB_BACKEND vaut « local » ou « s3 ».")

# Electronic archives (SAE): storage offers "name=location" (a directory or s3://bucket/prefix),
# at least two; the SEDA schema folders; the limits of an incoming transfer package.
ARCHIVES_OFFERS = [
    (name.strip(), location.strip())
    for name, _, location in (item.partition("=") for item in env_list(
        "ARCHIVE_OFFERS",
        f"offer-a={DATA_DIR / 'archives' / 'offer-a'},offer-b={DATA_DIR / 'archives' / 'offer-b'}"))
]
if len(ARCHIVES_OFFERS) < 2 or any(not name or not location for name, location in ARCHIVES_OFFERS):
    raise ImproperlyConfigured(
        "SOCLE_ARCHIVE_OFFERS liste au moins deux offres « nom=dossier » ou « nom=s3://compartiment ».")
_SEDA_SCHEMAS = env("SEDA_SCHEMAS")
_SEDA_SCHEMA_DIRS = {"2.1": env("SEDA_SCHEMA_DIR_2_1"), "2.2": env("SEDA_SCHEMA_DIR_2_2"),
                     "2.3": env("SEDA_SCHEMA_DIR_2_3")}
ARCHIVES_SEDA_SCHEMA_DIRS = {
    # In SOCLE_SEDA_SCHEMAS, a "seda-2.1-lxml" folder (patched to load in libxml2) wins.
    version: folder
    or next((str(Path(_SEDA_SCHEMAS) / name) for name in (f"seda-{version}-lxml", f"seda-{version}")
             if _SEDA_SCHEMAS and (Path(_SEDA_SCHEMAS) / name).is_dir()), "")
    for version, folder in _SEDA_SCHEMA_DIRS.items()
}
# The ingest's virus scanner: clamd:///run/clamav/clamd.ctl (unix socket) or
# clamd://host:port (TCP); empty, the antivirus step is WARNING (socle.archives.W001).
ARCHIVES_ANTIVIRUS = env("ARCHIVES_ANTIVIRUS", "")
ARCHIVES_ANTIVIRUS_TIMEOUT = float(env("ARCHIVES_ANTIVIRUS_TIMEOUT", "60"))
if ARCHIVES_ANTIVIRUS and not ARCHIVES_ANTIVIRUS.startswith("clamd://"):
    raise ImproperlyConfigured(
        "SOCLE_ARCHIVES_ANTIVIRUS vaut clamd:///chemin/du/socket ou clamd://hôte:port.")
ARCHIVES_MAX_ENTRIES = int(env("ARCHIVES_MAX_ENTRIES", "10000"))
ARCHIVES_MAX_UNPACKED_SIZE = int(env("ARCHIVES_MAX_UNPACKED_SIZE", str(20 * 1024**3)))
ARCHIVES_MAX_COMPRESSION_RATIO = int(env("ARCHIVES_MAX_COMPRESSION_RATIO", "1100"))

# Requests larger than this are refused with a 413 before being read.
REQUEST_MAX_SIZE = int(env("REQUEST_MAX_SIZE", str(BLOB_MAX_SIZE + 1024 * 1024)))
# Archival transfer packages (SEDA zip or tar) are larger than any other upload: their two
# endpoints take files up to this size, streamed to disk like every other upload.
ARCHIVES_TRANSFER_MAX_SIZE = int(env("ARCHIVES_TRANSFER_MAX_SIZE", str(4 * 1024**3)))
# GTFS feeds (socle/mobility): bounds on what an import or a validation unpacks.
MOBILITY_GTFS_MAX_UNPACKED_SIZE = int(env("MOBILITY_GTFS_MAX_UNPACKED_SIZE", str(1024**3)))
MOBILITY_GTFS_MAX_RATIO = int(env("MOBILITY_GTFS_MAX_RATIO", "100"))
MOBILITY_GTFS_MAX_ROWS = int(env("MOBILITY_GTFS_MAX_ROWS", "5000000"))
# The operator's GTFS-RT feeds, read by the job mobility.realtime_poll (empty: none).
MOBILITY_GTFS_RT_TRIP_UPDATES_URL = env("MOBILITY_GTFS_RT_TRIP_UPDATES_URL", "")
MOBILITY_GTFS_RT_ALERTS_URL = env("MOBILITY_GTFS_RT_ALERTS_URL", "")
MOBILITY_GTFS_RT_MAX_BYTES = int(env("MOBILITY_GTFS_RT_MAX_BYTES", str(8 * 1024**2)))
MOBILITY_GTFS_RT_TIMEOUT = float(env("MOBILITY_GTFS_RT_TIMEOUT", "10"))
# VéloTIC's connected locks: the gateway's URL (the lock simulator in the demo) and the driver.
MOBILITY_LOCK_URL = env("MOBILITY_LOCK_URL", "")
MOBILITY_LOCK_DRIVER = env("MOBILITY_LOCK_DRIVER", "socle.mobility.locks.HttpLockDriver")
MOBILITY_LOCK_TIMEOUT = float(env("MOBILITY_LOCK_TIMEOUT", "5"))
# The demo's simulated operator (socle/mobility/realtime_simulation.py), never in production.
MOBILITY_REALTIME_SIMULATION = env_bool("MOBILITY_REALTIME_SIMULATION", False)
# The share of each offer's copies that the nightly job `archives.verify_sample` re-hashes.
ARCHIVES_AUDIT_SAMPLE = float(env("ARCHIVES_AUDIT_SAMPLE", "0.1"))
# Exact paths whose uploads may exceed BLOB_MAX_SIZE (see socle/core/middleware.py).
UPLOAD_LIMITS = {
    "/archives/versements/": ARCHIVES_TRANSFER_MAX_SIZE,
    "/api/v1/archives/transfers": ARCHIVES_TRANSFER_MAX_SIZE,
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = None
# Files are received on disk, never in memory, and refused once past BLOB_MAX_SIZE,
# for every page and endpoint (see socle/core/upload_handlers.py).
FILE_UPLOAD_HANDLERS = ["socle.core.upload_handlers.CappedUploadHandler"]

# Background tasks: django-tasks with its database backend.
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# `socle worker` (socle/core/task_queue.py): a running task holds a lease renewed while it
# runs; once lapsed (its worker died) another worker takes the task up again. A failed task
# is retried after each of these delays, then left failed for the DCSI (`socle tasks`).
TASKS_LEASE_SECONDS = float(env("TASKS_LEASE_SECONDS", "60"))
TASKS_KEEP_DAYS = int(env("TASKS_KEEP_DAYS", "30"))
TASKS_RETRY_DELAYS = [float(d) for d in env_list("TASKS_RETRY_DELAYS", "30,120,600,1800,7200")]
# Scheduled jobs declared by the modules (socle/core/scheduler.py), run by `socle worker`.
JOBS_SCHEDULER = env_bool("SCHEDULER", True)
JOBS_LEASE_SECONDS = float(env("JOBS_LEASE_SECONDS", "60"))
JOBS_RETRY_DELAYS = [float(d) for d in env_list("JOBS_RETRY_DELAYS", "60,300")]
JOBS_KEEP_DAYS = int(env("JOBS_KEEP_DAYS", "30"))

# RFC 3161 timestamping authority that seals the journal (`socle audit seal`).
TSA_URL = env("TSA_URL")
TSA_CA_FILE = env("TSA_CA_FILE")
TSA_TIMEOUT = float(env("TSA_TIMEOUT", "10"))
# A file, best on another medium than the database (a write-once mount, another host),
# where each seal appends its hash: deleting the latest seals from the database, which the
# seals alone cannot reveal, is then caught by `socle audit verify --proofs`.
SEAL_WITNESS = env("SEAL_WITNESS")
if TSA_URL and not (TSA_CA_FILE and Path(TSA_CA_FILE).is_file()):
    raise ImproperlyConfigured(
        "SOCLE_TSA_URL demande SOCLE_TSA_CA_FILE, le fichier PEM des autorités de confiance."
    )

# Sign-in throttling (socle/core/signin.py): failures tolerated in the window per account
# from one address, per address, and per account from every address (not counting the
# addresses its owner signed in from); past each, the wait doubles at each failure.
LOGIN_WINDOW_SECONDS = int(env("LOGIN_WINDOW_SECONDS", "900"))
LOGIN_MAX_FAILURES_PER_ACCOUNT = int(env("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5"))
LOGIN_MAX_FAILURES_PER_ACCOUNT_ALL = int(env("LOGIN_MAX_FAILURES_PER_ACCOUNT_ALL", "50"))
LOGIN_MAX_FAILURES_PER_ADDRESS = int(env("LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))

# FranceConnect (OpenID Connect). Off unless enabled; incomplete settings fail at start.
FRANCECONNECT_ENABLED = env_bool("FRANCECONNECT_ENABLED")
FRANCECONNECT_BASE_URL = env("FRANCECONNECT_BASE_URL").rstrip("/")
FRANCECONNECT_CLIENT_ID = env("FRANCECONNECT_CLIENT_ID")
FRANCECONNECT_CLIENT_SECRET = env("FRANCECONNECT_CLIENT_SECRET")
FRANCECONNECT_SCOPES = env(
    "FRANCECONNECT_SCOPES", "openid given_name family_name email preferred_username birthdate"
)
if FRANCECONNECT_ENABLED and not (
    FRANCECONNECT_BASE_URL and FRANCECONNECT_CLIENT_ID and FRANCECONNECT_CLIENT_SECRET
):
    raise ImproperlyConfigured(
        "SOCLE_FRANCECONNECT_ENABLED demande SOCLE_FRANCECONNECT_BASE_URL, "
        "SOCLE_FRANCECONNECT_CLIENT_ID et SOCLE_FRANCECONNECT_CLIENT_SECRET."
    )

# Filing without an account, from one client address, per hour (besides 3 per contact email).
ANONYMOUS_FILINGS_PER_CLIENT = int(env("ANONYMOUS_FILINGS_PER_CLIENT", "10"))

# Online payment (eopayment): PayFiP per organisation and régie, the dummy bank outside
# production (see socle/portal/payment_config.py). An incomplete PayFiP setup fails here.
from socle.portal.payment_config import PaymentConfigError, backends_parse  # noqa: E402

try:
    PAYMENT_BACKENDS = backends_parse(env("PAYMENT_BACKENDS"), production=PRODUCTION)
except PaymentConfigError as exc:
    raise ImproperlyConfigured(str(exc)) from exc
# "Payer" posts to us and we redirect to PayFiP: CSP form-action also applies to that redirect.
PAYMENT_FORM_ACTION = ["https://www.payfip.gouv.fr"] if any(
    backend["kind"] == "payfip_ws" for backend in PAYMENT_BACKENDS.values()) else []
# Pending payments older than this are settled by asking the bank (reconcile-payments).
PAYMENT_PENDING_MINUTES = int(env("PAYMENT_PENDING_MINUTES", "30"))

# Mail.
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
# A relay that stops answering fails the send (and the task is retried) instead of hanging it.
EMAIL_TIMEOUT = float(env("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "socle <ne-pas-repondre@localhost>")
# The domain of the Message-ID of every mail sent: the sender's own (by default the
# domain of DEFAULT_FROM_EMAIL), never the server's host name.
EMAIL_MESSAGE_ID_DOMAIN = env("EMAIL_MESSAGE_ID_DOMAIN") or (
    DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") if "@" in DEFAULT_FROM_EMAIL else "localhost")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mails"

# The platform's identity: which organisation runs it.
PLATFORM_NAME = env("PLATFORM_NAME", "socle")
PLATFORM_ROOT_SLUG = env("PLATFORM_ROOT_SLUG", "arc")
# Named in every decision's channels of appeal (the court of the territory: Oise, Amiens).
ADMINISTRATIVE_COURT = env("ADMINISTRATIVE_COURT",
                           "le tribunal administratif d'Amiens, 14 rue Lemerchier, 80011 Amiens Cedex 1")
# Legal notices (mentions légales, données personnelles): what the territory file does
# not hold. Empty values are shown as "non renseigné", never made up.
PUBLICATION_DIRECTOR = env("PUBLICATION_DIRECTOR")
HOSTING_PROVIDER = env("HOSTING_PROVIDER")
HOSTING_ADDRESS = env("HOSTING_ADDRESS")
DPO_NAME = env("DPO_NAME")
DPO_EMAIL = env("DPO_EMAIL")
DPO_ADDRESS = env("DPO_ADDRESS")
# Public address of the platform, for links in emails and documents.
BASE_URL = env("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# Security.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "socle.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'", *([FRANCECONNECT_BASE_URL] if FRANCECONNECT_BASE_URL else []),
                        *PAYMENT_FORM_ACTION],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
