"""Values an app computes once and keeps on its state (`app.state`): the node's secrets.

Here, not in tansiq.api, so that the code using them (TAXII paging, signing) does not load the
web framework into every CLI command.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_lock = threading.Lock()


def per_app(state: Any, name: str, load: Callable[[], T]) -> T:
    """`state.<name>`, loaded once per app (by the first request that needs it) and kept."""
    found: T | None = getattr(state, name, None)
    if found is not None:
        return found
    with _lock:
        found = getattr(state, name, None)
        if found is None:
            found = load()
            setattr(state, name, found)
    return found
