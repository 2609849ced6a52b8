"""Failed logins slow a guesser down: after `login_max_failures` wrong passwords for one user
name (or `login_max_failures_per_address` from one client address) within the lockout window,
logins for it are refused until the window has passed since the last failure (429 with
Retry-After), right password or not. The address allows more, because a whole watch floor may
reach the node through one address.

Kept in the server's memory, not in the database: one `tansiq serve` serves a node, a restart
forgets the counts (an administrator can also restart to lift a lockout), and a refused guess
costs no write. Every refusal is still audited as `login-throttled`, so the audit log shows a
guesser at work. Per address as well as per name, so spraying one password over many names
is slowed too; per name as well as per address, so a guesser who changes address is too.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

KEYS_KEPT = 10_000
"""Most names and addresses remembered at once; the oldest are forgotten first."""


class LoginThrottle:
    """Failures per key (a user name or an address) within a sliding window."""

    def __init__(self, per_name: int, per_address: int, window: timedelta) -> None:
        self._limits = {"name": per_name, "addr": per_address}
        self._window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: tuple[str, ...], now: datetime) -> timedelta | None:
        """How long until a login for these keys is accepted again; None if it is now."""
        with self._lock:
            waits = [self._wait(key, now) for key in keys]
        blocked = [w for w in waits if w is not None]
        return max(blocked) if blocked else None

    def failed(self, keys: tuple[str, ...], now: datetime) -> None:
        with self._lock:
            for key in keys:
                times = self._failures.pop(key, None) or deque(maxlen=self._limit(key))
                times.append(now)
                self._failures[key] = times  # re-inserted: most recent last
            while len(self._failures) > KEYS_KEPT:
                del self._failures[next(iter(self._failures))]

    def succeeded(self, name_key: str) -> None:
        """A right password ends the name's count (not the address's: others may share it)."""
        with self._lock:
            self._failures.pop(name_key, None)

    def _limit(self, key: str) -> int:
        return self._limits[key.partition(":")[0]]

    def _wait(self, key: str, now: datetime) -> timedelta | None:
        times = self._failures.get(key)
        if times is None or len(times) < self._limit(key) or times[-1] - times[0] > self._window:
            return None  # fewer failures, or spread over more than a window
        wait = times[-1] + self._window - now
        if wait <= timedelta(0):
            del self._failures[key]
            return None
        return wait


def keys(name: str, address: str | None) -> tuple[str, ...]:
    """The keys a login attempt counts against: its name, and its address when known."""
    name_key = "name:" + name.casefold()
    return (name_key,) if address is None else (name_key, "addr:" + address)
