"""The Syria border: sectors computed from the shipped line and stored, observations placed in
them, alert rules that raise alerts and tasks. Every change is audited in its transaction.

Observations are placed in a transverse Mercator plane centred on the line (lon_0 40.6°E), whose
scale differs from 1 by under 0.04 % along the border, so "within 15 km" is right to ~6 m.
An alert is raised for one partner and counts only the observations that partner may see: the
sector's assigned partner if it may see the observation that completed the burst, else the
observing partner. The alert and its task are that partner's alone, so neither the alert nor
its task tells anyone of observations not released to them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyproj
import shapely
from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.domain import border as rules
from tansiq.domain.areas import AreaLevel
from tansiq.domain.border import (
    TOLERANCE_M,
    AlertRule,
    District,
    ObservationDraft,
    Sector,
    burst_window,
    same_burst,
)
from tansiq.domain.markings import person_viewer
from tansiq.domain.reports import Role
from tansiq.errors import Forbidden, InvalidInput, NotFound
from tansiq.geo import reference
from tansiq.store import audit
from tansiq.store import border as store
from tansiq.store.partners import find_partner, partner_parents
from tansiq.store.positions import utc
from tansiq.tasks import open_task

_PLANE = "+proj=tmerc +lat_0=0 +lon_0=40.6 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
ASSIGNERS = frozenset({Role.ADMIN, Role.APPROVER})


# --- sectors ---------------------------------------------------------------------------------


@functools.cache
def computed_sectors() -> tuple[Sector, ...]:
    """The sectors of the shipped line (tansiq.domain.border), computed once per process."""
    line = reference.syria_border_line()
    coordinates = [(float(x), float(y)) for x, y in line.coords]
    return tuple(rules.sectors_along(coordinates, _segment_districts(coordinates)))


def _segment_districts(coordinates: list[tuple[float, float]]) -> list[District]:
    """Each segment's border district: the flagged district nearest to its midpoint (the line
    is drawn on the district edges, so the nearest is at distance ~0)."""
    flagged = [
        a for a in reference.areas() if a.level is AreaLevel.DISTRICT and a.syria_border_district
    ]
    pcodes, geometries = reference.area_geometries(AreaLevel.DISTRICT)
    shapes = np.array([geometries[pcodes.index(a.pcode)] for a in flagged], dtype=object)
    xy = np.array(coordinates)
    mids = shapely.points((xy[:-1] + xy[1:]) / 2)
    nearest = np.argmin(shapely.distance(mids[:, None], shapes[None, :]), axis=1)
    districts = [District(a.pcode, a.name_en, a.name_ar) for a in flagged]
    return [districts[i] for i in nearest]


def init_sectors(conn: Connection, by: str, now: datetime) -> int:
    """Store the computed sectors that are not stored yet; how many. Running it again stores
    nothing (a stored sector keeps its assignment)."""
    known = {row["id"] for row in store.stored_sectors(conn)}
    new = [
        store.sector_values(seq, sector)
        for seq, sector in enumerate(computed_sectors(), start=1)
        if sector.id not in known
    ]
    if new:
        store.insert_sectors(conn, new)
        audit.append(
            conn,
            at=now,
            actor=by,
            action="border-sectors",
            subject="border-sectors",
            detail={"created": len(new)},
        )
    return len(new)


def assign(
    conn: Connection, who: Principal, sector_id: str, unit: str, partner: str, now: datetime
) -> dict[str, Any]:
    """Assign a sector to a partner's unit (administrators and approvers)."""
    if who.role not in ASSIGNERS:
        raise Forbidden("only administrators and approvers assign border sectors")
    if not unit.strip() or len(unit) > 200:
        raise InvalidInput("unit: 1-200 characters")
    if find_partner(conn, partner) is None:
        raise InvalidInput(f"partner: unknown partner {partner!r}")
    sector = sector_by_id(conn, sector_id)
    values = {
        "unit": unit,
        "partner_code": partner,
        "assigned_at": utc(now),
        "assigned_by": who.name,
    }
    store.update_sector(conn, sector_id, values)
    audit.append(
        conn,
        at=now,
        actor=who.name,
        action="border-assign",
        subject=f"border-sector:{sector_id}",
        detail={"unit": unit, "partner": partner, "before": sector["partner_code"]},
    )
    return {**sector, **values}


def sector_by_id(conn: Connection, sector_id: str) -> dict[str, Any]:
    for sector in store.stored_sectors(conn):
        if sector["id"] == sector_id:
            return sector
    raise NotFound(f"no such border sector: {sector_id} (see `tansiq border sectors`)")


