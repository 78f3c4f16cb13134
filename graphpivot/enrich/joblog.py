"""Progress and events of a job: readable lines for people, JSON lines (``--log-json``) for schedulers."""

from __future__ import annotations

import json
import sys
import time
from typing import IO, Any

from graphpivot.enrich.base import Lookup

PROGRESS_EVERY = 5.0  # seconds between progress lines


class JobLog:
    """Writes one line per event to ``stream`` (stderr by default)."""

    def __init__(self, job: str, *, as_json: bool, stream: IO[str] | None = None) -> None:
        self.job = job
        self.as_json = as_json
        self.stream = stream or sys.stderr
        self.total = 0
        self.done = 0
        self.failed = 0
        self._last_progress = time.monotonic()

    def event(self, event: str, message: str = "", **fields: Any) -> None:
        """One structured event; ``message`` is what a person reads."""
        if self.as_json:
            line = {"ts": round(time.time(), 3), "job": self.job, "event": event, **fields}
            if message:
                line["message"] = message
            self.stream.write(json.dumps(line, default=str) + "\n")
        elif message:
            self.stream.write(f"{self.job}: {message}\n")
        self.stream.flush()

    def target(self, lookup: Lookup) -> None:
        """A target's outcome, once it is recorded in the graph."""
        self.done += 1
        if not lookup.answered:
            self.failed += 1
        message = "" if lookup.answered else f"{lookup.target}: {lookup.outcome} ({lookup.reason})"
        self.event(
            "target",
            message,
            target=lookup.target.ref,
            kind=lookup.target.label,
            outcome=lookup.outcome,
            reason=lookup.reason,
            attempts=lookup.attempts,
        )
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY or self.done == self.total:
            self._last_progress = now
            self.event(
                "progress",
                f"{self.done}/{self.total} targets, {self.failed} failed",
                done=self.done,
                total=self.total,
                failed=self.failed,
            )
