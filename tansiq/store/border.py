"""The border tables: sectors, observations (read through their audience, failing closed),
alert rules and alerts (seen only by the partner they were raised for)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.border import AlertRule, ObservationKind, Sector, Stamp
from tansiq.domain.markings import Tlp, Viewer
from tansiq.store.positions import utc
from tansiq.store.schema_border import (
    border_alert_rules,
    border_alerts,
    border_observation_audience,
    border_observations,
    border_sectors,
)

# --- sectors ---------------------------------------------------------------------------------


def sector_values(seq: int, sector: Sector) -> dict[str, Any]:
    return {
        "id": sector.id,
        "seq": seq,
        "district_pcode": sector.district.pcode,
        "districts": " ".join(sector.districts),
        "name_en": sector.name_en,
        "name_ar": sector.name_ar,
        "start_m": sector.start_m,
        "end_m": sector.end_m,
        "coordinates": orjson.dumps([list(c) for c in sector.coordinates]).decode(),
    }


def stored_sectors(conn: Connection) -> list[dict[str, Any]]:
    """Every sector, south-west to north-east, its line as [[lon, lat], ...]."""
    rows = conn.execute(sa.select(border_sectors).order_by(border_sectors.c.seq)).mappings()
    return [_sector(row) for row in rows]


def _sector(row: Any) -> dict[str, Any]:
    found = dict(row)
    found["coordinates"] = orjson.loads(found["coordinates"])
    found["districts"] = found["districts"].split()
    if found["assigned_at"] is not None:
        found["assigned_at"] = utc(found["assigned_at"])
    return found


def insert_sectors(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    conn.execute(border_sectors.insert(), list(rows))


def lock_sector(conn: Connection, sector_id: str) -> None:
    """Hold a sector's row until commit (PostgreSQL), so that two observations completing the
    same burst at once are checked one after the other (SQLite has one writer anyway)."""
    query = sa.select(border_sectors.c.id).where(border_sectors.c.id == sector_id)
    conn.execute(query.with_for_update())


def update_sector(conn: Connection, sector_id: str, values: dict[str, Any]) -> None:
    conn.execute(border_sectors.update().where(border_sectors.c.id == sector_id).values(**values))


# --- observations ----------------------------------------------------------------------------


def observation_visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """True for observations the viewer may see (the SQL form of `Viewer.sees`)."""
    a = border_observation_audience.alias()
    o = border_observations.c
    red = a.c.partner_code.in_(sorted(viewer.red_codes))
    other = sa.and_(o.tlp != Tlp.RED.value, a.c.partner_code.in_(sorted(viewer.codes)))
    return sa.exists().where(a.c.observation_id == o.id, sa.or_(red, other))


def known_ref(conn: Connection, partner: str, source: str, source_ref: str) -> bool:
    o = border_observations.c
    query = sa.select(o.id).where(
        o.partner_code == partner, o.source == source, o.source_ref == source_ref
    )
    return conn.execute(query.limit(1)).first() is not None


def insert_observation(conn: Connection, values: dict[str, Any], audience: frozenset[str]) -> int:
    key = conn.execute(border_observations.insert().values(**values)).inserted_primary_key
    assert key is not None
    observation_id = int(key[0])
    rows = [{"observation_id": observation_id, "partner_code": code} for code in sorted(audience)]
    conn.execute(border_observation_audience.insert(), rows)
    return observation_id


def find_observations(
    conn: Connection,
    viewer: Viewer,
    *,
    sector: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """The total the viewer may see and a page of them, newest first, each with the partners
    it is released to besides its own."""
    o = border_observations.c
    where = [observation_visible_to(viewer)]
    if sector is not None:
        where.append(o.sector_id == sector)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(border_observations).where(*where)
    ).scalar_one()
    query = (
        sa.select(border_observations)
        .where(*where)
        .order_by(o.observed_at.desc(), o.id.desc())
        .limit(limit)
        .offset(offset)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    audiences = _audiences(conn, [row["id"] for row in rows])
    for row in rows:
        row["observed_at"] = utc(row["observed_at"])
        row["recorded_at"] = utc(row["recorded_at"])
        row["releasable_to"] = sorted(audiences.get(row["id"], set()) - {row["partner_code"]})
    return int(total), rows


def _audiences(conn: Connection, ids: Sequence[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    a = border_observation_audience.c
    for start in range(0, len(ids), 500):
        query = sa.select(a.observation_id, a.partner_code).where(
            a.observation_id.in_(ids[start : start + 500])
        )
        for observation_id, code in conn.execute(query):
            found.setdefault(int(observation_id), set()).add(str(code))
    return found


def stamps(
    conn: Connection,
    viewer: Viewer,
    sector: str,
    kind: ObservationKind | None,
    start: datetime,
    end: datetime,
) -> list[Stamp]:
    """(time, id) of the observations in a sector the viewer may see, of a kind (None: any),
    observed from `start` to `end`."""
    o = border_observations.c
    query = sa.select(o.observed_at, o.id).where(
        o.sector_id == sector,
        o.observed_at >= utc(start),
        o.observed_at <= utc(end),
        observation_visible_to(viewer),
    )
    if kind is not None:
        query = query.where(o.kind == kind.value)
    return [(utc(row.observed_at), int(row.id)) for row in conn.execute(query)]


# --- rules and alerts ------------------------------------------------------------------------


def insert_rule(conn: Connection, rule: AlertRule, by: str, now: datetime) -> int:
    values = {
        "count": rule.count,
        "hours": rule.hours,
        "kind": rule.kind.value if rule.kind else None,
        "sector_id": rule.sector,
        "created_at": utc(now),
        "created_by": by,
    }
    key = conn.execute(border_alert_rules.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def active_rules(conn: Connection) -> list[tuple[int, AlertRule]]:
    r = border_alert_rules.c
    query = sa.select(border_alert_rules).where(r.removed_at.is_(None)).order_by(r.id)
    return [
        (
            int(row["id"]),
            AlertRule(
                int(row["count"]),
                float(row["hours"]),
                ObservationKind(row["kind"]) if row["kind"] else None,
                row["sector_id"],
            ),
        )
        for row in conn.execute(query).mappings()
    ]


def remove_rule(conn: Connection, rule_id: int, now: datetime) -> bool:
    r = border_alert_rules.c
    done = conn.execute(
        border_alert_rules.update()
        .where(r.id == rule_id, r.removed_at.is_(None))
        .values(removed_at=utc(now))
    )
    return done.rowcount == 1


def alerts_of(
    conn: Connection, rule_id: int, sector: str, partner: str
) -> list[tuple[int, datetime, datetime]]:
    """(id, first_at, last_at) of a rule's alerts in a sector for a partner, locked."""
    a = border_alerts.c
    query = (
        sa.select(a.id, a.first_at, a.last_at)
        .where(a.rule_id == rule_id, a.sector_id == sector, a.partner_code == partner)
        .order_by(a.id)
        .with_for_update()
    )
    return [(int(r.id), utc(r.first_at), utc(r.last_at)) for r in conn.execute(query)]


