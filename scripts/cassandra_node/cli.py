"""The commands: start, stop, status, wait, cql (see scripts/cassandra)."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess  # noqa: S404 - we run java by absolute path, never through a shell
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from scripts.cassandra_node.common import (
    DEFAULT_NATIVE_PORT,
    EXIT_ENV,
    EXIT_FAIL,
    EXIT_NOT_RUNNING,
    EXIT_OK,
    PROGRESS_EVERY,
    REPO,
    STORAGE_PORT,
    ScriptError,
    cassandra_version,
    env_int,
    rel,
    say,
)
from scripts.cassandra_node.config import write_atomically, write_config
from scripts.cassandra_node.cql import cql_session, format_rows, probe
from scripts.cassandra_node.jars import ensure_jars
from scripts.cassandra_node.java import (
    build_jvm_args,
    check_java_major,
    find_java,
    heap_size,
    java_major,
)
from scripts.cassandra_node.layout import (
    DEV,
    DEV_CLUSTER,
    Cache,
    Cluster,
    Node,
    external_hosts,
)
from scripts.cassandra_node.process import (
    is_alive,
    live_pid,
    log_sizes,
    node_lock,
    port_answers,
    port_is_free,
    print_log_tails,
)


def wait_ready(
    node: Node,
    pid: int,
    started: float,
    timeout: float,
    proc: subprocess.Popen | None = None,
    since: dict[Path, int] | None = None,
) -> str:
    """Wait until CQL answers; fail early, with the logs, if the process dies."""
    deadline = started + timeout
    next_note = time.monotonic() + PROGRESS_EVERY
    while True:
        dead = proc.poll() is not None if proc is not None else not is_alive(pid)
        if dead:
            code = proc.returncode if proc is not None else "?"
            print_log_tails(node, 30, since)
            node.pid_file.unlink(missing_ok=True)
            raise ScriptError(
                f"Cassandra (pid {pid}) exited with code {code} before CQL answered; "
                f"see the logs above and {rel(node.log_dir)}/"
            )
        version = probe([node.address], node.native_port)
        if version:
            return version
        now = time.monotonic()
        if now >= deadline:
            print_log_tails(node, 15, since)
            raise ScriptError(
                f"CQL on {node.address}:{node.native_port} did not answer within {timeout:.0f} s "
                f"(CASSANDRA_START_TIMEOUT); Cassandra pid {pid} is still running: "
                f"`scripts/cassandra wait` to keep waiting or `scripts/cassandra stop`"
            )
        if now >= next_note:
            next_note += PROGRESS_EVERY
            where = f"{node.address}:{node.native_port}"
            say(f"  ... waiting for CQL on {where}, {now - started:.0f} s")
        time.sleep(1.0)


def use_external(hosts: list[str], port: int, what: str) -> int:
    version = probe(hosts, port)
    where = ",".join(hosts)
    if version:
        say(f"CASSANDRA_HOSTS={where}: Cassandra {version} answers on port {port}; {what}")
        return EXIT_OK
    say(f"CASSANDRA_HOSTS={where}: nothing answers CQL on port {port}")
    return EXIT_NOT_RUNNING


def cmd_start(node: Node, timeout: float) -> int:
    hosts = external_hosts(node)
    if hosts:
        code = use_external(hosts, node.native_port, "using it, not starting a local node")
        return EXIT_OK if code == EXIT_OK else EXIT_FAIL
    with node_lock(node):
        pid = live_pid(node)
        if pid is not None:
            version = probe([node.address], node.native_port)
            if version:
                say(
                    f"Cassandra {version} is already running (pid {pid}) on "
                    f"{node.address}:{node.native_port}; nothing to do"
                )
                return EXIT_OK
            say(f"Cassandra (pid {pid}) is running but CQL does not answer yet; waiting ...")
            started = time.monotonic()
            version = wait_ready(node, pid, started, timeout)
            say(f"Cassandra {version} ready on {node.address}:{node.native_port}")
            return EXIT_OK

        version = probe([node.address], node.native_port)
        if version:
            say(
                f"CQL on {node.address}:{node.native_port} already answers (Cassandra {version}) "
                f"from a process this script did not start; using it, not starting a second one"
            )
            return EXIT_OK
        if port_answers(node.address, node.native_port):
            raise ScriptError(
                f"port {node.address}:{node.native_port} is taken by something that does not "
                f"answer CQL; free it or set CASSANDRA_PORT"
            )

        java = find_java()
        major = java_major(java)
        check_java_major(major, java)
        lib = ensure_jars(Cache(node.repo, cassandra_version()))
        for what, port in (("storage", STORAGE_PORT), ("JMX", node.jmx_port)):
            address = node.address if what == "storage" else "127.0.0.1"
            if not port_is_free(address, port):
                raise ScriptError(
                    f"{what} port {address}:{port} is in use (another Cassandra?); stop it first"
                )
        write_config(node)
        argv = build_jvm_args(java, major or 17, lib, node, heap_size())
        say(
            f"starting Cassandra {cassandra_version()} {node.label} on "
            f"{node.address}:{node.native_port} (Java {major}, heap {heap_size()}; "
            f"logs in {rel(node.log_dir)}/)"
        )
        since = log_sizes(node)
        started = time.monotonic()
        with node.stdout_log.open("ab") as out:
            out.write(f"\n==== scripts/cassandra start {time.ctime()} ====\n".encode())
            out.flush()
            proc = subprocess.Popen(  # noqa: S603
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=node.home,
                start_new_session=True,
                close_fds=True,
            )
        write_atomically(node.pid_file, f"{proc.pid}\n")
        version = wait_ready(node, proc.pid, started, timeout, proc, since)
        say(
            f"Cassandra {version} ready on {node.address}:{node.native_port} in "
            f"{time.monotonic() - started:.1f} s (pid {proc.pid})"
        )
        return EXIT_OK


def cmd_stop(node: Node, timeout: float) -> int:
    with node_lock(node):
        pid = live_pid(node)
        if pid is None:
            say(f"Cassandra {node.label} is not running; nothing to stop")
            return EXIT_OK
        group = os.getpgid(pid) == pid  # started with start_new_session: its own group

        def send(sig: signal.Signals) -> None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig) if group else os.kill(pid, sig)

        say(f"stopping Cassandra (pid {pid}) ...")
        started = time.monotonic()
        send(signal.SIGTERM)
        next_note = started + PROGRESS_EVERY
        while is_alive(pid) and time.monotonic() - started < timeout:
            time.sleep(0.5)
            if time.monotonic() >= next_note:
                next_note += PROGRESS_EVERY
                say(f"  ... draining, {time.monotonic() - started:.0f} s")
        if is_alive(pid):
            say(f"still running after {timeout:.0f} s; sending SIGKILL")
            send(signal.SIGKILL)
            kill_deadline = time.monotonic() + 10
            while is_alive(pid) and time.monotonic() < kill_deadline:
                time.sleep(0.2)
        node.pid_file.unlink(missing_ok=True)
        if is_alive(pid):
            raise ScriptError(f"Cassandra (pid {pid}) survived SIGKILL")
        say(f"stopped in {time.monotonic() - started:.1f} s")
        return EXIT_OK


def cmd_status(node: Node) -> int:
    hosts = external_hosts(node)
    if hosts:
        return use_external(hosts, node.native_port, "(an existing cluster; no local node)")
    pid = live_pid(node)
    version = probe([node.address], node.native_port)
    where = f"{node.address}:{node.native_port}"
    if pid is not None and version:
        say(f"running: Cassandra {version} (pid {pid}) answers CQL on {where}")
        return EXIT_OK
    if pid is not None:
        say(f"starting or unhealthy: pid {pid} is running but CQL on {where} does not answer")
        return EXIT_NOT_RUNNING
    if version:
        say(f"CQL on {where} answers (Cassandra {version}), not from a node this script started")
        return EXIT_OK
    say(f"not running ({node.label}, {where})")
    return EXIT_NOT_RUNNING


def cmd_wait(node: Node, timeout: float) -> int:
    hosts = external_hosts(node)
    if hosts:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if probe(hosts, node.native_port):
                return use_external(hosts, node.native_port, "ready")
            time.sleep(2)
        return use_external(hosts, node.native_port, "ready")
    pid = live_pid(node)
    if pid is None:
        version = probe([node.address], node.native_port)
        if version:
            say(f"Cassandra {version} answers on {node.address}:{node.native_port}")
            return EXIT_OK
        say(f"not running ({node.label}); use `scripts/cassandra start`")
        return EXIT_NOT_RUNNING
    started = time.monotonic()
    version = wait_ready(node, pid, started, timeout)
    say(f"Cassandra {version} ready on {node.address}:{node.native_port}")
    return EXIT_OK


def cmd_cql(node: Node, statement: str) -> int:
    hosts = external_hosts(node) or [node.address]
    if not any(port_answers(host, node.native_port) for host in hosts):
        say(f"nothing answers on {','.join(hosts)}:{node.native_port}; `scripts/cassandra start`")
        return EXIT_NOT_RUNNING
    with cql_session(hosts, node.native_port, quiet=False) as session:
        try:
            result = session.execute(statement)
        except Exception as exc:  # noqa: BLE001 - report the server's message in one line
            raise ScriptError(f"{type(exc).__name__}: {exc}") from None
        names = list(result.column_names or [])
        rows = list(result)
    say(format_rows(names, rows))
    return EXIT_OK


def cluster_from_args(args: argparse.Namespace) -> Cluster:
    if args.cluster == DEV:
        if args.address_offset or args.dir:
            raise ScriptError("--address-offset and --dir go with --cluster NAME", EXIT_ENV)
        return DEV_CLUSTER
    offset = 20 if args.address_offset is None else args.address_offset
    root = args.dir.resolve() if args.dir else None
    return Cluster(args.cluster, offset, root)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/cassandra",
        description=(
            "Run a local Apache Cassandra for development and tests: the development node, "
            "or the nodes of a separate local cluster (--cluster)."
        ),
    )
    parser.add_argument(
        "--node",
        type=int,
        default=1,
        choices=range(1, 10),
        metavar="N",
        help="node number 1-9: address 127.0.0.N, var/cassandra/nodeN (default 1)",
    )
    parser.add_argument(
        "--cluster",
        default=DEV,
        metavar="NAME",
        help=(
            "a local cluster of its own (never joins the dev node): cluster_name "
            "mnistsite-NAME, node N on 127.0.0.(OFFSET+N), seeded by its node 1, data in "
            "var/cassandra/NAME/nodeN (default: dev)"
        ),
    )
    parser.add_argument(
        "--address-offset",
        type=int,
        default=None,
        metavar="OFFSET",
        help="with --cluster: node N listens on 127.0.0.(OFFSET+N) (default 20)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --cluster: keep node N in DIR/nodeN instead of var/cassandra/NAME/nodeN",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="fetch jars once, configure, start and wait for CQL")
    sub.add_parser("stop", help="stop (SIGTERM, then SIGKILL after CASSANDRA_STOP_TIMEOUT)")
    sub.add_parser("status", help="exit 0 when running and answering CQL, 3 when not")
    sub.add_parser("wait", help="wait until CQL answers (CASSANDRA_START_TIMEOUT)")
    cql = sub.add_parser("cql", help="run one CQL statement and print the rows")
    cql.add_argument("statement")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        node = Node(
            args.node,
            REPO,
            env_int("CASSANDRA_PORT", DEFAULT_NATIVE_PORT, 1, 65535),
            cluster_from_args(args),
        )
        if args.command == "start":
            return cmd_start(node, env_int("CASSANDRA_START_TIMEOUT", 180))
        if args.command == "stop":
            return cmd_stop(node, env_int("CASSANDRA_STOP_TIMEOUT", 60))
        if args.command == "status":
            return cmd_status(node)
        if args.command == "wait":
            return cmd_wait(node, env_int("CASSANDRA_START_TIMEOUT", 180))
        return cmd_cql(node, args.statement)
    except ScriptError as exc:
        say(f"scripts/cassandra: {exc}")
        return exc.code
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