# --- placing observations ----------------------------------------------------------------------


@functools.cache
def _to_plane() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", _PLANE, always_xy=True)


@dataclass(frozen=True)
class Placer:
    """Finds the sector nearest to a point, within TOLERANCE_M of the line."""

    ids: tuple[str, ...]
    lines: Any  # numpy array of shapely LineStrings in the plane

    @classmethod
    def of(cls, sectors: list[dict[str, Any]]) -> Placer:
        if not sectors:
            raise InvalidInput("no border sectors here yet: run `tansiq border sectors init`")
        lines = []
        for sector in sectors:
            lon, lat = zip(*sector["coordinates"], strict=True)
            x, y = _to_plane().transform(lon, lat)
            lines.append(shapely.linestrings(np.column_stack([x, y])))
        return cls(tuple(s["id"] for s in sectors), np.array(lines, dtype=object))

    def place(self, latitude: float, longitude: float) -> tuple[str, float]:
        """(sector id, metres from the line), or InvalidInput naming the distance."""
        x, y = _to_plane().transform(longitude, latitude)
        distances = shapely.distance(shapely.points(x, y), self.lines)
        best = int(np.argmin(distances))
        metres = float(distances[best])
        if not metres <= TOLERANCE_M:
            raise InvalidInput(
                f"lat/lon: {latitude},{longitude} is {metres / 1000:,.1f} km from the Syria "
                f"border line; a border observation is within {TOLERANCE_M / 1000:.0f} km of it"
            )
        return self.ids[best], metres


def placer(conn: Connection, now: datetime) -> Placer:
    """A placer over the stored sectors (stored first if this node has none yet)."""
    if not store.stored_sectors(conn):
        init_sectors(conn, "system", now)
    return Placer.of(store.stored_sectors(conn))


# --- recording observations --------------------------------------------------------------------


def record_observation(
    conn: Connection, obs: ObservationDraft, now: datetime, *, by: str | None = None
) -> list[int]:
    """Place and store an observation, then run the alert rules; the ids of alerts raised.

    InvalidInput (nothing stored) for an unknown partner or a point too far from the line. An
    observation with a `source_ref` already stored for the same partner and source is not
    stored again (a CoT event or CSV row sent twice), and raises nothing.
    """
    _require_partners(conn, {obs.partner, *obs.releasable_to})
    if obs.source_ref and store.known_ref(conn, obs.partner, obs.source, obs.source_ref):
        return []
    sector_id, metres = placer(conn, now).place(obs.latitude, obs.longitude)
    return _store(conn, obs, sector_id, metres, by or obs.source, now)


def record_placed(
    conn: Connection, placed: Iterable[tuple[ObservationDraft, str, float]], by: str, now: datetime
) -> tuple[int, list[int]]:
    """Store observations already placed (a checked CSV file) in order; (stored, alert ids)."""
    stored, alerts = 0, []
    for obs, sector_id, metres in placed:
        if obs.source_ref and store.known_ref(conn, obs.partner, obs.source, obs.source_ref):
            continue
        alerts += _store(conn, obs, sector_id, metres, by, now)
        stored += 1
    return stored, alerts


def _require_partners(conn: Connection, codes: Iterable[str]) -> None:
    for code in sorted(codes):
        if find_partner(conn, code) is None:
            raise InvalidInput(f"unknown partner {code!r}: add it with `tansiq partners add`")


def _store(
    conn: Connection, obs: ObservationDraft, sector_id: str, metres: float, by: str, now: datetime
) -> list[int]:
    values = {
        "sector_id": sector_id,
        "kind": obs.observation_kind.value,
        "latitude": obs.latitude,
        "longitude": obs.longitude,
        "distance_m": round(metres, 1),
        "observed_at": utc(obs.observed_at),
        "recorded_at": utc(now),
        "recorded_by": by,
        "partner_code": obs.partner,
        "source": obs.source,
        "source_ref": obs.source_ref,
        "text": obs.text,
        "tlp": obs.tlp.value,
    }
    observation_id = store.insert_observation(conn, values, obs.marking.audience())
    audit.append(
        conn,
        at=now,
        actor=by,
        action="border-observe",
        subject=f"border-observation:{observation_id}",
        detail={"sector": sector_id, "kind": values["kind"], "partner": obs.partner},
    )
    return _run_rules(conn, obs, observation_id, sector_id, now)


