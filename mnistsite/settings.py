"""Settings for mnistsite, read from the environment (see README "Configuration").

Local development: the first ``make`` writes a git-ignored ``.env`` (``DJANGO_DEBUG=1`` and
a fresh secret key) that is read here, so every ``manage.py`` command works with nothing
exported; variables in the environment win over the file. Production (``DJANGO_DEBUG``
off, the default) refuses to start without ``DJANGO_SECRET_KEY`` (or
``DJANGO_SECRET_KEY_FILE``) and turns on Secure cookies, HSTS and the HTTPS redirect.
"""

import os
from datetime import timedelta
from pathlib import Path

from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, ExecutionProfile
from cassandra.policies import (
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    TokenAwarePolicy,
)
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from mnistsite.env import (
    cassandra_replication,
    env,
    envbool,
    envint,
    envlist,
    envrate,
    envsecret,
    envstr,
    read_env_file,
)
from recognizer.records.driver import BoundedRetryPolicy

BASE_DIR = Path(__file__).resolve().parent.parent

# DJANGO_ENV_FILE names another file, or none when empty (the settings tests use that).
read_env_file(os.environ.get("DJANGO_ENV_FILE", BASE_DIR / ".env"))

DEBUG = envbool("DJANGO_DEBUG", False)

SECRET_KEY = envsecret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off, or DJANGO_SECRET_KEY_FILE "
            "(for local development, `make` writes a .env with DJANGO_DEBUG=1)."
        )
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The Cassandra engine must come first: it registers the cqlengine connection
    # before other apps import their models.
    "django_cassandra_engine",
    "recognizer.admin_site.AdminConfig",  # django.contrib.admin with the history views
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_ratelimit",
    # Listed so that /api/v1/docs serves ninja's bundled Swagger UI, not a CDN's.
    "ninja",
    "recognizer",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the page below.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mnistsite.urls"
WSGI_APPLICATION = "mnistsite.wsgi.application"

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
            ],
        },
    },
]

# --- Databases -------------------------------------------------------------------------
# Users, sessions, API keys and login attempts live in SQLite, or in PostgreSQL when
# DATABASE_URL names one (postgres://user:password@host:5432/name), so that several web
# containers share them. Predictions live in Cassandra either way.

CASSANDRA_HOSTS = envlist("CASSANDRA_HOSTS", ["127.0.0.1"])
CASSANDRA_PORT = envint("CASSANDRA_PORT", 9042, minimum=1, maximum=65535)
CASSANDRA_KEYSPACE = envstr("CASSANDRA_KEYSPACE", "mnist_database")
# One replica by default: never more replicas than nodes (RF 2 on one node fails
# every QUORUM request). A cluster sets e.g. {"class": "NetworkTopologyStrategy",
# "datacenter1": 3}.
CASSANDRA_REPLICATION = cassandra_replication(
    "CASSANDRA_REPLICATION", {"class": "SimpleStrategy", "replication_factor": 1}
)
# Driver settings chosen on purpose (issue 7; docs/RELIABILITY.md):
# A request gives up after 2 s, so that an answer waits at most that long before the
# record goes to the outbox (retries included: the driver counts from the first try).
CASSANDRA_REQUEST_TIMEOUT = envint("CASSANDRA_REQUEST_TIMEOUT_MS", 2000, minimum=100) / 1000
# While the first connection cannot be made, try again at most this often (one caller at a
# time); every other request goes straight to the outbox instead of waiting.
CASSANDRA_CONNECT_RETRY = 2.0
# Records Cassandra could not take wait here (SQLite, WAL, synchronous=FULL) for the
# drainer, `manage.py drain_outbox --follow`.
OUTBOX_PATH = Path(envstr("OUTBOX_PATH", str(BASE_DIR / "var" / "outbox.sqlite3")))

