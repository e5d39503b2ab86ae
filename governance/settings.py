"""Settings of the grid-governance platform.

Everything that differs between machines comes from environment variables (the table
in README.md). The defaults give the *embedded* mode: a SQLite file and a filesystem
Celery broker under ``var/``, so one command starts the whole platform on a laptop.
Production sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis).
"""

import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from governance.security import csp_directives

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# Runtime state of the embedded mode (SQLite file, broker queue, uploaded media).
VAR_DIR = Path(env("GOVERNANCE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)

# A development-only key. Production mode (DEBUG off) refuses to start with it or
# with no key at all: sessions, password reset links and signed rating links would be
# forgeable by anyone who has read this file.
INSECURE_DEFAULT_SECRET_KEY = "django-insecure-grid-governance-development-only"
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY or SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is missing or is the development default. Production mode "
            "(DEBUG off) needs a long random SECRET_KEY in the environment, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. "
            "For a local demo set DEBUG=1 (make run does)."
        )
    SECRET_KEY = INSECURE_DEFAULT_SECRET_KEY
# Rotation (docs/deployment.md): the previous key(s), still accepted for existing sessions and signed links.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
if not DEBUG and len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters in production mode (DEBUG off).")

# Key protecting residents' ID and phone numbers at rest (residents.crypto): 32 random
# bytes, base64-encoded. The embedded mode (DEBUG on) creates PII_KEY_FILE on first use;
# production refuses to start without the key in the environment, because a key file
# next to the database protects nothing once the disk is copied.
GOVERNANCE_PII_KEY = env("GOVERNANCE_PII_KEY", default="")
PII_KEY_FILE = VAR_DIR / "pii.key"
if GOVERNANCE_PII_KEY:
    import base64
    import binascii

    try:
        _pii_key_length = len(base64.b64decode(GOVERNANCE_PII_KEY, validate=True))
    except (binascii.Error, ValueError):
        _pii_key_length = -1
    if _pii_key_length != 32:
        raise ImproperlyConfigured("GOVERNANCE_PII_KEY must be 32 random bytes in base64, e.g. `python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'`.")
elif not DEBUG:
    raise ImproperlyConfigured(
        "GOVERNANCE_PII_KEY is missing. Production mode (DEBUG off) needs the key that encrypts "
        "residents' ID and phone numbers: 32 random bytes in base64, e.g. "
        "`python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'`. "
        "Keep it outside the database backups; losing it makes those fields unreadable."
    )

# Previous keys, readable while `manage.py rotate_pii_key` moves everything to the
# current one (comma-separated, base64); remove them once the rotation has finished.
GOVERNANCE_PII_OLD_KEYS = env.list("GOVERNANCE_PII_OLD_KEYS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if not DEBUG else ["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "treebeard",
    "csp",
    "axes",
    "governance",
    "accounts",
    "grids",
    "events",
    "residents",
    "workflow",
    "api",
    "open311",
    "webhooks",
    "assessment",
    "campaigns",
    "patrols",
]

MIDDLEWARE = [
    # /healthz, /readyz, /metrics: ahead of the host check and the HTTPS redirect.
    "governance.middleware.OperationsMiddleware",
    # One log line per request with its request id, and the request metrics.
    "governance.requestlog.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Malformed input (NUL and control characters, over-deep JSON, over-long values)
    # answers 400 before any view, in each surface's error shape (governance/guard.py).
    "governance.guard.MalformedInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: counts failed logins and locks out (django-axes, settings below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.navigation",
                "governance.context_processors.map_tiles",
            ],
        },
    },
]

WSGI_APPLICATION = "governance.wsgi.application"
ASGI_APPLICATION = "governance.asgi.application"

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'governance.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode runs web, worker and beat against one file: WAL lets readers
    # and one writer proceed together, IMMEDIATE transactions make writers queue
    # instead of failing with "database is locked" half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # The covering index on stage timers (workflow 0004, for assessment) has non-key
    # columns that only PostgreSQL uses; SQLite builds it without them, which is fine.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Writes whose results nothing reads ride with the next statement (governance.pipeline).
        from governance import pipeline as _pipeline

        DATABASES["default"].setdefault("OPTIONS", {}).update(
            connection_factory=_pipeline.Connection, cursor_factory=_pipeline.Cursor)