def insert_alert(conn: Connection, values: dict[str, Any]) -> int:
    key = conn.execute(border_alerts.insert().values(**values)).inserted_primary_key
    assert key is not None
    return int(key[0])


def update_alert(conn: Connection, alert_id: int, values: dict[str, Any]) -> None:
    conn.execute(border_alerts.update().where(border_alerts.c.id == alert_id).values(**values))


def find_alerts(conn: Connection, viewer: Viewer, limit: int = 1000) -> list[dict[str, Any]]:
    """The alerts raised for the viewer's own partner, newest first."""
    a = border_alerts.c
    query = (
        sa.select(border_alerts, border_sectors.c.name_en.label("sector_name"))
        .join(border_sectors, border_sectors.c.id == a.sector_id)
        .where(a.partner_code.in_(sorted(viewer.red_codes)))
        .order_by(a.raised_at.desc(), a.id.desc())
        .limit(limit)
    )
    rows = [dict(row) for row in conn.execute(query).mappings()]
    for row in rows:
        for name in ("first_at", "last_at", "raised_at"):
            row[name] = utc(row[name])
    return rows


def list_rules(conn: Connection) -> list[dict[str, Any]]:
    r = border_alert_rules.c
    query = sa.select(border_alert_rules).where(r.removed_at.is_(None)).order_by(r.id)
    return [dict(row) for row in conn.execute(query).mappings()]
