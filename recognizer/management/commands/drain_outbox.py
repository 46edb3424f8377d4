"""Replay the outbox into Cassandra: once, or for as long as the site runs (``--follow``).

One drainer process per outbox file, beside the web workers rather than a thread inside
each: however many gunicorn workers there are, one process replays in order (a lock file
makes a second drainer wait its turn), it keeps its own Cassandra connection, and a slow
replay never holds a worker that should be answering.
"""

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand, CommandError

from recognizer.records.outbox import OutboxError, outbox_drain, outbox_path, outbox_status

IDLE_POLL = 0.5  # seconds between looks at an empty outbox
RETRY_AFTER = 1.0  # seconds before trying again when Cassandra refused


class Command(BaseCommand):
    help = "Replay records waiting in the outbox into Cassandra (once, or --follow)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--follow",
            action="store_true",
            help="keep draining until stopped (SIGTERM/SIGINT); what `make run` and Docker run",
        )

    def handle(self, *args, follow: bool = False, **options) -> None:
        if follow:
            self._follow()
            return
        try:
            report = outbox_drain()
        except OutboxError as exc:
            raise CommandError(str(exc)) from exc
        if not report.ran:
            raise CommandError(f"another drainer is working on {outbox_path()}; try later")
        summary = f"{report.applied} replayed, {report.remaining} pending"
        if report.failed:
            summary += f", {report.failed} refused for good (set aside)"
        if report.error:
            self.stderr.write(f"Cassandra unavailable: {report.error}")
            raise CommandError(summary)
        self.stdout.write(summary)

    def _follow(self) -> None:
        stopping = False

        def stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"draining {outbox_path()} (stop with SIGTERM)")
        backlog_since: float | None = None
        replayed = 0
        while not stopping:
            try:
                report = outbox_drain(batch=100, limit=500)
            except OutboxError as exc:
                self.stderr.write(str(exc))
                time.sleep(RETRY_AFTER)
                continue
            busy = report.applied or report.remaining or report.failed
            if busy and backlog_since is None:
                backlog_since = time.monotonic()
                replayed = 0
                self.stdout.write(f"outbox: {report.applied + report.remaining} waiting; draining")
            replayed += report.applied
            if backlog_since is not None and report.ran and not report.remaining:
                took = time.monotonic() - backlog_since
                self.stdout.write(f"outbox: empty again, {replayed} replayed in {took:.1f} s")
                backlog_since = None
            if report.error:
                time.sleep(RETRY_AFTER)
            elif not report.remaining:
                time.sleep(IDLE_POLL)
        status = outbox_status()
        self.stdout.write(f"drainer stopped; {status.pending} pending")
