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
from contextlib import AbstractContextManager
from functools import partial

from sqlalchemy.engine import Engine

from tansiq.api import periodic
from tansiq.store.incident_grid import fold_all, unfolded

log = logging.getLogger("tansiq.grid")


def fold(engine: Engine) -> None:
    """Fold what is new, if anything is."""
    if unfolded(engine):
        log.info("folded %d incidents into the map's grid", fold_all(engine))


def running(engine: Engine, poll_s: float) -> AbstractContextManager[None]:
    """A grid folder while the block runs (none when `poll_s` is 0)."""
    return periodic.running("tansiq-grid", partial(fold, engine), poll_s, log)
