"""Partners' positions: placed in the COD areas and written (the CLI's demo and import call
this), and shown as records and GeoJSON (the API and the map).

A batch is one transaction: it is written whole, with one audit entry, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from tansiq import conflicts
from tansiq.domain.deconfliction import FootprintKind
from tansiq.domain.positions import Position, PositionDraft
from tansiq.errors import InvalidInput
from tansiq.sharing import stix
from tansiq.store import audit, footprints
from tansiq.store import positions as store
from tansiq.store.partners import find_partner

if TYPE_CHECKING:
    from tansiq.geo.locator import AreaLocator


def place(locator: AreaLocator, draft: PositionDraft) -> Position:
    """A position with the areas its point lies in; outside Iraq, no areas."""
    found = locator.locate(draft.latitude, draft.longitude)
    if found.outside_km > 0:
        return Position(draft, "", "", "", False)
    return Position(draft, found.adm1_pcode, found.adm2_pcode, found.adm3_pcode, found.disputed)


def save(
    conn: Connection,
    locator: AreaLocator,
    drafts: Sequence[PositionDraft],
    actor: str,
    now: datetime,
) -> store.Written:
    """Place and write a batch of positions in the caller's transaction, audited as `actor`.

    InvalidInput, with nothing written, when a position names a partner this node does not
    know, as its owner or among those it is released to.
    """
    _require_partners(conn, {code for d in drafts for code in (d.partner, *d.releasable_to)})
    written = store.put_positions(conn, (place(locator, d) for d in drafts))
    _deconflict(conn, written.changed_ids, actor, now)
    audit.append(
        conn,
        at=now,
        actor=actor,
        action="write",
        subject="positions",
        detail={
            "created": written.created,
            "updated": written.updated,
            "unchanged": written.unchanged,
        },
    )
    return written


def _deconflict(conn: Connection, ids: Sequence[int], actor: str, now: datetime) -> None:
    """A post written near a planned operation is a conflict found now, not at the
    operation's next edit (tansiq.conflicts.recheck)."""
    fps = (footprints.get(conn, FootprintKind.POSITION, str(i)) for i in ids)
    conflicts.recheck_all(
        conn, [fp for fp in fps if fp is not None], conflicts.duty_contact, now, actor
    )


def _require_partners(conn: Connection, codes: Iterable[str]) -> None:
    for code in sorted(codes):
        if find_partner(conn, code) is None:
            raise InvalidInput(f"unknown partner {code!r}: add it with `tansiq partners add`")


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored position as the API shows it."""
    return {
        "id": row["id"],
        "partner": row["partner_code"],
        "partner_name": row["partner_name"],
        "kind": row["kind"],
        "name": row["name"],
        "lat": row["latitude"],
        "lon": row["longitude"],
        "coverage_radius_m": row["coverage_radius_m"],
        "active_from": _time_text(row["active_from"]),
        "active_to": _time_text(row["active_to"]),
        "synthetic": bool(row["synthetic"]),
        "adm1_pcode": row["adm1_pcode"] or None,
        "adm2_pcode": row["adm2_pcode"] or None,
        "adm3_pcode": row["adm3_pcode"] or None,
        "disputed": bool(row["disputed"]),
        "tlp": row["tlp"],
        "releasable_to": list(row["releasable_to"]),
    }


def _time_text(moment: datetime | None) -> str | None:
    return stix.stix_time(store.utc(moment)) if moment is not None else None


def feature(item: Mapping[str, Any]) -> dict[str, Any]:
    """A position record as a GeoJSON point feature."""
    properties = {k: v for k, v in item.items() if k not in ("lat", "lon")}
    return {
        "type": "Feature",
        "id": item["id"],
        "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
        "properties": properties,
    }


def audit_ids(items: Iterable[Mapping[str, Any]]) -> list[str]:
    """How reads of positions are named in the audit log."""
    return [f"position:{item['id']}" for item in items]