# The hot statements planned once per connection (governance.serverprepared); off behind
# a pooler in transaction mode, where a connection's prepared statements do not follow it.
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users, authentication, object permissions ----------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media files (served by the platform itself: no CDN) --------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Files under var/ hold personal data (imports, error reports, attachments): owner only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Behind the HTTPS reverse proxy, the client's address is the X-Forwarded-For entry it adds (the last).
BEHIND_HTTPS_PROXY = env.bool("BEHIND_HTTPS_PROXY", default=False)

# --- Production hardening (only when DEBUG is off) ---------------------------------------
# Behind the HTTPS proxy (docs/deployment.md) every one of these defaults to on, which is
# what `manage.py check --deploy` asks for; each can be turned off on its own.
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=BEHIND_HTTPS_PROXY)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=BEHIND_HTTPS_PROXY)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=BEHIND_HTTPS_PROXY)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if BEHIND_HTTPS_PROXY else 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=BEHIND_HTTPS_PROXY)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=BEHIND_HTTPS_PROXY)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_HTTPS_PROXY else None

# --- Operations: health, metrics, logs (docs/deployment.md) ------------------------------
# /metrics answers a request with this bearer token, or from these networks.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.0/8", "::1/128"])
# "json": one JSON object per log line; "plain": text lines.
LOG_FORMAT = env("LOG_FORMAT", default="plain")

# --- Browser security: CSP and headers (docs/security.md) ---------------------------------
# No inline script or style and no eval: scripts and styles come from static/, data from
# json_script blocks. Map tiles are the only images from elsewhere (the policy is set
# below MAP_TILE_URL).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# The malformed-input guard (governance/guard.py): deepest JSON nesting and longest
# single value accepted by any surface (forms and serializers have smaller limits).
INPUT_MAX_JSON_DEPTH = env.int("INPUT_MAX_JSON_DEPTH", default=32)
INPUT_MAX_FIELD_CHARS = env.int("INPUT_MAX_FIELD_CHARS", default=1_000_000)

# --- Login throttling (django-axes, docs/security.md) -------------------------------------
# After LOGIN_FAILURE_LIMIT failures a user name is locked out, and so is an address
# (separately), for LOGIN_LOCKOUT_MINUTES; an admin unlocks sooner in the admin (Axes).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=30.0) / 60.0
AXES_LOCKOUT_PARAMETERS = "accounts.lockout.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.attempted_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_ENABLE_ADMIN = True
AXES_VERBOSE = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The log names the user name and address of each failure and lockout (never the password).
AXES_SENSITIVE_PARAMETERS = []

# --- Celery ---------------------------------------------------------------------------
# The embedded default is kombu's filesystem transport: a queue in var/celery that the
# web, worker and beat processes of one machine share, with no server to run.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    # kombu keeps its exchange tables in "control" under the working directory unless told.
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "governance.tasks.heartbeat_task", "schedule": 30.0},
    # SLA timers are rows swept by this task (DESIGN §6), not delayed messages.
    "sweep-timers": {"task": "workflow.tasks.sweep_timers_task", "schedule": env.float("TIMER_SWEEP_SECONDS", default=60.0)},
    # Email/SMS copies whose delivery could not be queued (broker outage).
    "deliver-pending-notifications": {"task": "workflow.tasks.deliver_pending_notifications_task", "schedule": 300.0},
    # Webhook retries whose backoff has passed (deliveries are rows, docs/api.md).
    "deliver-due-webhooks": {"task": "webhooks.tasks.deliver_due_webhooks_task",
                             "schedule": env.float("WEBHOOK_SWEEP_SECONDS", default=30.0)},
    # Freeze the previous month's assessment once it has ended and award points for it and
    # for the month so far. Daily, so a beat that was down on the 1st catches up; a month
    # already frozen is left as it is (docs/assessment.md).
    "assessment-snapshot": {"task": "assessment.tasks.assessment_snapshot_task",
                            "schedule": crontab(minute=30, hour=1)},
    # Points for what the immediate awards could not see (rows written in bulk, a rule
    # switched on): reads only what is new since the last run (docs/assessment.md).
    "assessment-points": {"task": "assessment.tasks.points_award_task",
                          "schedule": env.float("POINTS_SWEEP_SECONDS", default=600.0)},
    # Delete import files and error reports older than RESIDENT_FILE_RETENTION_DAYS.
    "purge-resident-files": {"task": "residents.tasks.resident_files_purge_task", "schedule": crontab(minute=10, hour=2)},
    # Close campaigns past their end date; remind workers behind schedule (docs/campaigns.md).
    "campaigns-daily": {"task": "campaigns.tasks.campaigns_daily_task", "schedule": crontab(minute=0, hour=8)},
    # Campaign targets follow moves: the grids marked by moves (handed off on commit; this
    # is the relay), and every published campaign in full each night (docs/campaigns.md).
    "campaigns-refresh-due": {"task": "campaigns.tasks.campaigns_refresh_due_task", "schedule": 60.0},
    "campaigns-refresh-all": {"task": "campaigns.tasks.campaigns_refresh_all_task",
                              "schedule": crontab(minute=30, hour=2)},
}
# Django's LOGGING (with the request id and LOG_FORMAT) applies to the worker too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A broker outage must not break a web request that queues a side effect.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Side effects are handed to the worker from a background thread (governance/handoff.py);
# after a failed publication it waits this long before trying the broker again.
HANDOFF_PAUSE_SECONDS = env.float("HANDOFF_PAUSE_SECONDS", default=10.0)
# Notification ids handed off within this window go to the worker in one message.
HANDOFF_GATHER_SECONDS = env.float("HANDOFF_GATHER_SECONDS", default=0.05)

