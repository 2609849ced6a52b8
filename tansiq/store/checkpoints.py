"""The checkpoints table: registered, closed, and read through the viewer's releasability in SQL.

Releasability is the positions' rule (tansiq.store.positions): a checkpoint's audience rows name
the partners it is released to, its owner always among them; a viewer sees it when a row names
one of the viewer's codes (for TLP:RED, one of the viewer's own codes alone). No audience row,
no visibility: the filter fails closed, and it is in the WHERE of every read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.checkpoints import (
    Checkpoint,
    CheckpointDraft,
    CheckpointFilter,
    CheckpointKind,
    parse_hours,
    search_box,
)
from tansiq.domain.markings import Tlp, Viewer
from tansiq.store.schema import partners
from tansiq.store.schema_checkpoints import checkpoint_audience, checkpoints

_CHUNK = 500
_MAX_ID = 2**31 - 1  # an INTEGER id


def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """True for checkpoints the viewer may see (the SQL form of `Viewer.sees`)."""
    a = checkpoint_audience.alias()
    red = a.c.partner_code.in_(sorted(viewer.red_codes))
    other = sa.and_(checkpoints.c.tlp != Tlp.RED.value, a.c.partner_code.in_(sorted(viewer.codes)))
    return sa.exists().where(a.c.checkpoint_id == checkpoints.c.id, sa.or_(red, other))


def utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time (SQLite keeps no zone; times are written in UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def registered(
    conn: Connection, partner: str, keys: Iterable[tuple[str, datetime | None]]
) -> dict[tuple[str, datetime | None], int]:
    """Which of the partner's (name, valid_from) keys are registered already, with their ids."""
    wanted = {(name, utc(since)) for name, since in keys}
    names = sorted({name for name, _ in wanted})
    t = checkpoints.c
    found: dict[tuple[str, datetime | None], int] = {}
    for start in range(0, len(names), _CHUNK):
        query = sa.select(t.id, t.name, t.valid_from).where(
            t.partner_code == partner, t.name.in_(names[start : start + _CHUNK])
        )
        for checkpoint_id, name, since in conn.execute(query):
            if (name, utc(since)) in wanted:
                found[(name, utc(since))] = int(checkpoint_id)
    return found


def insert(conn: Connection, drafts: Sequence[CheckpointDraft], now: datetime) -> list[int]:
    """Write checkpoints and their audiences in the caller's transaction; their ids, in order."""
    if not drafts:
        return []
    returning = checkpoints.insert().returning(checkpoints.c.id, sort_by_parameter_order=True)
    result = conn.execute(returning, [_values(draft, now) for draft in drafts])
    ids = [int(row[0]) for row in result]
    audience = [
        {"checkpoint_id": checkpoint_id, "partner_code": code}
        for checkpoint_id, draft in zip(ids, drafts, strict=True)
        for code in sorted(draft.marking.audience())
    ]
    conn.execute(checkpoint_audience.insert(), audience)
    return ids


def _values(draft: CheckpointDraft, now: datetime) -> dict[str, Any]:
    return {
        "partner_code": draft.partner,
        "unit": draft.unit.strip(),
        "name": draft.name.strip(),
        "kind": draft.kind.value,
        "latitude": draft.latitude,
        "longitude": draft.longitude,
        "valid_from": utc(draft.valid_from),
        "valid_to": utc(draft.valid_to),
        "hours": str(draft.hours) if draft.hours else None,
        "closed_at": None,
        "tlp": draft.tlp.value,
        "registered_at": utc(now),
    }


def set_closed(conn: Connection, checkpoint_id: int, at: datetime) -> None:
    conn.execute(
        checkpoints.update().where(checkpoints.c.id == checkpoint_id).values(closed_at=utc(at))
    )


def checkpoint(row: Any) -> Checkpoint:
    """A stored row as the domain's checkpoint."""
    return Checkpoint(
        id=int(row["id"]),
        partner=row["partner_code"],
        unit=row["unit"],
        name=row["name"],
        latitude=float(row["latitude"]),
        longitude=float(row["longitude"]),
        valid_from=utc(row["valid_from"]),
        valid_to=utc(row["valid_to"]),
        hours=parse_hours(row["hours"] or ""),
        kind=CheckpointKind(row["kind"]),
        closed_at=utc(row["closed_at"]),
    )


def near(
    conn: Connection, viewer: Viewer, latitude: float, longitude: float, radius_m: float
) -> list[Checkpoint]:
    """The checkpoints the viewer may see in a box holding every point within `radius_m`."""
    west, south, east, north = search_box(latitude, longitude, radius_m)
    t = checkpoints.c
    query = sa.select(checkpoints).where(
        visible_to(viewer), t.latitude.between(south, north), t.longitude.between(west, east)
    )
    return [checkpoint(row) for row in conn.execute(query).mappings()]


def _where(viewer: Viewer, filt: CheckpointFilter) -> list[sa.ColumnElement[bool]]:
    t = checkpoints.c
    where = [visible_to(viewer)]
    if filt.bbox is not None:
        west, south, east, north = filt.bbox
        where += [t.latitude.between(south, north), t.longitude.between(west, east)]
    if filt.at is not None:
        at = utc(filt.at)
        where += [
            sa.or_(t.valid_from.is_(None), t.valid_from <= at),
            sa.or_(t.valid_to.is_(None), t.valid_to > at),
            sa.or_(t.closed_at.is_(None), t.closed_at > at),
        ]
    return where


def count_checkpoints(conn: Connection, viewer: Viewer, filt: CheckpointFilter) -> int:
    query = sa.select(sa.func.count()).select_from(checkpoints).where(*_where(viewer, filt))
    return int(conn.execute(query).scalar_one())


def find_checkpoints(
    conn: Connection,
    viewer: Viewer,
    filt: CheckpointFilter,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The checkpoints the viewer may see that match the filter, by owner, name and start,
    each with its owner's name and the partners it is released to besides its owner."""
    t = checkpoints.c
    query = (
        sa.select(checkpoints, partners.c.name.label("partner_name"))
        .join(partners, partners.c.code == t.partner_code)
        .where(*_where(viewer, filt))
        .order_by(t.partner_code, t.name, t.valid_from, t.id)
        .limit(limit)
        .offset(offset)
    )
    return _with_audience(conn, [dict(row) for row in conn.execute(query).mappings()])


def visible(conn: Connection, viewer: Viewer, checkpoint_id: int) -> dict[str, Any] | None:
    """One checkpoint if the viewer may see it; None exactly as for one that does not exist."""
    if not 1 <= checkpoint_id <= _MAX_ID:
        return None  # no such id can exist (and PostgreSQL would refuse the comparison)
    query = (
        sa.select(checkpoints, partners.c.name.label("partner_name"))
        .join(partners, partners.c.code == checkpoints.c.partner_code)
        .where(checkpoints.c.id == checkpoint_id, visible_to(viewer))
    )
    row = conn.execute(query).mappings().first()
    return _with_audience(conn, [dict(row)])[0] if row else None


def _with_audience(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    audiences = _audiences(conn, [row["id"] for row in rows])
    for row in rows:
        row["releasable_to"] = sorted(audiences.get(row["id"], set()) - {row["partner_code"]})
        for key in ("valid_from", "valid_to", "closed_at", "registered_at"):
            row[key] = utc(row[key])
    return rows


def _audiences(conn: Connection, ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    a = checkpoint_audience.c
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for checkpoint_id, code in conn.execute(
            sa.select(a.checkpoint_id, a.partner_code).where(a.checkpoint_id.in_(chunk))
        ):
            found.setdefault(int(checkpoint_id), set()).add(str(code))
    return found
