"""The positions table: writes keyed by (partner, name), and reads filtered by the viewer in SQL.

Releasability is the rule of tansiq.domain.markings, as for STIX objects (tansiq.store.objects):
a position's audience rows name the partners it is released to, its own partner always among
them; a viewer sees a position when a row names one of the viewer's codes (for TLP:RED, one of
the viewer's own codes alone). No audience row, no visibility: the filter fails closed, and it
is in the WHERE of every read, before any limit, so pages and counts agree with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.markings import Tlp, Viewer
from tansiq.domain.positions import Position, PositionFilter
from tansiq.store import footprints
from tansiq.store.schema import partners, position_audience, positions

_AUDIENCE_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did, position by position."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: tuple[int, ...] = field(default=(), compare=False)
    """The positions inserted or replaced (for their deconfliction); not part of the counts."""


def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """True for positions the viewer may see (the SQL form of `Viewer.sees`)."""
    a = position_audience.alias()
    red = a.c.partner_code.in_(sorted(viewer.red_codes))
    other = sa.and_(positions.c.tlp != Tlp.RED.value, a.c.partner_code.in_(sorted(viewer.codes)))
    return sa.exists().where(a.c.position_id == positions.c.id, sa.or_(red, other))


def put_positions(conn: Connection, found: Iterable[Position]) -> Written:
    """Write positions in the caller's transaction: a new (partner, name) is inserted, a known
    one is replaced when anything about it differs (its marking included), else left alone.
    Each one inserted or replaced is registered for deconfliction (tansiq.store.footprints)."""
    created = updated = unchanged = 0
    changed: list[int] = []
    for position in found:
        values = _values(position)
        audience = position.draft.marking.audience()
        stored = _stored(conn, values["partner_code"], values["name"])
        if stored is None:
            changed.append(_insert(conn, values, audience))
            created += 1
        elif _same(stored, values) and _audience(conn, stored["id"]) == audience:
            unchanged += 1
        else:
            _replace(conn, stored["id"], values, audience)
            changed.append(int(stored["id"]))
            updated += 1
    return Written(created, updated, unchanged, tuple(changed))


def _values(position: Position) -> dict[str, Any]:
    d = position.draft
    return {
        "partner_code": d.partner,
        "kind": d.kind.value,
        "name": d.name,
        "latitude": d.latitude,
        "longitude": d.longitude,
        "coverage_radius_m": d.coverage_radius_m,
        "active_from": _utc_or_none(d.active_from),
        "active_to": _utc_or_none(d.active_to),
        "synthetic": d.synthetic,
        "adm1_pcode": position.adm1_pcode,
        "adm2_pcode": position.adm2_pcode,
        "adm3_pcode": position.adm3_pcode,
        "disputed": position.disputed,
        "tlp": d.tlp.value,
    }


def _stored(conn: Connection, partner: str, name: str) -> dict[str, Any] | None:
    query = sa.select(positions).where(
        positions.c.partner_code == partner, positions.c.name == name
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def _same(stored: dict[str, Any], values: dict[str, Any]) -> bool:
    return all(_comparable(stored[key]) == _comparable(value) for key, value in values.items())


def _comparable(value: Any) -> Any:
    """Times compare as UTC instants (SQLite gives them back without their zone)."""
    return utc(value) if isinstance(value, datetime) else value


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC time: SQLite keeps no zone, so times are written in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return utc(moment) if moment is not None else None


def _audience(conn: Connection, position_id: int) -> frozenset[str]:
    query = sa.select(position_audience.c.partner_code).where(
        position_audience.c.position_id == position_id
    )
    return frozenset(conn.execute(query).scalars())


def _insert(conn: Connection, values: dict[str, Any], audience: frozenset[str]) -> int:
    key = conn.execute(positions.insert().values(**values)).inserted_primary_key
    assert key is not None
    _set_audience(conn, int(key[0]), audience)
    footprints.register_position(conn, int(key[0]), values)
    return int(key[0])


def _replace(
    conn: Connection, position_id: int, values: dict[str, Any], audience: frozenset[str]
) -> None:
    conn.execute(positions.update().where(positions.c.id == position_id).values(**values))
    conn.execute(position_audience.delete().where(position_audience.c.position_id == position_id))
    _set_audience(conn, position_id, audience)
    footprints.register_position(conn, position_id, values)


def _set_audience(conn: Connection, position_id: int, audience: frozenset[str]) -> None:
    rows = [{"position_id": position_id, "partner_code": code} for code in sorted(audience)]
    conn.execute(position_audience.insert(), rows)


def _where(viewer: Viewer, filt: PositionFilter) -> list[sa.ColumnElement[bool]]:
    t = positions.c
    where = [visible_to(viewer)]
    if filt.bbox is not None:
        box = filt.bbox
        where += [t.latitude.between(box.south, box.north), t.longitude.between(box.west, box.east)]
    if filt.active is not None:
        # Overlap of [active_from, active_to] with [start, end); an open end is unbounded.
        start, end = utc(filt.active.start), utc(filt.active.end)
        where += [
            sa.or_(t.active_from.is_(None), t.active_from < end),
            sa.or_(t.active_to.is_(None), t.active_to >= start),
        ]
    return where


def count_positions(conn: Connection, viewer: Viewer, filt: PositionFilter) -> int:
    """How many positions the viewer may see match the filter."""
    query = sa.select(sa.func.count()).select_from(positions).where(*_where(viewer, filt))
    return int(conn.execute(query).scalar_one())


def find_positions(
    conn: Connection,
    viewer: Viewer,
    filt: PositionFilter,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The positions the viewer may see that match the filter, by partner then name, each with
    its partner's name and the partners it is released to besides its own."""
    query = (
        sa.select(positions, partners.c.name.label("partner_name"))
        .join(partners, partners.c.code == positions.c.partner_code)
        .where(*_where(viewer, filt))
        .order_by(positions.c.partner_code, positions.c.name, positions.c.id)
        .limit(limit)
        .offset(offset)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    audiences = _audiences(conn, [row["id"] for row in rows])
    for row in rows:
        row["releasable_to"] = sorted(audiences.get(row["id"], set()) - {row["partner_code"]})
        row["active_from"] = _utc_or_none(row["active_from"])
        row["active_to"] = _utc_or_none(row["active_to"])
    return rows


def _audiences(conn: Connection, ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    a = position_audience.c
    for start in range(0, len(ids), _AUDIENCE_CHUNK):
        chunk = ids[start : start + _AUDIENCE_CHUNK]
        for position_id, code in conn.execute(
            sa.select(a.position_id, a.partner_code).where(a.position_id.in_(chunk))
        ):
            found.setdefault(int(position_id), set()).add(str(code))
    return found
