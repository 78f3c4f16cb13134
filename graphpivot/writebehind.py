"""Write one batch while the loader reads the next.

Both engines release the GIL while they execute (Ladybug in C++, Neo4j while the
driver waits on the socket), so a single writer thread overlaps parsing with
writing. Batches are written in the order given; at most one waits while one is
written, so memory stays bounded by the batch size.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]


class BackgroundWriter:
    """Runs submitted write jobs in order on one thread; the first failure is raised to the submitter."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="graphpivot-writer", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        """Queue ``job`` (blocks while another waits); raises a failure of an earlier job."""
        self._raise_failure()
        self._jobs.put(job)

    def close(self) -> None:
        """Wait for every queued job, stop the thread, raise a failure if one happened."""
        self._jobs.put(None)
        self._thread.join()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None:  # after a failure, later jobs are dropped: the load is failing
                try:
                    job()
                except BaseException as exc:  # handed to the submitting thread
                    self._error = exc
