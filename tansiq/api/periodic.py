"""Background work of `tansiq serve`: one thread per job, run at start and then every poll.

An error is logged and tried again at the next poll; the thread never dies of it. Stopping
waits up to STOP_WAIT_S for the job in hand to finish.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_WAIT_S = 30.0


class Periodic:
    """One background thread running `job` every `poll_s` seconds until stopped."""

    def __init__(self, name: str, job: Callable[[], None], poll_s: float, log: logging.Logger):
        self._job, self._poll_s, self._log = job, poll_s, log
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_WAIT_S)
        if self._thread.is_alive():
            self._log.warning("%s did not stop within %s s", self._thread.name, STOP_WAIT_S)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._job()
            except Exception:
                self._log.exception(
                    "%s failed; trying again in %s s", self._thread.name, self._poll_s
                )
            self._stop.wait(self._poll_s)


@contextmanager
def running(
    name: str, job: Callable[[], None], poll_s: float, log: logging.Logger
) -> Iterator[None]:
    """The job in a background thread while the block runs (none when `poll_s` is 0)."""
    if poll_s <= 0:
        yield
        return
    worker = Periodic(name, job, poll_s, log)
    worker.start()
    try:
        yield
    finally:
        worker.stop()