# --- REST API (docs/api.md) ----------------------------------------------------------------
# Global defaults, so every app's DRF views get the same authentication, permissions,
# error shape, pagination, filters, rate limits and schema.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials answers 401 with WWW-Authenticate.
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiClientRateThrottle", "api.throttling.SessionUserRateThrottle"],
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.schema.GovernanceAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Requests per period for each API client (a client may have its own rate) and for each
# signed-in user calling the API from the browser.
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="1200/minute")
API_USER_THROTTLE_RATE = env("API_USER_THROTTLE_RATE", default="600/minute")
SPECTACULAR_SETTINGS = {
    "TITLE": "Grid governance platform API",
    "DESCRIPTION": "REST API of the grid-governance platform (docs/api.md). Open311 GeoReport v2 lives at /open311/v2/.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the platform's own static files (no CDN on government intranets).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AreaLevelEnum": "grids.models.AreaLevel",
        "DepartmentKindEnum": "accounts.models.DepartmentKind",
        "ChannelEnum": "events.models.Channel",
        "PlaceKindEnum": "residents.models.PlaceKind",
        "ImportKindEnum": "residents.models.ImportKind",
        "EventStateEnum": "workflow.machine.State",
        "PatrolTargetEnum": "patrols.models.Target",
    },
}

# --- Open311 GeoReport v2 (docs/open311.md) ------------------------------------------------
# When set, a request naming another jurisdiction_id is answered 404.
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID", default="")
# Off: reading service requests needs an api_key and shows what its user may see (the
# scoping rule). On: anyone may read every request (no reporter's personal data is shown).
OPEN311_PUBLIC_READ = env.bool("OPEN311_PUBLIC_READ", default=False)
OPEN311_CONTACT = env("OPEN311_CONTACT", default="")
OPEN311_KEY_SERVICE = env("OPEN311_KEY_SERVICE", default="")
# Date of the last change of this endpoint's behaviour, shown by discovery.
OPEN311_CHANGESET = "2026-12-01T00:00:00+08:00"

# --- Webhooks (docs/api.md) -----------------------------------------------------------------
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# Retries wait 30 s, 1 min, 2 min … up to an hour; after the last attempt the delivery is
# marked failed (kept in the log, re-sendable from the admin).
WEBHOOK_BACKOFF_SECONDS = env.float("WEBHOOK_BACKOFF_SECONDS", default=30.0)
WEBHOOK_BACKOFF_MAX_SECONDS = env.float("WEBHOOK_BACKOFF_MAX_SECONDS", default=3600.0)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=30)
# Webhooks go only to public addresses (webhooks/targets.py); networks listed here (CIDR,
# comma-separated, e.g. an intranet receiver's 10.20.0.0/16) are allowed as well.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])

