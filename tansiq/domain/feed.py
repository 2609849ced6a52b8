"""The coordination feed's records: what a node tells its peer nodes, as JSON, both ways.

A footprint travels as the deconfliction registry's pointer: where and when (the buffered
area's geometry as WKT, the window, the margin), on whom (subject ids), whose it is and whom to
call. Nothing else of the plan or post it stands for: no name, type, units or text. A record
read from a peer is untrusted: every field is checked, and anything wrong raises InvalidInput
naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import shapely
from shapely.errors import ShapelyError

from tansiq.domain.deconfliction import Footprint, FootprintKind
from tansiq.errors import InvalidInput

FOOTPRINT: Final = "footprint"
MAX_WKT: Final = 200_000
"""Characters of WKT a received area may have: a 60 km corridor of a few thousand vertices."""


def footprint_key(kind: FootprintKind, ref: str) -> str:
    return f"{kind.value}:{ref}"


def footprint_record(fp: Footprint) -> dict[str, Any]:
    """A footprint of this node as the feed carries it."""
    return {
        "kind": fp.kind.value,
        "ref": fp.ref,
        "owner": fp.owner,
        "contact": fp.contact,
        "area": fp.area.wkt,
        "buffer_m": fp.buffer_m,
        "start": None if fp.start is None else fp.start.isoformat(),
        "end": None if fp.end is None else fp.end.isoformat(),
        "margin_s": fp.margin.total_seconds(),
        "subjects": sorted(fp.subjects),
    }


def read_footprint(record: Any, origin: str) -> Footprint:
    """A footprint from a peer's record, its origin set to the peer; InvalidInput if bad."""
    if not isinstance(record, Mapping):
        raise InvalidInput("a footprint record must be an object")
    try:
        kind = FootprintKind(_text(record, "kind"))
    except ValueError:
        raise InvalidInput(f"unknown footprint kind {record.get('kind')!r}") from None
    return Footprint(
        kind=kind,
        ref=_text(record, "ref"),
        owner=_text(record, "owner"),
        area=_area(record.get("area")),
        buffer_m=_number(record, "buffer_m"),
        start=_time(record, "start"),
        end=_time(record, "end"),
        margin=timedelta(seconds=_number(record, "margin_s")),
        subjects=_subjects(record.get("subjects")),
        contact=_text(record, "contact", empty=True),
        origin=origin,
    )


def _text(record: Mapping[str, Any], name: str, *, empty: bool = False) -> str:
    value = record.get(name)
    if not isinstance(value, str) or (not empty and not value):
        what = "a string" if empty else "a non-empty string"
        raise InvalidInput(f"footprint field {name!r} must be {what}")
    return value


def _number(record: Mapping[str, Any], name: str) -> float:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"footprint field {name!r} must be a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"footprint field {name!r} must be finite")
    try:
        timedelta(seconds=value)
    except OverflowError:
        raise InvalidInput(f"footprint field {name!r} is out of range") from None
    return float(value)


def _time(record: Mapping[str, Any], name: str) -> datetime | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"footprint field {name!r} must be an ISO 8601 time or null")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"footprint field {name!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"footprint field {name!r} needs a time zone")
    return moment


def _area(value: Any) -> shapely.Geometry:
    if not isinstance(value, str) or not value or len(value) > MAX_WKT:
        raise InvalidInput(f"footprint field 'area' must be WKT of at most {MAX_WKT} characters")
    try:
        return shapely.from_wkt(value)
    except (ShapelyError, ValueError):
        raise InvalidInput("footprint field 'area' is not valid WKT") from None


def _subjects(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise InvalidInput("footprint field 'subjects' must be a list of STIX ids")
    return frozenset(value)
