"""Markings: TLP 2.0 plus partner releasability, and who may see a marked object.

An object's *audience* is the set of partner codes it is released to, always including its
originator. The rules, in one place (the store mirrors `visible` in SQL):

- No releasability marking: the audience is the originator alone (it never leaves its node).
- Several releasability scopes: the audience is their intersection (most restrictive wins).
- AMBER+STRICT: the originator alone, whatever the releasability says.
- RED: only the named recipients themselves; a release to an organisation does not reach its
  sub-organisations' users.
- Otherwise a release to an organisation also reaches its sub-organisations.

A viewer is either a person, who sees through their own partner and its parents, or a partner
node's sync account, which also carries its partner's sub-organisations so that their objects
reach the node that hosts them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from tansiq.errors import InvalidInput


class Tlp(StrEnum):
    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"

    @property
    def rank(self) -> int:
        return _TLP_ORDER.index(self)

    @property
    def label(self) -> str:
        return f"TLP:{self.value.upper()}"


_TLP_ORDER = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)

TLP_MARKING_IDS: Mapping[Tlp, str] = {
    Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
"""The OASIS TLP 2.0 marking-definition ids (cti-stix-common-objects), not the TLP 1.0 ones."""

TLP_BY_MARKING_ID: Mapping[str, Tlp] = {v: k for k, v in TLP_MARKING_IDS.items()}

NAMESPACE = uuid.UUID("6b1f9a52-5c1e-4d0b-9a57-7d1f0c2a3e41")
"""tansiq's UUIDv5 namespace: every node derives the same ids for the same partners and scopes."""


def parse_tlp(text: str) -> Tlp:
    value = text.strip().lower().removeprefix("tlp:").replace("_", "+")
    if value == "white":
        return Tlp.CLEAR
    try:
        return Tlp(value)
    except ValueError:
        choices = ", ".join(t.value for t in Tlp)
        raise InvalidInput(f"unknown TLP level {text!r}; use one of {choices}") from None


def most_restrictive(levels: Iterable[Tlp]) -> Tlp:
    return max(levels, key=lambda t: t.rank)


def identity_id(partner_code: str) -> str:
    """The STIX identity id of a partner: the same on every node."""
    return f"identity--{uuid.uuid5(NAMESPACE, 'partner:' + partner_code)}"


def releasability_marking_id(identity_ids: Iterable[str]) -> str:
    """The id of the releasability marking for exactly these recipients (sorted, so stable)."""
    members = ",".join(sorted(set(identity_ids)))
    return f"marking-definition--{uuid.uuid5(NAMESPACE, 'releasable-to:' + members)}"


@dataclass(frozen=True, slots=True)
class Marking:
    """How an object is marked: its TLP, the partners it is released to, and its originator."""

    tlp: Tlp
    originator: str
    releasable_to: frozenset[str] = frozenset()

    def audience(self) -> frozenset[str]:
        if self.tlp is Tlp.AMBER_STRICT:
            return frozenset({self.originator})
        return self.releasable_to | {self.originator}

    def narrowed_for(self, other: Marking) -> frozenset[str]:
        """Partners that could see an object marked `self` and cannot once it is marked `other`."""
        return self.audience() - other.audience()


def intersect_scopes(scopes: Iterable[frozenset[str]]) -> frozenset[str]:
    """Recipients named by every scope; no scope at all means no recipients."""
    result: frozenset[str] | None = None
    for scope in scopes:
        result = scope if result is None else result & scope
    return result or frozenset()


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is reading: the codes that let them see non-RED objects, and those for RED ones."""

    partner: str
    codes: frozenset[str]
    red_codes: frozenset[str]

    def sees(self, tlp: Tlp, audience: Iterable[str]) -> bool:
        members = set(audience)
        if tlp is Tlp.RED:
            return bool(members & self.red_codes)
        return bool(members & self.codes)


def person_viewer(partner: str, parents: Mapping[str, str | None]) -> Viewer:
    """A person sees what is released to their partner or any partner above it."""
    return Viewer(partner, frozenset(_ancestry(partner, parents)), frozenset({partner}))


def node_viewer(partner: str, parents: Mapping[str, str | None]) -> Viewer:
    """A partner node's sync account also collects what is released to its sub-organisations."""
    below = frozenset(_descendants(partner, parents))
    return Viewer(partner, frozenset(_ancestry(partner, parents)) | below, below | {partner})


def _ancestry(partner: str, parents: Mapping[str, str | None]) -> list[str]:
    chain = [partner]
    parent = parents.get(partner)
    while parent is not None and parent not in chain:
        chain.append(parent)
        parent = parents.get(parent)
    return chain


def _descendants(partner: str, parents: Mapping[str, str | None]) -> set[str]:
    found: set[str] = set()
    frontier = {partner}
    while frontier:
        frontier = {c for c, p in parents.items() if p in frontier and c not in found}
        found |= frontier
    return found