# --- alerts ------------------------------------------------------------------------------------


def _run_rules(
    conn: Connection, obs: ObservationDraft, observation_id: int, sector_id: str, now: datetime
) -> list[int]:
    applying = [
        (rule_id, rule)
        for rule_id, rule in store.active_rules(conn)
        if rule.applies(obs.observation_kind, sector_id)
    ]
    if not applying:
        return []
    store.lock_sector(conn, sector_id)
    recipient = _recipient(conn, obs, sector_id)
    raised = []
    for rule_id, rule in applying:
        found = _check_rule(conn, rule_id, rule, recipient, obs, observation_id, sector_id, now)
        if found is not None:
            raised.append(found)
    return raised


def _recipient(conn: Connection, obs: ObservationDraft, sector_id: str) -> str:
    """The sector's partner if it may see the observation, else the observing partner."""
    assigned = sector_by_id(conn, sector_id)["partner_code"]
    if assigned is None:
        return obs.partner
    viewer = person_viewer(assigned, partner_parents(conn))
    return str(assigned) if viewer.sees(obs.tlp, obs.marking.audience()) else obs.partner


def _check_rule(
    conn: Connection,
    rule_id: int,
    rule: AlertRule,
    recipient: str,
    obs: ObservationDraft,
    observation_id: int,
    sector_id: str,
    now: datetime,
) -> int | None:
    viewer = person_viewer(recipient, partner_parents(conn))
    at = utc(obs.observed_at)
    seen = store.stamps(conn, viewer, sector_id, rule.kind, at - rule.window, at + rule.window)
    window = burst_window(seen, (at, observation_id), rule)
    if window is None:
        return None
    span = (window[0][0], window[1][0])
    for alert_id, first, last in store.alerts_of(conn, rule_id, sector_id, recipient):
        if same_burst(span, (first, last), rule):
            _extend(
                conn,
                alert_id,
                (min(first, span[0]), max(last, span[1])),
                viewer,
                rule,
                sector_id,
                now,
            )
            return None
    return _raise(conn, rule_id, rule, recipient, sector_id, span, viewer, now)


def _count(
    conn: Connection, viewer: Any, sector_id: str, rule: AlertRule, span: tuple[datetime, datetime]
) -> int:
    return len(store.stamps(conn, viewer, sector_id, rule.kind, span[0], span[1]))


def _extend(
    conn: Connection,
    alert_id: int,
    span: tuple[datetime, datetime],
    viewer: Any,
    rule: AlertRule,
    sector_id: str,
    now: datetime,
) -> None:
    count = _count(conn, viewer, sector_id, rule, span)
    store.update_alert(
        conn, alert_id, {"first_at": span[0], "last_at": span[1], "observations": count}
    )
    audit.append(
        conn,
        at=now,
        actor="system",
        action="border-alert-extend",
        subject=f"border-alert:{alert_id}",
        detail={"observations": count},
    )


def _raise(
    conn: Connection,
    rule_id: int,
    rule: AlertRule,
    recipient: str,
    sector_id: str,
    span: tuple[datetime, datetime],
    viewer: Any,
    now: datetime,
) -> int:
    count = _count(conn, viewer, sector_id, rule, span)
    alert_id = store.insert_alert(
        conn,
        {
            "rule_id": rule_id,
            "sector_id": sector_id,
            "partner_code": recipient,
            "first_at": span[0],
            "last_at": span[1],
            "observations": count,
            "raised_at": utc(now),
        },
    )
    sector = sector_by_id(conn, sector_id)
    what = rule.kind.value if rule.kind else "observation"
    task_id = open_task(
        conn,
        source_kind="border-alert",
        source_ref=str(alert_id),
        from_partner=recipient,
        to_partner=recipient,
        title=f"Border alert: {count} {what}(s) in sector {sector['name_en']} ({sector_id})",
        body=f"{count} {what}(s) from {_iso(span[0])} to {_iso(span[1])}; rule {rule_id}: "
        f"{rule.count} within {rule.hours:g} h.",
        by="system",
        now=now,
    )
    store.update_alert(conn, alert_id, {"task_id": task_id})
    audit.append(
        conn,
        at=now,
        actor="system",
        action="border-alert",
        subject=f"border-alert:{alert_id}",
        detail={"rule": rule_id, "sector": sector_id, "to": recipient, "task": task_id},
    )
    return alert_id


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")


# --- rules -------------------------------------------------------------------------------------


