"""Settings for mnistsite, read from the environment (see README "Configuration").

Local development needs nothing set: SQLite for users and sessions, a Cassandra node
on 127.0.0.1:9042 (``make run`` starts one) and the shipped model. Production
(``DJANGO_DEBUG`` off, the default) refuses to start without ``DJANGO_SECRET_KEY``.
"""

from pathlib import Path

from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, ExecutionProfile
from cassandra.policies import (
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    TokenAwarePolicy,
)
from django.core.exceptions import ImproperlyConfigured

from mnistsite.env import cassandra_replication, envbool, envint, envlist, envstr
from recognizer.records.driver import BoundedRetryPolicy

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DJANGO_DEBUG", False)

SECRET_KEY = envstr("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(set DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-local-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # The Cassandra engine must come first: it registers the cqlengine connection
    # before other apps import their models.
    "django_cassandra_engine",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "recognizer",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
# SQLite keeps users, sessions and the admin; predictions live in Cassandra.

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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": envstr("DJANGO_SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
    },
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

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("DJANGO_BEHIND_TLS_PROXY", False) else None
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = envbool("DJANGO_SECURE_COOKIES", False)

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
