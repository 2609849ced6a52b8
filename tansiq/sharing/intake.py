"""Checking what partners send: is it STIX we accept, and how is it marked.

Cheap structural checks (stix2-validator is far too slow to run inline: it runs in the
background on what partners post to the inbox, tansiq.sharing.taxii.validator, and on every
bundle we emit in the tests) and the reading of markings, failing closed: an unknown marking,
an object with no TLP, a releasability marking whose id does not match its members are all
rejected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from tansiq.domain.markings import (
    TLP_BY_MARKING_ID,
    Marking,
    identity_id,
    intersect_scopes,
    most_restrictive,
    releasability_marking_id,
)
from tansiq.errors import InvalidInput
from tansiq.sharing.links import PUBLIC_KEYS, PUBLIC_PREFIXES
from tansiq.sharing.stix import (
    ACCEPTED_TYPES,
    RELEASABILITY_EXTENSION_ID,
    SPEC_VERSION,
    TLP1_MARKING_IDS,
    StixObject,
    check_id,
    check_refs,
    parse_stix_time,
    shown,
)

_MAX_DEPTH = 32


def _check_ref_shapes(value: Any, found: list[str], depth: int = 0) -> None:
    """Every *_ref is an identifier and every *_refs a list of them, at any depth; the links
    a viewer might not be allowed to follow are collected into `found` on the way. (Every
    received object passes here: most keys are tested once, for "_ref", and no more.)"""
    if depth > _MAX_DEPTH:
        raise InvalidInput(f"object nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, list):
        for item in value:
            if isinstance(item, _NESTED):
                _check_ref_shapes(item, found, depth + 1)
        return
    for key, item in value.items():
        if type(key) is not str:
            raise InvalidInput(f"property names must be strings, not {shown(key)}")
        if "_ref" in key and key.endswith(("_ref", "_refs")):
            _check_link(key, item, found)
        elif isinstance(item, _NESTED):
            _check_ref_shapes(item, found, depth + 1)


_NESTED = (dict, list)


def _check_link(key: str, item: Any, found: list[str]) -> None:
    if key.endswith("_ref"):
        check_id(item, None, key)
        if key not in PUBLIC_KEYS:
            found.append(item)
    else:
        refs = check_refs(item, key)
        if key not in PUBLIC_KEYS:
            found.extend(refs)


def _check_time(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    value: Any = obj.get(key)
    try:
        return parse_stix_time(value)  # not a str: refused inside
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {key}: {exc}") from None


def check_object(obj: Any, links: list[str] | None = None) -> StixObject:
    """`obj` if it is a STIX 2.1 object of a type we accept, well formed enough to store.

    Cheap structural checks only (stix2-validator is far too slow for sync): type, id, spec
    version, timestamps, the shape of every reference and marking. Raises InvalidInput.
    Pass `links` to receive what `refs_of` would return, from the same walk.
    """
    if not isinstance(obj, dict):
        raise InvalidInput(f"a STIX object must be a JSON object, not {type(obj).__name__}")
    stix_type = obj.get("type")
    if not isinstance(stix_type, str) or stix_type not in ACCEPTED_TYPES:
        raise InvalidInput(f"STIX type {shown(stix_type)} is not one tansiq accepts")
    where = check_id(obj.get("id"), stix_type, "id")
    if obj.get("spec_version") != SPEC_VERSION:
        raise InvalidInput(f"{where}: spec_version must be {SPEC_VERSION!r}")
    created = _check_time(obj, "created", where)
    versioned = "modified" in obj or stix_type != "marking-definition"  # markings are not
    if versioned and _check_time(obj, "modified", where) < created:
        raise InvalidInput(f"{where}: modified is before created")
    found: list[str] = []
    _check_common(obj, where, found)
    if links is not None:
        links.extend(ref for ref in dict.fromkeys(found) if not ref.startswith(PUBLIC_PREFIXES))
    return obj


def _check_common(obj: Mapping[str, Any], where: str, found: list[str]) -> None:
    try:
        _check_ref_shapes(obj, found)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    if "created_by_ref" in obj:
        check_id(obj["created_by_ref"], "identity", f"{where}: created_by_ref")
    for ref in obj.get("object_marking_refs", []):
        check_id(ref, "marking-definition", f"{where}: object_marking_refs")
    if not isinstance(obj.get("extensions", {}), dict):
        raise InvalidInput(f"{where}: extensions must be a JSON object")
    if not isinstance(obj.get("revoked", False), bool):
        raise InvalidInput(f"{where}: revoked must be true or false")


def releasability_members(
    definition: Mapping[str, Any], codes_by_identity: Mapping[str, str]
) -> frozenset[str]:
    """The partners a releasability marking-definition names (raw ids for unknown ones).

    Raises InvalidInput unless it is one of ours and its id matches its members, so that no
    one can redefine a marking id every node derives from the same members.
    """
    ref = definition.get("id")
    extensions = definition.get("extensions")
    scope = extensions.get(RELEASABILITY_EXTENSION_ID) if isinstance(extensions, Mapping) else None
    if not isinstance(scope, Mapping) or scope.get("scope") != "releasable-to":
        raise InvalidInput(f"unknown marking {ref}")
    members = scope.get("releasable_to")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise InvalidInput(f"marking {ref}: releasable_to must be a list of identity ids")
    if releasability_marking_id(members) != ref:
        raise InvalidInput(f"marking {ref}: its id does not match its releasable_to list")
    return frozenset(codes_by_identity.get(m, m) for m in members)


def _releasability_scope(
    ref: str, known: Mapping[str, Mapping[str, Any]], codes_by_identity: Mapping[str, str]
) -> frozenset[str]:
    definition = known.get(ref)
    if not isinstance(definition, Mapping) or definition.get("id") != ref:
        raise InvalidInput(f"unknown marking {ref}")
    return releasability_members(definition, codes_by_identity)


def is_tlp(obj: Mapping[str, Any]) -> bool:
    """Whether `obj` is one of the standard TLP marking definitions (2.0 or 1.0)."""
    return obj.get("id") in TLP_BY_MARKING_ID or obj.get("id") in TLP1_MARKING_IDS


def codes_by_identity(codes: Iterable[str]) -> dict[str, str]:
    """Partner codes by their identity ids, to read `created_by_ref` and releasable_to."""
    return {identity_id(code): code for code in codes}


def read_marking(
    obj: Mapping[str, Any],
    known: Mapping[str, Mapping[str, Any]],
    codes_by_identity: Mapping[str, str],
    scopes: dict[str, frozenset[str]] | None = None,
) -> Marking:
    """How a received object is marked, failing closed.

    TLP 2.0 ids, and TLP 1.0 ones read as their 2.0 equivalents (WHITE is CLEAR); the most
    restrictive TLP wins. Other markings must be releasability markings in `known` (from the
    same envelope or already stored); several intersect. The originator is the partner of
    `created_by_ref`. Unknown identity ids are kept as the raw id, which matches no partner.
    Pass the same `scopes` dict for a batch to check each releasability marking only once.
    """
    where = obj.get("id", "object")
    refs = obj.get("object_marking_refs", [])
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise InvalidInput(f"{where}: object_marking_refs must be a list of ids")
    levels = [TLP_BY_MARKING_ID.get(r) or TLP1_MARKING_IDS.get(r) for r in refs]
    cache = {} if scopes is None else scopes
    found = []
    for ref, tlp in zip(refs, levels, strict=True):
        if tlp is None:
            if ref not in cache:
                cache[ref] = _releasability_scope(ref, known, codes_by_identity)
            found.append(cache[ref])
    tlps = [tlp for tlp in levels if tlp is not None]
    if not tlps:
        raise InvalidInput(f"{where}: no TLP marking; tansiq needs one on every object")
    creator = obj.get("created_by_ref")
    if not isinstance(creator, str):
        raise InvalidInput(f"{where}: no created_by_ref, so no originator")
    originator = codes_by_identity.get(creator, creator)
    return Marking(most_restrictive(tlps), originator, intersect_scopes(found))
