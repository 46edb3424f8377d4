"""Constants, the one error type, and small helpers shared by the package."""

from __future__ import annotations

import os
import re
from pathlib import Path

# Newest 5.0.x that resolved from Maven Central when this was written (5.0.8: 100 jars, 67 MB).
DEFAULT_VERSION = "5.0.8"
APPROX_DOWNLOAD_MB = 70

SCRIPTS_DIR = Path(__file__).resolve().parent.parent
REPO = SCRIPTS_DIR.parent
POM = SCRIPTS_DIR / "cassandra-pom.xml"

DAEMON_CLASS = "org.apache.cassandra.service.CassandraDaemon"
CLUSTER_NAME = "mnistsite-dev"
STORAGE_PORT = 7000
JMX_BASE_PORT = 7199
DEFAULT_NATIVE_PORT = 9042
MIN_JAVA, MAX_JAVA = 11, 23  # Java 24+ removed the SecurityManager Cassandra 5.0 still calls

EXIT_OK, EXIT_FAIL, EXIT_ENV, EXIT_NOT_RUNNING = 0, 1, 2, 3
ALTERNATIVES = (
    "set CASSANDRA_HOSTS=host1,host2 to use an existing Cassandra cluster, "
    "or run `docker compose up`"
)
PROGRESS_EVERY = 5.0  # seconds between progress lines

# From Cassandra 5.0's conf/jvm17-server.options (all `=ALL-UNNAMED`).
JAVA17_ADD_EXPORTS = (
    "java.base/jdk.internal.misc",
    "java.management.rmi/com.sun.jmx.remote.internal.rmi",
    "java.rmi/sun.rmi.registry",
    "java.rmi/sun.rmi.server",
    "java.sql/java.sql",
    "java.base/java.lang.ref",
    "jdk.unsupported/sun.misc",
    "jdk.compiler/com.sun.tools.javac.file",
    "jdk.attach/sun.tools.attach",
)
JAVA17_ADD_OPENS = (
    "java.base/java.lang.module",
    "java.base/jdk.internal.loader",
    "java.base/jdk.internal.ref",
    "java.base/jdk.internal.reflect",
    "java.base/jdk.internal.math",
    "java.base/jdk.internal.module",
    "java.base/jdk.internal.util.jar",
    "jdk.management/com.sun.management.internal",
    "java.base/sun.nio.ch",
    "java.base/java.io",
    "java.base/java.lang.reflect",
    "jdk.compiler/com.sun.tools.javac",
    "java.base/java.lang",
    "java.base/java.util",
    "java.base/java.nio",
)


class ScriptError(Exception):
    """A failure reported as one clear line (plus optional detail) and an exit code."""

    def __init__(self, message: str, code: int = EXIT_FAIL):
        super().__init__(message)
        self.code = code


def say(message: str = "") -> None:
    print(message, flush=True)


def env_int(name: str, default: int, minimum: int = 1, maximum: int = 1 << 31) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ScriptError(f"{name}={raw!r} is not an integer", EXIT_ENV) from None
    if not minimum <= value <= maximum:
        raise ScriptError(f"{name}={value} is out of range {minimum}..{maximum}", EXIT_ENV)
    return value


def cassandra_version() -> str:
    version = os.environ.get("CASSANDRA_VERSION", "").strip() or DEFAULT_VERSION
    if not re.fullmatch(r"[0-9A-Za-z.\-]+", version):
        raise ScriptError(f"CASSANDRA_VERSION={version!r} does not look like a version", EXIT_ENV)
    return version


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)
