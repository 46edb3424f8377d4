"""Settings for mnistsite, read from the environment (see README "Configuration").

Local development needs nothing set: SQLite for users and sessions, a Cassandra node
on 127.0.0.1:9042 (``make run`` starts one) and the shipped model. Production
(``DJANGO_DEBUG`` off, the default) refuses to start without ``DJANGO_SECRET_KEY``.
"""

from pathlib import Path

from cassandra import ConsistencyLevel
from cassandra.cluster import EXEC_PROFILE_DEFAULT, ExecutionProfile
from cassandra.policies import (
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    TokenAwarePolicy,
)
from django.core.exceptions import ImproperlyConfigured

from mnistsite.env import cassandra_replication, envbool, envint, envlist, envstr

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
    "recognizer.admin_site.AdminConfig",  # django.contrib.admin with the history views
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
# How long one Cassandra request may take before the driver gives up on it.
CASSANDRA_REQUEST_TIMEOUT = envint("CASSANDRA_REQUEST_TIMEOUT_MS", 3000, minimum=100) / 1000

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
                # Start even while Cassandra is still coming up; connect on first use.
                "lazy_connect": True,
                "retry_connect": True,
                "connect_timeout": 5,
                # The driver's default backs off up to 600 s between reconnection tries,
                # far too long for a node that restarts in 30 s.
                "reconnection_policy": ExponentialReconnectionPolicy(0.5, 10.0),
                # The engine drops a plain "consistency" option, so consistency lives
                # in the default execution profile. LOCAL_QUORUM is 1 of 1 on a single
                # node and 2 of 3 on a three-replica cluster.
                "execution_profiles": {
                    EXEC_PROFILE_DEFAULT: ExecutionProfile(
                        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy()),
                        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
                        request_timeout=CASSANDRA_REQUEST_TIMEOUT,
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
        # The driver logs every failed reconnection attempt at WARNING.
        "cassandra": {"level": "ERROR"},
    },
}
