"""The validator's thread: drains the quarantine inside the process that serves the app.

The app starts it when it starts and stops it when it stops (its lifespan, tansiq.api.app), so
`tansiq serve` validates what partners post while it serves, and a test client that enters and
leaves the app many times leaves no thread behind.

- Start: it drains at once, so objects a stopped or killed server left held are picked up when
  it starts again (rows a killed worker had claimed wait for their lease, a minute).
- Then it waits for `wake` (every inbox POST calls it) or `POLL_S` seconds, whichever is first,
  and drains again; it keeps the app's clock (`app.state.clock`) for every batch.
- Stop: an event stops it between two objects; it gives back the rest of its claim, so nothing
  is lost, and returns its connection to the pool. `stop` joins it.
- An error (a locked or unreachable database) is logged, and the worker tries again after
  `POLL_S`: the thread never dies of it.

We assume one `tansiq serve` process per database, so one worker. Several would be safe, only
wasteful: each claims its own rows (tansiq.store.quarantine), and one envelope's objects may then
be stored in a different order than posted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final

from sqlalchemy.engine import Engine

from tansiq.sharing import validation
from tansiq.sharing.taxii.validator import drain_batch

log = logging.getLogger("tansiq.taxii")

POLL_S: Final = 5.0
"""How often an idle worker looks for objects nobody woke it for (posted by another process)."""

STOP_WAIT_S: Final = 30.0


class Worker:
    """One background thread running `drain_batch` until stopped."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], batch: int, poll_s: float = POLL_S
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._batch = batch
        self._poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the validator is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tansiq-validator", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Something was just quarantined: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop between two objects and wait for the thread to end."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        self._wake.set()
        thread.join(STOP_WAIT_S)
        if thread.is_alive():
            log.warning("the validator did not stop within %s s", STOP_WAIT_S)

    def _run(self) -> None:
        try:
            validation.load()  # a second or more: better here than in the first batch
        except Exception:
            log.exception("stix2-validator cannot be loaded; inbox objects stay pending")
        while True:
            self._wake.clear()
            if self._stop.is_set():  # after clear: `stop` sets the stop event before wake
                return
            if not self._drain_once():
                self._wake.wait(self._poll_s)

    def _drain_once(self) -> int:
        try:
            return drain_batch(self._engine, self._clock(), self._batch, self._stop)
        except Exception:
            log.exception("the intake validator failed; trying again in %s s", self._poll_s)
            return 0


@contextmanager
def running(state: Any, clock: Callable[[], datetime]) -> Iterator[Worker]:
    """A worker on the app's engine and settings, known to the routes as `state.validator`."""
    worker = Worker(state.engine, clock, state.settings.taxii_validation_batch)
    state.validator = worker
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        state.validator = None


def wake(state: Any) -> None:
    """Wake the app's worker, if it runs one."""
    worker: Worker | None = getattr(state, "validator", None)
    if worker is not None:
        worker.wake()
