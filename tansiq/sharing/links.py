"""Links between objects, and cutting those a viewer may not follow.

A body lists the ids it links to (`refs_of`); a reader cuts the ones the viewer cannot read
(`without_refs`), or leaves out an object that cannot stand without them. Markings, identities
and extension definitions are public and never cut.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

StixObject = dict[str, Any]

PUBLIC_KEYS: Final = frozenset({"created_by_ref", "object_marking_refs", "marking_ref"})
PUBLIC_PREFIXES: Final = ("marking-definition--", "identity--", "extension-definition--")
_REQUIRED_REFS: Final[Mapping[str, tuple[str, ...]]] = {
    "relationship": ("source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
    "note": ("object_refs",),
    "opinion": ("object_refs",),
}
_FALLBACK_TO_CREATOR: Final = frozenset({"report", "grouping"})
DEPENDENT_TYPES: Final = frozenset(_REQUIRED_REFS)
"""Types a reader is not shown when the objects they are about are hidden from them."""


def _ref_key(key: Any) -> str | None:
    """'one' for a *_ref key, 'many' for *_refs, None otherwise (and for the public ones)."""
    if not isinstance(key, str) or key in PUBLIC_KEYS:
        return None
    return "one" if key.endswith("_ref") else "many" if key.endswith("_refs") else None


def _collect_refs(value: Any, found: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_refs(item, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            kind = _ref_key(key)
            if kind == "one" and isinstance(item, str):
                found.append(item)
            elif kind == "many" and isinstance(item, list):
                found.extend(ref for ref in item if isinstance(ref, str))
            elif key not in PUBLIC_KEYS:
                _collect_refs(item, found)


def refs_of(obj: Mapping[str, Any]) -> list[str]:
    """Ids this object links to that a viewer might not be allowed to see, in order, once each.

    Markings, identities and extension definitions are public, and so is `created_by_ref`.
    """
    found: list[str] = []
    _collect_refs(dict(obj), found)
    return [ref for ref in dict.fromkeys(found) if not ref.startswith(PUBLIC_PREFIXES)]


def _pruned(value: Any, hidden: set[str]) -> tuple[Any, bool]:
    """A copy of `value` without links to `hidden`, and whether a single *_ref was cut."""
    if isinstance(value, list):
        items = [_pruned(item, hidden) for item in value]
        return [item for item, cut in items if not cut], False
    if not isinstance(value, dict):
        return value, False
    out: dict[Any, Any] = {}
    cut = False
    for key, item in value.items():
        kind = _ref_key(key)
        if kind == "one" and isinstance(item, str) and item in hidden:
            cut = True
        elif kind == "many" and isinstance(item, list):
            kept = [ref for ref in item if not (isinstance(ref, str) and ref in hidden)]
            if kept:
                out[key] = kept
        else:
            out[key] = _pruned(item, hidden)[0]
    return out, cut


def without_refs(obj: Mapping[str, Any], hidden: set[str]) -> StixObject | None:
    """A copy of `obj` with links to `hidden` removed; None when it cannot stand without them.

    A relationship loses an end, a sighting its subject, a note or opinion all its objects: None.
    A report (or grouping) left with no object_refs points at its creator, as we build them.
    Entries of nested lists that point at a hidden object are dropped whole.
    """
    pruned: StixObject = _pruned(dict(obj), hidden)[0]
    stix_type = pruned.get("type")
    stix_type = stix_type if isinstance(stix_type, str) else ""
    if any(key not in pruned for key in _REQUIRED_REFS.get(stix_type, ())):
        return None
    if stix_type in _FALLBACK_TO_CREATOR and "object_refs" not in pruned:
        creator = pruned.get("created_by_ref")
        if not isinstance(creator, str):
            return None
        pruned["object_refs"] = [creator]
    return pruned