# --- Domain settings ------------------------------------------------------------------
# Sizing rule for basic grids (DESIGN §2): warn above these counts.
GRID_MAX_HOUSEHOLDS = env.int("GRID_MAX_HOUSEHOLDS", default=500)
GRID_MAX_POPULATION = env.int("GRID_MAX_POPULATION", default=1500)
# Dotted path of the grid code rule (grids.codes); replace for a local numbering scheme.
GRID_CODE_RULE = env("GRID_CODE_RULE", default="grids.codes.statistical_grid_code")
# Team model each grid is checked against (accounts.teams.TEAM_MODELS).
GRID_TEAM_MODEL = env("GRID_TEAM_MODEL", default="1+1+N")
# How often a process checks whether grid boundaries changed elsewhere (seconds).
GRID_INDEX_CHECK_SECONDS = env.float("GRID_INDEX_CHECK_SECONDS", default=2.0)
# Resident imports (residents.imports): files up to this size run in the request,
# larger ones in the Celery worker; rows written per batch.
RESIDENT_IMPORT_INLINE_BYTES = env.int("RESIDENT_IMPORT_INLINE_BYTES", default=256 * 1024)
RESIDENT_IMPORT_BATCH = env.int("RESIDENT_IMPORT_BATCH", default=5000)
# Worker processes that check the rows of a file larger than RESIDENT_IMPORT_INLINE_BYTES
# (PostgreSQL; 0: checked in the importing process). They pay only with cores to spare
# beyond the reading process and the two database backends an import keeps busy: on the
# shared 2-core development machine they made it slower (docs/residents.md).
RESIDENT_IMPORT_PROCESSES = env.int("RESIDENT_IMPORT_PROCESSES", default=max(0, min(2, (os.cpu_count() or 1) - 3)))
# Personal-data protection (residents.privacy, docs/residents.md). Roles that may import
# residents (a city adds its own: e.g. "parttime_worker").
RESIDENT_IMPORT_ROLES = env.list("RESIDENT_IMPORT_ROLES", default=["admin", "grid_leader", "grid_worker"])
# Roles that may export residents (masked, logged; docs/residents.md).
RESIDENT_EXPORT_ROLES = env.list("RESIDENT_EXPORT_ROLES", default=["admin", "leader", "grid_leader", "grid_worker", "police"])
# Exact searches by ID number or phone a user may make per window (seconds).
RESIDENT_EXACT_SEARCH_BUDGET = env.int("RESIDENT_EXACT_SEARCH_BUDGET", default=30)
RESIDENT_EXACT_SEARCH_WINDOW = env.int("RESIDENT_EXACT_SEARCH_WINDOW", default=3600)
# Days an import file and its error report are kept before the purge task deletes them.
RESIDENT_FILE_RETENTION_DAYS = env.int("RESIDENT_FILE_RETENTION_DAYS", default=30)
# Which roles see which special-group tags, over residents.privacy.DEFAULT_GROUP_ROLES:
# {"veteran": ["grid_leader", "grid_worker", "police", "admin", "liaison"], …}.
SPECIAL_GROUP_ROLES = env.json("SPECIAL_GROUP_ROLES", default={})
# .xlsx sheets of up to this many cells (rows × columns, as the sheet records them) are
# read whole with python-calamine (fast; holds the sheet in memory, ~120 bytes a cell);
# larger ones are read by calamine in parts (bounded memory).
IMPORT_XLSX_CALAMINE_CELLS = env.int("IMPORT_XLSX_CALAMINE_CELLS", default=2_500_000)
# A bigger sheet is read in parts of about this many bytes of its XML (residents/imports/bigsheets.py).
IMPORT_XLSX_PART_BYTES = env.int("IMPORT_XLSX_PART_BYTES", default=4 * 1024 * 1024)
# GeoJSON uploaded on the admin's pages is read whole and imported inside the request;
# bigger files go through manage.py import_grids (docs/grids.md).
GRIDS_IMPORT_MAX_BYTES = env.int("GRIDS_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# Seconds after which the background-task heartbeat counts as stale.
HEARTBEAT_STALE_SECONDS = env.int("HEARTBEAT_STALE_SECONDS", default=120)

# Events and workflow (DESIGN §5–§6).
# A new event of the same small class this close to an open one, reported within the
# window, is flagged as a possible duplicate.
EVENT_DUPLICATE_RADIUS_METRES = env.float("EVENT_DUPLICATE_RADIUS_METRES", default=100.0)
EVENT_DUPLICATE_WINDOW_HOURS = env.float("EVENT_DUPLICATE_WINDOW_HOURS", default=72.0)
EVENT_ATTACHMENT_MAX_BYTES = env.int("EVENT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
EVENT_ATTACHMENT_MAX_COUNT = env.int("EVENT_ATTACHMENT_MAX_COUNT", default=9)
# Photos with more pixels are refused before they are decoded (a small file can hold a
# huge image that would fill the memory when decoded: a decompression bomb).
EVENT_PHOTO_MAX_PIXELS = env.int("EVENT_PHOTO_MAX_PIXELS", default=40_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = EVENT_ATTACHMENT_MAX_BYTES * 2
# Share of a stage's limit after which its light turns yellow, and the further share of
# the limit past the deadline after which the case escalates (per-policy overrides).
# A sweep that shows no progress for this long has died: the next beat tick may sweep.
TIMER_SWEEP_LEASE_SECONDS = env.float("TIMER_SWEEP_LEASE_SECONDS", default=120.0)
SLA_WARNING_SHARE = env.float("SLA_WARNING_SHARE", default=0.8)
SLA_ESCALATION_SHARE = env.float("SLA_ESCALATION_SHARE", default=0.5)
# How often a process checks whether an admin changed the work calendar (seconds).
WORK_CALENDAR_CHECK_SECONDS = env.float("WORK_CALENDAR_CHECK_SECONDS", default=30.0)
# What the reporter's rating does (docs/pages.md): "automatic" closes the case; "callback"
# records it and the command center closes the case after its follow-up call (回访).
EVENT_CLOSURE_AFTER_RATING = env("EVENT_CLOSURE_AFTER_RATING", default="automatic")
if EVENT_CLOSURE_AFTER_RATING not in ("automatic", "callback"):
    raise ImproperlyConfigured("EVENT_CLOSURE_AFTER_RATING must be 'automatic' or 'callback'")
# Dotted path of the SMS gateway class (workflow.sms); the default writes to the log.
SMS_GATEWAY = env("SMS_GATEWAY", default="workflow.sms.LoggingSmsGateway")
# Absolute address of the platform, for links in emails and SMS (rating links).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Web pages (docs/pages.md). Map tiles come from the city's own tile server on an
# intranet; with an empty URL the maps draw grid boundaries and points on a plain
# background. The default is OpenStreetMap's public pattern.
MAP_TILE_URL = env("MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION", default="© OpenStreetMap contributors")
MAP_TILE_MAX_ZOOM = env.int("MAP_TILE_MAX_ZOOM", default=19)
CONTENT_SECURITY_POLICY = {"DIRECTIVES": csp_directives(map_tile_url=MAP_TILE_URL)}
# The public report page (no account): reports accepted per client address and window.
PUBLIC_REPORT_RATE = env("PUBLIC_REPORT_RATE", default="5/h")
# Cache shared by every process (the public report's rate limit lives here): Redis in
# production; the embedded mode uses files under var/cache, shared by the processes of
# one machine.
_default_cache = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis://") else f"filecache://{VAR_DIR / 'cache'}"
CACHES = {"default": env.cache("CACHE_URL", default=_default_cache)}
CACHES["default"].setdefault("KEY_PREFIX", "governance")
# A Redis outage degrades the cache to per-process memory (logged) instead of failing
# every request that counts a rate limit (governance/cache.py).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "governance.cache.FallbackRedisCache"
CACHE_FALLBACK_SECONDS = env.float("CACHE_FALLBACK_SECONDS", default=30.0)
# Memory PostgreSQL may use per sort or hash in an assessment query (docs/assessment.md):
# enough to hash a month's late stage timers once (about 60 bytes each).
ASSESSMENT_WORK_MEM = env("ASSESSMENT_WORK_MEM", default="64MB")

# Patrol tracks (docs/patrols.md): fixes worse than this many metres and gaps longer than
# this many seconds do not count towards a round's distance (the points are kept).
PATROL_TRACK_MAX_ACCURACY_M = env.float("PATROL_TRACK_MAX_ACCURACY_M", default=100.0)
PATROL_TRACK_GAP_SECONDS = env.float("PATROL_TRACK_GAP_SECONDS", default=300.0)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="grid-governance@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "governance.requestlog.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "governance.requestlog.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json" if LOG_FORMAT == "json" else "plain",
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The request line (governance.request) replaces Django's and gunicorn's own.
        "django.server": {"level": "WARNING"},
        # The task line (governance.task) replaces Celery's "received" and "succeeded" lines.
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
    },
}

# Labels used by templates for the two modes.
PLATFORM_NAME = _("Grid governance platform")
