"""gunicorn preloads the WSGI app in its master and forks the workers from it
(gunicorn.conf.py). The Cassandra driver is not fork-safe, so importing the app must open no
connection and start no thread: the workers connect after the fork."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_wsgi_app_opens_no_cassandra_connection_and_starts_no_thread():
    code = (
        "import threading, sys;"
        "import mnistsite.wsgi;"
        "from cassandra.cqlengine import connection;"
        "registered = connection._connections['cassandra'];"  # get_connection() would connect
        # Still to connect, with no cluster: recognizer/db.py's connection stands in a
        # session that refuses every use until then, so `session is None` cannot tell.
        "print(threading.active_count(), registered.lazy_connect, registered.cluster is None,"
        " 'tensorflow' in sys.modules, 'ai_edge_litert' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "test-only", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    # One thread, a registered but unopened (lazy) connection, and no model loaded yet.
    assert result.stdout.split() == ["1", "True", "True", "False", "False"]