def add_rule(conn: Connection, who: Principal, rule: AlertRule, now: datetime) -> int:
    _require_admin(who)
    if rule.sector is not None:
        sector_by_id(conn, rule.sector)
    rule_id = store.insert_rule(conn, rule, who.name, now)
    audit.append(
        conn,
        at=now,
        actor=who.name,
        action="border-rule-add",
        subject=f"border-rule:{rule_id}",
        detail={"count": rule.count, "hours": rule.hours, "kind": rule.kind, "sector": rule.sector},
    )
    return rule_id


def remove_rule(conn: Connection, who: Principal, rule_id: int, now: datetime) -> None:
    _require_admin(who)
    if not store.remove_rule(conn, rule_id, now):
        raise NotFound(f"no such alert rule: {rule_id}")
    audit.append(
        conn,
        at=now,
        actor=who.name,
        action="border-rule-remove",
        subject=f"border-rule:{rule_id}",
        detail={},
    )


def _require_admin(who: Principal) -> None:
    if who.role is not Role.ADMIN:
        raise Forbidden("only administrators change border alert rules")


# --- records -----------------------------------------------------------------------------------


def sector_record(sector: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": sector["id"],
        "name_en": sector["name_en"],
        "name_ar": sector["name_ar"],
        "district": sector["district_pcode"],
        "districts": list(sector["districts"]),
        "start_km": round(sector["start_m"] / 1000, 3),
        "end_km": round(sector["end_m"] / 1000, 3),
        "length_km": round((sector["end_m"] - sector["start_m"]) / 1000, 3),
        "unit": sector["unit"],
        "partner": sector["partner_code"],
    }


def sector_feature(sector: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": sector["id"],
        "geometry": {"type": "LineString", "coordinates": sector["coordinates"]},
        "properties": sector_record(sector),
    }


def observation_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "sector": row["sector_id"],
        "kind": row["kind"],
        "lat": row["latitude"],
        "lon": row["longitude"],
        "distance_m": row["distance_m"],
        "observed_at": _iso(row["observed_at"]),
        "recorded_at": _iso(row["recorded_at"]),
        "partner": row["partner_code"],
        "source": row["source"],
        "source_ref": row["source_ref"],
        "text": row["text"],
        "tlp": row["tlp"],
        "releasable_to": list(row["releasable_to"]),
    }


def alert_record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "rule": row["rule_id"],
        "sector": row["sector_id"],
        "sector_name": row["sector_name"],
        "partner": row["partner_code"],
        "observations": row["observations"],
        "first_at": _iso(row["first_at"]),
        "last_at": _iso(row["last_at"]),
        "raised_at": _iso(row["raised_at"]),
        "task": row["task_id"],
    }


# --- the demo ----------------------------------------------------------------------------------

_DEMO_UNITS = {
    "IQG01Q04": ("joc", "Border Guard, 1st Region (synthetic)"),
    "IQG01Q02": ("joc", "Border Guard, 2nd Region (synthetic)"),
    "IQG15Q02": ("joc", "Border Guard, 3rd Region (synthetic)"),
    "IQG15Q07": ("krg", "Border unit, Sinjar (synthetic)"),
    "IQG15Q08": ("krg", "Border unit, Rabia (synthetic)"),
}
"""Made-up holders of the demo's sectors, by district; no real deployment is described."""


def load_demo_border(conn: Connection, now: datetime) -> dict[str, int]:
    """The demo's border: sectors stored, each assigned to a SYNTHETIC unit of joc or krg (those
    not assigned yet), and one rule (3 crossing attempts within 6 hours) if there is none. The
    partners must exist. Running it again changes nothing."""
    created = init_sectors(conn, "console", now)
    assigned = 0
    for sector in store.stored_sectors(conn):
        holder = _DEMO_UNITS.get(sector["district_pcode"])
        if holder is None or sector["partner_code"] is not None:
            continue
        partner, unit = holder
        values = {"unit": unit, "partner_code": partner, "assigned_at": utc(now)}
        store.update_sector(conn, sector["id"], {**values, "assigned_by": "console"})
        assigned += 1
    rules_added = 0
    if not store.active_rules(conn):
        store.insert_rule(
            conn, AlertRule(3, 6, rules.ObservationKind.CROSSING_ATTEMPT), "console", now
        )
        rules_added = 1
    summary = {"sectors": created, "assigned": assigned, "rules": rules_added}
    if assigned or rules_added:
        audit.append(
            conn,
            at=now,
            actor="console",
            action="border-demo",
            subject="border-sectors",
            detail=summary,
        )
    return summary