DATABASE_URL = envstr("DATABASE_URL", "")
DATABASES = {
    "default": (
        # Each gunicorn worker thread keeps its connection for a minute, checked before reuse
        # (SQLite too: opening one costs 0.08 ms of CPU, on every request that reads a session,
        # an API key or the rate limit; docs/PERFORMANCE.md).
        {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True, **env.db_url_config(DATABASE_URL)}
        if DATABASE_URL
        else {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("DJANGO_SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    ),
    "cassandra": {
        "ENGINE": "django_cassandra_engine",
        "NAME": CASSANDRA_KEYSPACE,
        "HOST": ",".join(CASSANDRA_HOSTS),
        "TEST": {"NAME": f"test_{CASSANDRA_KEYSPACE}"},
        "OPTIONS": {
            "replication": CASSANDRA_REPLICATION,
            "connection": {
                # The engine ignores the PORT key; the driver takes it here.
                "port": CASSANDRA_PORT,
                # Connect on first use, never at import: gunicorn's workers each connect
                # after the fork (recognizer/db.py also forgets a connection a fork copied),
                # and the site starts while Cassandra is down.
                "lazy_connect": True,
                "retry_connect": True,
                # A frozen node accepts TCP but never answers: give up on it as fast as on
                # a request.
                "connect_timeout": 2,
                "control_connection_timeout": 2,
                # The driver's default backs off up to 600 s between reconnection tries;
                # a node back after 20 s should be written to within a few seconds.
                "reconnection_policy": ExponentialReconnectionPolicy(0.5, 4.0),
                # Heartbeats find a connection to a frozen node dead in ~15 s, not 60 s
                # (a 5 s timeout defuncted healthy connections of a loaded 2-core machine).
                "idle_heartbeat_interval": 5,
                "idle_heartbeat_timeout": 10,
                # The engine drops a plain "consistency" option, so consistency lives
                # in the default execution profile. LOCAL_QUORUM is 1 of 1 on a single
                # node and 2 of 3 on a three-replica cluster.
                "execution_profiles": {
                    EXEC_PROFILE_DEFAULT: ExecutionProfile(
                        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
                        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
                        request_timeout=CASSANDRA_REQUEST_TIMEOUT,
                        # Each failure retried once, idempotent statements only (the
                        # writer's prepared statements all are); then the outbox.
                        retry_policy=BoundedRetryPolicy(),
                        # An idempotent statement unanswered after 0.5 s is also sent to
                        # one other replica: a node of a cluster that is frozen, or rejoining
                        # and still slow, costs 0.5 s instead of the timeout and the outbox.
                        # One attempt only: extra attempts use up the query plan that a
                        # retry after a connection error needs.
                        speculative_execution_policy=ConstantSpeculativeExecutionPolicy(
                            delay=0.5, max_attempts=1
                        ),
                    )
                },
            },
        },
    },
}
# Some django-cassandra-engine code paths read this and fail when it is missing.
CASSANDRA_FALLBACK_ORDER_BY_PYTHON = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "recognizer:canvas"
LOGOUT_REDIRECT_URL = "login"

# --- Accounts: logins that cool off, sign-ups per address, e-mail for password resets -----

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username+address before the password is even hashed.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The pair (username, address) cools off: an attacker elsewhere cannot lock a real user
# out, and nobody is locked out for good.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = envint("DJANGO_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("DJANGO_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Every login form here names the field "username" (the admin's too).
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False  # no banner on every manage.py command

# New accounts per client address, in django-ratelimit's notation ("5/h", "20/d").
SIGNUP_RATE = envstr("DJANGO_SIGNUP_RATE", "5/h")

# One process's memory by default; DJANGO_CACHE_URL (redis://, pymemcache://) shares the
# counts between workers.
CACHES = {"default": env.cache_url("DJANGO_CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # django-ratelimit wants a cache shared by all workers. For a sign-up limit, counting
    # per worker is enough: N workers let at most N times the rate through.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# Predictions per plain user ("N/s", "N/m", "N/h"; a sliding window, so up to N may come in
# a burst); staff are never limited. This limit must hold across every worker, so its counts
# live in the shared cache when DJANGO_CACHE_URL names one, else in a table of the default
# database (`manage.py createcachetable`; SQLite, or PostgreSQL shared by several hosts when
# DATABASE_URL is set), never in one process's memory.
MNIST_PREDICT_RATE = envrate("MNIST_PREDICT_RATE", "60/m")
# The table holds one row per user active in the window. Django culls a third of it by key
# order once it has more than MAX_ENTRIES rows (300 by default), which would wipe live
# histories and let those users past the limit; expired rows go first, so the bound only has
# to exceed the users active in one window (one host serves ~230 predictions/s). Not far more:
# Django counts the rows on every write, 0.02 ms at 5,000 in SQLite but 1.5 ms at 20,000 (past
# SQLite's page cache). Busier sites: DJANGO_CACHE_URL.
CACHES["throttle"] = (
    {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "mnistsite_cache",
        "OPTIONS": {"MAX_ENTRIES": 5_000},
    }
    if CACHES["default"]["BACKEND"].endswith("LocMemCache")
    else CACHES["default"]
)

# Password reset mail: printed to the console unless DJANGO_EMAIL_URL names a server,
# e.g. smtp+tls://user:password@smtp.example.org:587.
globals().update(env.email_url("DJANGO_EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = envstr("DJANGO_DEFAULT_FROM_EMAIL", "mnistsite <noreply@localhost>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production) -------------------------------------------------------------
# With DEBUG off everything is on; each variable turns one part off for setups that need it.

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("DJANGO_BEHIND_TLS_PROXY", False) else None
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", not DEBUG)
# Off for plain HTTP behind a TLS proxy that does not send X-Forwarded-Proto.
SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Probes (Docker's HEALTHCHECK, a load balancer) speak plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload token only allows a submission to the browsers' list; it submits nothing.
SECURE_HSTS_PRELOAD = envbool("DJANGO_HSTS_PRELOAD", True)

# The templates have no inline script or style, so the policy can be strict.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # The answer shows the 28x28 image the model saw as a data: URL.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The page needs none of these powerful features; no third party can ask for them either.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

# --- The model ---------------------------------------------------------------------------

MNIST_MODEL_PATH = Path(
    envstr("MNIST_MODEL_PATH", str(BASE_DIR / "recognizer" / "ml" / "mnist_cnn.keras"))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        # The driver logs every failed (re)connection attempt, with a traceback at ERROR;
        # the writer ("outbox: ...") and /readyz report Cassandra's state in one line each.
        "cassandra": {"level": "CRITICAL"},
    },
}
