"""Approval rules and a planner's input: the node's policy (sides, escalation, contacts, SLA)
and a plan (a new operation's content, or the changes of an edit).

The policy is built once from the settings (tansiq.operations.policy_from) and passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from tansiq.domain.markings import Tlp
from tansiq.domain.operations import (
    DEFAULT_ESCALATION,
    TYPE_RULES,
    Area,
    Content,
    OperationType,
    utc_second,
)
from tansiq.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Policy:
    """The node's rules for operations (from Settings): the approving sides, escalation
    levels per side, duty contacts by partner or side, and SLA overrides per type."""

    sides: tuple[str, ...] = ("joc", "krg")
    escalation: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_ESCALATION)
    contacts: Mapping[str, str] = field(default_factory=dict)
    sla_hours: Mapping[str, float] = field(default_factory=dict)

    def sla(self, op_type: OperationType) -> timedelta:
        hours = self.sla_hours.get(op_type.value)
        return timedelta(hours=hours) if hours is not None else TYPE_RULES[op_type].sla

    def contact(self, partner: str, side: str | None) -> str:
        found = self.contacts.get(partner) or (self.contacts.get(side) if side else None)
        return found or f"{partner} duty officer"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a planner gives: a new operation's content but its owner (the planner's partner).
    In an edit, None keeps the current value."""

    name: str | None = None
    op_type: OperationType | None = None
    area: Area | None = None
    start: datetime | None = None
    end: datetime | None = None
    units: tuple[str, ...] | None = None
    subjects: frozenset[str] | None = None
    links: frozenset[str] | None = None
    tlp: Tlp | None = None
    releasable_to: frozenset[str] | None = None

    def given(self) -> dict[str, Any]:
        """The values given (times in UTC to the second, as the content keeps them)."""
        found = {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}
        for name in ("start", "end"):
            if name in found:
                found[name] = utc_second(found[name])
        return found

    def applied_to(self, base: Content) -> Content:
        return replace(base, **self.given())

    def new(self, owner: str) -> Content:
        """A new operation's content; InvalidInput naming the first thing missing."""
        for name in ("name", "op_type", "area", "start", "end"):
            if getattr(self, name) is None:
                raise InvalidInput(f"{name}: a new operation needs it")
        return Content(owner=owner, **self.given())
