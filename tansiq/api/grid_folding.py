"""The grid folder: a thread of `tansiq serve` that folds new incidents into the map's grid.

An import only writes incidents (tansiq.store.incident_grid says why); this thread folds them
into incident_grid while the node serves: at start, then every `grid_fold_seconds`. It looks
first in a read transaction and takes the write lock only when there is something to fold, a
chunk at a time, so a page's report is never kept waiting more than a chunk. The map's answers
are exact before, during and after: what is not folded yet is counted from `incidents`.
An error is logged and tried again at the next poll; the thread never dies of it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

from tansiq.store.incident_grid import fold_all, unfolded

log = logging.getLogger("tansiq.grid")

STOP_WAIT_S = 30.0


class GridFolder:
    """One background thread folding new incidents into the grid until stopped."""

    def __init__(self, engine: Engine, poll_s: float) -> None:
        self._engine = engine
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tansiq-grid", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(STOP_WAIT_S)
        if self._thread.is_alive():
            log.warning("the grid folder did not stop within %s s", STOP_WAIT_S)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if unfolded(self._engine):
                    log.info("folded %d incidents into the map's grid", fold_all(self._engine))
            except Exception:
                log.exception(
                    "folding into the map's grid failed; trying again in %s s", self._poll_s
                )
            self._stop.wait(self._poll_s)


@contextmanager
def running(engine: Engine, poll_s: float) -> Iterator[None]:
    """A grid folder while the block runs (none when `poll_s` is 0)."""
    if poll_s <= 0:
        yield
        return
    folder = GridFolder(engine, poll_s)
    folder.start()
    try:
        yield
    finally:
        folder.stop()
