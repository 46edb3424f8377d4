"""CQL through the driver, imported lazily: the rest needs only the standard library."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence

from scripts.cassandra_node.common import EXIT_ENV, ScriptError
from scripts.cassandra_node.process import port_answers


@contextlib.contextmanager
def cql_session(hosts: Sequence[str], port: int, quiet: bool = True) -> Iterator[object]:
    try:
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import RoundRobinPolicy
    except ImportError:
        raise ScriptError(
            "the Python `cassandra` driver is missing: run this with the project's venv "
            "(.venv/bin/python scripts/cassandra ...) after `pip install -r requirements.txt`",
            EXIT_ENV,
        ) from None
    # The driver logs every refused connection while the node starts, protocol downgrades and,
    # at exit, libev's "Event loop thread could not be joined": keep it quiet for good (the
    # level is not restored, since that last message comes from an atexit handler).
    logging.getLogger("cassandra").setLevel(logging.CRITICAL + 1 if quiet else logging.ERROR)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=10)
    cluster = Cluster(
        contact_points=list(hosts),
        port=port,
        connect_timeout=2,
        control_connection_timeout=2,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
    )
    try:
        yield cluster.connect()
    finally:
        cluster.shutdown()


def probe(hosts: Sequence[str], port: int) -> str | None:
    """Cassandra's release_version when CQL answers on one of hosts:port, else None."""
    if not any(port_answers(host, port) for host in hosts):
        return None
    try:
        with cql_session(hosts, port) as session:
            row = session.execute("SELECT release_version FROM system.local").one()
            return str(row[0]) if row else "?"
    except ScriptError:
        raise
    except Exception:  # noqa: BLE001 - any driver error means "not answering yet"
        return None


def format_rows(column_names: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    if not column_names:
        return "OK"
    if "create_statement" in column_names:  # server-side DESCRIBE: print the CQL as is
        index = list(column_names).index("create_statement")
        return "\n\n".join(str(row[index]) for row in rows)
    texts = [[("null" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(c) for c in column_names]
    for row in texts:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=False)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(column_names, widths, strict=False))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) for row in texts]
    lines.append(f"({len(texts)} row{'s' if len(texts) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines)
