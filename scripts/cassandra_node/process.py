"""The node's process: pid files, locks, liveness, logs and ports."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess  # noqa: S404 - ps by absolute path, never through a shell
from collections.abc import Iterator
from pathlib import Path

from scripts.cassandra_node.common import DAEMON_CLASS, rel, say
from scripts.cassandra_node.config import write_atomically
from scripts.cassandra_node.layout import Node


def process_state(pid: int) -> str | None:
    """'Z' for a zombie, another letter for a live process, None when there is no such pid."""
    stat = Path(f"/proc/{pid}/stat")
    if stat.parent.parent.is_dir() and Path("/proc/self").exists():
        try:
            text = stat.read_text()
        except OSError:
            return None
        return text.rsplit(")", 1)[-1].split()[0]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return "S"
    return "S"


def is_alive(pid: int) -> bool:
    state = process_state(pid)
    return state is not None and state not in ("Z", "X")


def process_cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return raw.replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        pass
    ps = shutil.which("ps")
    if not ps:
        return ""
    result = subprocess.run(  # noqa: S603
        [ps, "-o", "args=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return result.stdout


def is_our_daemon(pid: int, node: Node) -> bool:
    """A live java CassandraDaemon started with this node's cassandra.yaml."""
    if not is_alive(pid):
        return False
    cmdline = process_cmdline(pid)
    return DAEMON_CLASS in cmdline and f"-Dcassandra.config={node.yaml_uri}" in cmdline


def find_orphan(node: Node) -> int | None:
    """Our node running without a pid file (it was deleted by hand): Linux /proc only."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    for entry in proc.iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if is_our_daemon(int(entry.name), node):
                    return int(entry.name)
    return None


def live_pid(node: Node) -> int | None:
    """The pid of this node's running Cassandra; removes a stale pid file on the way."""
    try:
        text = node.pid_file.read_text().strip()
    except FileNotFoundError:
        text = None
    if text is not None:
        pid = int(text) if text.isdigit() else None
        if pid is not None and is_our_daemon(pid, node):
            return pid
        reason = "process gone" if pid is None or not is_alive(pid) else "not our Cassandra"
        say(f"removing stale pid file {rel(node.pid_file)} (pid {text or '?'}: {reason})")
        node.pid_file.unlink(missing_ok=True)
    orphan = find_orphan(node)
    if orphan is not None:
        say(f"found this node's Cassandra running as pid {orphan} without a pid file; adopting it")
        write_atomically(node.pid_file, f"{orphan}\n")
    return orphan


@contextlib.contextmanager
def node_lock(node: Node) -> Iterator[None]:
    """Serialise start/stop of one node (e.g. two `make` targets starting it at once)."""
    import fcntl

    node.home.mkdir(parents=True, exist_ok=True)
    with node.lock_file.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"another scripts/cassandra is working on {node.label}; waiting for it ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def log_sizes(node: Node) -> dict[Path, int]:
    """Where each log ends now, so that a failed start shows only what this run wrote."""
    return {p: p.stat().st_size if p.is_file() else 0 for p in (node.stdout_log, node.system_log)}


def tail(path: Path, lines: int = 30, since: int = 0) -> list[str]:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            end = handle.tell()
            handle.seek(since if 0 <= since <= end else 0)
            handle.seek(max(handle.tell(), end - 256 * 1024))
            data = handle.read().decode(errors="replace")
    except OSError:
        return []
    return data.splitlines()[-lines:]


def print_log_tails(node: Node, lines: int = 30, since: dict[Path, int] | None = None) -> None:
    for path in (node.stdout_log, node.system_log):
        last = tail(path, lines, (since or {}).get(path, 0))
        if last:
            say(f"--- last {len(last)} lines of {rel(path)} ---")
            for line in last:
                say(f"  {line}")


def port_is_free(address: str, port: int) -> bool:
    """Whether a server could listen on address:port now. SO_REUSEADDR, as Cassandra's own
    sockets have it: a node killed a moment ago leaves connections in TIME_WAIT on its port,
    which do not stop a restart."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
