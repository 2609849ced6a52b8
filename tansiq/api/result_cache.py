"""Answers that are costly to compute (hot spots with 999 permutations, forecasts), kept in the
app's memory so that the map's second request for the same layer is instant.

A key names everything the answer depends on: the parameters and a fingerprint of the inputs
(tansiq.store.fingerprints), so that a new import changes the key rather than needing anyone
to clear the cache. At most `size` answers are kept; the least recently used goes first. Two
requests for the same missing key compute it once: the second waits for the first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from tansiq.app_state import per_app

DEFAULT_SIZE = 48


class ResultCache:
    """A bounded, thread-safe least-recently-used map from keys to computed answers."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        return len(self._answers)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The answer kept for `key`, or `compute()`'s, kept. An error is not kept."""
        found = self._get(key)
        if found is not None:
            return found
        with self._lock:
            guard = self._computing.setdefault(key, threading.Lock())
        with guard:
            found = self._get(key)
            if found is None:
                found = compute()
                self._put(key, found)
        with self._lock:
            self._computing.pop(key, None)
        return found

    def _get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
            return found

    def _put(self, key: Hashable, answer: Any) -> None:
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)


def results(state: Any) -> ResultCache:
    """The app's cache of analysis answers (one per app, made on first use)."""
    return per_app(state, "analysis_results", ResultCache)
