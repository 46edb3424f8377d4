"""What a benchmark's processes cost: CPU seconds and resident memory from /proc, the CPU of
reaped children (vegeta) from os.times(), the whole machine's busy time, and which JVM is the
local Cassandra node.

    with Meter({"workers": pids, "cassandra": cassandra_pids()}) as meter:
        ...
    meter.group_cpu("workers")   # CPU seconds over the interval
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """CPU seconds so far of process ``pid``, or of one of its threads; 0 once it is gone."""
    path = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    try:
        fields = Path(path).read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def cassandra_pids(port: int = 9042, host: str = "127.0.0.1") -> list[int]:
    """The Cassandra JVM listening on ``host:port`` (read only: its CPU is part of each
    request's cost). Other Cassandra nodes on the machine are other people's work."""
    # /proc/net/tcp writes an IPv4 address as the little-endian hex of its 4 bytes.
    wanted = {"00000000", "".join(f"{int(b):02X}" for b in reversed(host.split(".")))}
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, _, hex_port = fields[1].rpartition(":")
        # The host (or every address): other nodes listen on 127.0.0.2 and so on.
        if fields[3] == "0A" and int(hex_port, 16) == port and address in wanted:
            listening.add(f"socket:[{fields[9]}]")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"CassandraDaemon" not in (entry / "cmdline").read_bytes():
                continue
            if any(os.readlink(fd) in listening for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


class Meter:
    """CPU seconds and peak RSS of a set of processes over an interval, and the whole machine's."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.peak_rss: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            for pids in self.groups.values():
                for pid in pids:
                    self.peak_rss[pid] = max(self.peak_rss.get(pid, 0.0), rss_mb(pid))

    def __enter__(self) -> Meter:
        self._cpu0 = {pid: cpu_seconds(pid) for pids in self.groups.values() for pid in pids}
        self._machine0 = machine_busy_seconds()
        self._self0 = time.process_time()
        self._wall0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.wall = time.monotonic() - self._wall0
        busy1, total1 = machine_busy_seconds()
        self.machine_busy = busy1 - self._machine0[0]
        self.machine_cores = (total1 - self._machine0[1]) / self.wall
        # A process that ended meanwhile (another engineer's Cassandra) counts as nothing.
        self.cpu = {
            pid: max(0.0, cpu_seconds(pid) - self._cpu0.get(pid, 0.0))
            for pids in self.groups.values()
            for pid in pids
        }
        self.cpu_self = time.process_time() - self._self0

    def group_cpu(self, name: str) -> float:
        return sum(self.cpu.get(pid, 0.0) for pid in self.groups[name])


_children_cpu_seen = 0.0


def process_cpu_from_children() -> float:
    """CPU seconds of reaped children (vegeta) since the last call."""
    global _children_cpu_seen
    times = os.times()
    total = times.children_user + times.children_system
    delta, _children_cpu_seen = total - _children_cpu_seen, total
    return delta
