"""The verdict of stix2-validator (3.3.2) on one object a partner sent: None, or why not.

Default, non-strict options for STIX 2.1: errors reject, warnings (custom properties, UUIDv5 ids,
open-vocabulary values) do not. `--strict` and `--interop` are no gates (INTEROP.md section 6;
`--interop` rejects the canonical TLP 2.0 marking definitions).

It checks about 600 objects a second at best, far too slow for a request: partner intake runs
it in the background on quarantined objects (tansiq.sharing.taxii.validator). The library takes
over a second to import, so it is imported on first use, not when the app starts.
"""

from __future__ import annotations

import copy
from functools import cache
from types import ModuleType
from typing import Any, Final

MAX_MESSAGE: Final = 300
"""Longest failure message put in a TAXII status."""

_SHOWN_ERRORS: Final = 2


@cache
def _library() -> ModuleType:
    import stix2validator  # type: ignore[import-untyped]

    module: ModuleType = stix2validator
    return module


def load() -> None:
    """Import the library now (the validator's thread does, as it starts), not on first use."""
    _library()


def problem(obj: dict[str, Any]) -> str | None:
    """Why stix2-validator rejects `obj` (a short message), or None if it passes.

    A validator crash on strange input is a rejection too: what cannot be checked is not stored.
    """
    library = _library()
    try:
        # Fresh options each time: the library writes into them while it validates.
        options = library.ValidationOptions(version="2.1")
        results = library.validate_instance(copy.deepcopy(obj), options)
    except Exception as exc:
        return _short(f"stix2-validator could not check it: {exc}")
    if results.is_valid:
        return None
    return _message(str(obj.get("id", "")), [str(error) for error in results.errors])


def _message(stix_id: str, errors: list[str]) -> str:
    prefix = f"{stix_id}: "
    shown = [e.removeprefix(prefix) for e in errors[:_SHOWN_ERRORS]]
    more = len(errors) - len(shown)
    text = "; ".join(shown) + (f" (and {more} more)" if more else "")
    return _short(f"stix2-validator: {text or 'invalid'}")


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
