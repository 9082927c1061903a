"""citrusadmin settings: every value that differs between machines comes from the environment.

See `.env.example` and the README for each variable. With nothing set, the console runs as a demo:
SQLite in `var/`, a file-system Celery broker, DEBUG on and the sandbox as both destinations.
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from citrusadmin.env import (
    env_bool,
    env_choice,
    env_database,
    env_emails,
    env_fernet_keys,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
    env_url,
)
from syncs.queues import Queue as SyncQueue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("CITRUSADMIN_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-runs"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "syncs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the CSRF check, which would read (and store) an upload's body.
    "syncs.middleware.UploadGateMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "syncs.middleware.SessionActivityMiddleware",
    "syncs.middleware.StatementTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "syncs.middleware.SecondFactorMiddleware",
    # Last, as django-axes asks: it turns a lock-out during login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "citrusadmin.urls"
WSGI_APPLICATION = "citrusadmin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "syncs.context_processors.destination_banner",
            ],
        },
    },
]

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'citrusadmin.sqlite3'}")
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60, minimum=0)
# Nothing waits forever on a silent dependency: connecting to the database or Redis gives up
# after these; a web request's SQL statement after DATABASE_STATEMENT_TIMEOUT (workers and
# imports are not limited: a COPY of a million rows may rightly take minutes).
DATABASE_CONNECT_TIMEOUT = env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=2, maximum=120)
DATABASE_STATEMENT_TIMEOUT = env_float("DATABASE_STATEMENT_TIMEOUT", 30.0, maximum=3600)
REDIS_CONNECT_TIMEOUT = env_float("REDIS_CONNECT_TIMEOUT", 3.0, minimum=0.1, maximum=60)
REDIS_READ_TIMEOUT = env_float("REDIS_READ_TIMEOUT", 10.0, minimum=2.0, maximum=600)
HEALTHZ_TIMEOUT = env_float("HEALTHZ_TIMEOUT", 1.5, minimum=0.1, maximum=10)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = DATABASE_CONNECT_TIMEOUT
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The demo runs web, worker and sandbox side by side: wait for a lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out user name or address before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "uploads"

# Security: strict by default; DEBUG runs (the demo, tests) relax only what plain HTTP needs.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
# The container's health check calls /healthz over plain HTTP from inside; everything else
# goes to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# A session ends after this long without activity (see SessionActivityMiddleware).
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 8 * 3600, minimum=60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every login at INFO; its warnings (a lock-out) are what matter.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Sign-in protection (django-axes, django-otp) ---
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
LOGIN_COOLOFF_MINUTES = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
# Repeated failures lock the user name (from anywhere) and, separately, the address (any name).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "syncs.views.account.locked_out"
AXES_CLIENT_IP_CALLABLE = "syncs.middleware.client_address"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = "citrusadmin"
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=600)

# --- Destinations: each is off until its URL and credentials are set. ---
CITRUSAD_BASE_URL = env_url("CITRUSAD_BASE_URL")
CITRUSAD_API_KEY = env_str("CITRUSAD_API_KEY")
CITRUSAD_TEAM_ID = env_str("CITRUSAD_TEAM_ID")
CUSTOBAR_BASE_URL = env_url("CUSTOBAR_BASE_URL")
CUSTOBAR_USERNAME = env_str("CUSTOBAR_USERNAME")
CUSTOBAR_PASSWORD = env_str("CUSTOBAR_PASSWORD")
CUSTOBAR_API_TOKEN = env_str("CUSTOBAR_API_TOKEN")
if bool(CUSTOBAR_USERNAME) != bool(CUSTOBAR_PASSWORD):
    raise ImproperlyConfigured("CUSTOBAR_USERNAME and CUSTOBAR_PASSWORD must be set together.")
REMOTE_CONNECT_TIMEOUT = env_float("REMOTE_CONNECT_TIMEOUT", 5.0, minimum=0.1, maximum=60)
REMOTE_READ_TIMEOUT = env_float("REMOTE_READ_TIMEOUT", 30.0, minimum=0.1, maximum=600)
SANDBOX_IN_USE = env_bool("SANDBOX_IN_USE", False)
# Each destination account's pace, shared by every worker (requests per minute; None: no limit).
# Custobar's own plugin keeps to 180 a minute per account; CitrusAd publishes no figure.
CITRUSAD_RATE_LIMIT = env_rate("CITRUSAD_RATE_LIMIT", "")
CUSTOBAR_RATE_LIMIT = env_rate("CUSTOBAR_RATE_LIMIT", "180/minute")
# Each webhook endpoint's own pace: a retailer's receiver is rarely built for bursts.
WEBHOOK_RATE_LIMIT = env_rate("WEBHOOK_RATE_LIMIT", "600/minute")

# --- Sync engine ---
SYNC_BATCH_SIZE = env_int("SYNC_BATCH_SIZE", 100, minimum=1, maximum=100)
SYNC_RETRY_WINDOW = env_int("SYNC_RETRY_WINDOW", 4 * 3600, minimum=60)  # seconds
# A drain's claim lasts this long unless its heartbeat (every quarter of it) renews it: the rows
# of a worker that died are claimable again within this plus one sweep (SYNC_SWEEP_SECONDS).
SYNC_LEASE_SECONDS = env_int("SYNC_LEASE_SECONDS", 20, minimum=4, maximum=3600)
SYNC_HISTORY_RETENTION_DAYS = env_int("SYNC_HISTORY_RETENTION_DAYS", 30, minimum=1)

# --- Imports ---
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 1024**3, minimum=1024)
IMPORT_MAX_STOCKOUT_SHARE = env_float("IMPORT_MAX_STOCKOUT_SHARE", 0.2, minimum=0.0, maximum=1.0)
# A dry run calls out a column whose stored values the file would clear beyond this share.
IMPORT_MAX_CLEARED_SHARE = env_float("IMPORT_MAX_CLEARED_SHARE", 0.1, minimum=0.0, maximum=1.0)
IMPORT_FILES_RETENTION_DAYS = env_int("IMPORT_FILES_RETENTION_DAYS", 30, minimum=1)

# --- Console ---
# A bulk stock-out or restore that changes more than this share of a catalog asks the person to
# type the number of products (by default the import safeguard's share).
BULK_TYPED_CONFIRM_SHARE = env_float(
    "BULK_TYPED_CONFIRM_SHARE", IMPORT_MAX_STOCKOUT_SHARE, minimum=0.0, maximum=1.0
)
# Bulk stock actions over this many products run in a worker, in chunks, with a progress page.
BULK_BACKGROUND_ROWS = env_int("BULK_BACKGROUND_ROWS", 1000, minimum=1)
# A destination whose attempts in this many minutes got no answer (timeouts, connection errors),
# and none since, is shown as unreachable on the dashboard and in the banner of every page.
DESTINATION_UNREACHABLE_MINUTES = env_int("DESTINATION_UNREACHABLE_MINUTES", 5, minimum=1)
METRICS_TOKEN = env_str("METRICS_TOKEN")

# --- Secrets stored in the database (feed credentials, webhook signing secrets) ---
# Fernet keys, newest first (the first encrypts, every one decrypts): see "Rotating the key".
# FEED_CREDENTIALS_KEY is the setting's former name, still read when the new one is not set.
STORED_SECRETS_KEYS = env_fernet_keys("STORED_SECRETS_KEY")
former_keys = env_fernet_keys("FEED_CREDENTIALS_KEY")
if STORED_SECRETS_KEYS and former_keys and former_keys != STORED_SECRETS_KEYS:
    raise ImproperlyConfigured(
        "STORED_SECRETS_KEY and FEED_CREDENTIALS_KEY (its former name) differ: set "
        "STORED_SECRETS_KEY only."
    )
STORED_SECRETS_KEYS = STORED_SECRETS_KEYS or former_keys
del former_keys

# --- Scheduled feeds ---
# Local feeds must be files under this folder, so a feed cannot read the console's own files.
FEED_LOCAL_ROOT = Path(env_str("FEED_LOCAL_ROOT") or VAR_DIR / "feeds")
FEED_TIMEOUT = env_float("FEED_TIMEOUT", 30.0, minimum=1.0, maximum=600)
FEED_RUN_LEASE_SECONDS = env_int("FEED_RUN_LEASE_SECONDS", 120, minimum=30)
# A feed looking every minute makes 1,440 runs a day: older runs are pruned every night (each
# feed's latest runs and the runs that started an import stay).
FEED_RUN_RETENTION_DAYS = env_int("FEED_RUN_RETENTION_DAYS", 30, minimum=1)

# --- Alerts: each channel is off until it is configured ---
ALERT_EMAILS = env_emails("ALERT_EMAILS")
ALERT_WEBHOOK_URL = env_url("ALERT_WEBHOOK_URL")
ALERT_WEBHOOK_FORMAT = env_choice("ALERT_WEBHOOK_FORMAT", "auto", ("auto", "slack", "teams"))
ALERT_REMIND_AFTER_MINUTES = env_int("ALERT_REMIND_AFTER_MINUTES", 24 * 60, minimum=0)
ALERT_FAILED_ROWS = env_int("ALERT_FAILED_ROWS", 10, minimum=0)
ALERT_FAILED_ROWS_MINUTES = env_int("ALERT_FAILED_ROWS_MINUTES", 15, minimum=1)
ALERT_SYNC_LAG_MINUTES = env_int("ALERT_SYNC_LAG_MINUTES", 60, minimum=1)
ALERT_DELIVERY_ATTEMPTS = env_int("ALERT_DELIVERY_ATTEMPTS", 5, minimum=1, maximum=50)
# The console's address, for links in alert messages (e.g. https://console.example.com).
CONSOLE_URL = env_url("CONSOLE_URL")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=300)
DEFAULT_FROM_EMAIL = env_str("ALERT_EMAIL_FROM", "citrusadmin@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Stock-out check ---
# GET requests per second to CitrusAd while checking (one product per request).
STOCKOUT_CHECK_RATE = env_float("STOCKOUT_CHECK_RATE", 5.0, minimum=0.1, maximum=100)
# After a re-sent product is confirmed, wait this long (CitrusAd's ingestion) before asking again.
STOCKOUT_RECHECK_MINUTES = env_int("STOCKOUT_RECHECK_MINUTES", 10, minimum=0)

# --- Celery ---
# REDIS_URL (or CELERY_BROKER_URL) selects Redis; without it the demo uses a file-system broker
# under var/, which needs no server and works across the demo's processes.
REDIS_URL = env_str("REDIS_URL")
# The file broker has no host, but kombu falls back to "localhost" with a warning each time a
# process connects or clones its connection when the URL names none: naming it here keeps
# `make demo`'s output to what matters.
FILE_BROKER_URL = "filesystem://localhost/"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or FILE_BROKER_URL
BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR / "processed"),
        # kombu's default is "control" in the working directory: the repository, for the demo.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Above every countdown and every task's time limit, so Redis never redelivers a task
    # that a live worker is still running.
    # The socket timeouts keep a worker or a web request from hanging on a Redis that accepts
    # connections and never answers (a worker's BRPOP waits 1 s, well inside the read timeout).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 2 * 3600,
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        "socket_timeout": REDIS_READ_TIMEOUT,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# Every queue of syncs.queues.Queue (priority: manual actions; sync: bulk; imports: CSV imports);
# every task is routed explicitly in syncs/schedule.py.
CELERY_TASK_DEFAULT_QUEUE = SyncQueue.SYNC.value
CELERY_TASK_QUEUES = tuple(Queue(queue.value) for queue in SyncQueue)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
