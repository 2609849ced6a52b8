"""The checkpoint registry's service: register, close and verify, as the CLI and the API call them.

Every change is one transaction with its audit entry (and its footprint in the deconfliction
registry); every verify is audited too, since asking is a field event: a unit met a checkpoint
at that place and time. A caller registers and closes checkpoints of their own partner only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from shapely.geometry import Point
from sqlalchemy.engine import Connection

from tansiq import conflicts
from tansiq.accounts import Principal
from tansiq.domain import checkpoints as domain
from tansiq.domain.checkpoints import (
    CHECKPOINT_BUFFER_M,
    IRAQ_TIME,
    NEARBY_M,
    Checkpoint,
    CheckpointDraft,
    Near,
    Question,
    Verdict,
)
from tansiq.domain.deconfliction import Footprint, FootprintKind
from tansiq.domain.reports import WRITERS, Role
from tansiq.errors import Conflict, Forbidden, InvalidInput, NotFound, RowError
from tansiq.geo.metric import in_theatre
from tansiq.sharing import stix
from tansiq.store import audit, footprints
from tansiq.store import checkpoints as store
from tansiq.store.partners import list_partners

REGISTRARS = WRITERS | {Role.WATCH}
"""Who may register and close their partner's checkpoints: the writers, and the watch officer,
who hears first that a checkpoint was set up tonight. Not a partner node's sync account."""


def register(
    conn: Connection, who: Principal, drafts: Sequence[CheckpointDraft], now: datetime
) -> list[int]:
    """Write a batch of checkpoints in the caller's transaction, audited; their ids.

    InvalidInput, with nothing written, for a checkpoint of another partner than the caller's,
    one naming a partner this node does not know, or one already registered."""
    require_registrar(who)
    known = {p.code for p in list_partners(conn)}
    for draft in drafts:
        _check_draft(who, draft, known)
    _check_new(conn, who.partner, drafts)
    ids = store.insert(conn, drafts, now)
    found = (footprint(_as_checkpoint(i, d)) for i, d in zip(ids, drafts, strict=True))
    registered = [fp for fp in found if fp is not None]
    footprints.put_many(conn, registered)
    conflicts.recheck_all(conn, registered, conflicts.duty_contact, now, who.name)
    detail = {"count": len(ids), "ids": ids}
    audit.append(
        conn, at=now, actor=who.name, action="register", subject="checkpoints", detail=detail
    )
    return ids


def batch_problems(
    conn: Connection,
    rows: Sequence[tuple[int, CheckpointDraft]],
    releases: Sequence[tuple[int, frozenset[str]]],
) -> list[RowError]:
    """What only the database knows is wrong with an import, by line: a checkpoint already
    registered, a partner this node does not know among those a row is released to."""
    known = {p.code for p in list_partners(conn)}
    problems = [
        RowError(line, "releasable_to", f"unknown partner {code!r}")
        for line, codes in releases
        for code in sorted(codes - known)
    ]
    by_key: dict[tuple[str, datetime | None], list[int]] = {}
    for line, draft in rows:
        by_key.setdefault((draft.name.strip(), store.utc(draft.valid_from)), []).append(line)
    partners = {draft.partner for _, draft in rows}
    for partner in sorted(partners):
        for key, found in store.registered(conn, partner, by_key).items():
            reason = f"already registered (id {found})"
            problems += [RowError(line, "name", reason) for line in by_key[key]]
    return problems


def require_registrar(who: Principal) -> None:
    """Forbidden for an account that may not register checkpoints (a peer node's)."""
    if who.role not in REGISTRARS:
        raise Forbidden(f"a {who.role.value} account may not register or close checkpoints")


def _check_draft(who: Principal, draft: CheckpointDraft, known: set[str]) -> None:
    if draft.partner != who.partner:
        raise InvalidInput(f"partner: {who.name} registers checkpoints of {who.partner} only")
    for code in sorted(draft.releasable_to - known):
        raise InvalidInput(f"releasable_to: unknown partner {code!r}")


def _check_new(conn: Connection, partner: str, drafts: Sequence[CheckpointDraft]) -> None:
    """Conflict for a checkpoint registered already, InvalidInput for one twice in the batch."""
    keys = [(d.name.strip(), store.utc(d.valid_from)) for d in drafts]
    for (name, since), found in store.registered(conn, partner, keys).items():
        when = stix.stix_time(since) if since else "an open start"
        raise Conflict(f"name: {name!r} from {when} is already registered (id {found})")
    if len(set(keys)) < len(keys):
        raise InvalidInput("name: a checkpoint is given twice with the same start")


def _as_checkpoint(checkpoint_id: int, draft: CheckpointDraft) -> Checkpoint:
    return Checkpoint(
        checkpoint_id,
        draft.partner,
        draft.unit.strip(),
        draft.name.strip(),
        draft.latitude,
        draft.longitude,
        draft.valid_from,
        draft.valid_to,
        draft.hours,
        draft.kind,
    )


def close(
    conn: Connection, who: Principal, checkpoint_id: int, at: datetime, now: datetime
) -> dict[str, Any]:
    """Close (withdraw) a checkpoint of the caller's partner from `at` on; its record.

    NotFound for one the caller may not see, as for one that does not exist."""
    row = store.visible(conn, who.viewer, checkpoint_id)
    if row is None:
        raise NotFound(f"no such checkpoint: {checkpoint_id}")
    require_registrar(who)
    if row["partner_code"] != who.partner:
        raise Forbidden(f"checkpoint {checkpoint_id} is {row['partner_code']}'s to close")
    if row["closed_at"] is not None:
        raise InvalidInput(
            f"checkpoint {checkpoint_id} is already closed, at {_text(row['closed_at'])}"
        )
    store.set_closed(conn, checkpoint_id, at)
    row["closed_at"] = store.utc(at)
    _put_footprint(conn, store.checkpoint(row))
    audit.append(
        conn,
        at=now,
        actor=who.name,
        action="close",
        subject=f"checkpoint:{checkpoint_id}",
        detail={"closed_at": _text(at)},
    )
    return record(row)


def verify(
    conn: Connection, who: Principal, question: Question, now: datetime, door: str
) -> Verdict:
    """The verdict from the checkpoints the caller may see, audited in the caller's (write)
    transaction: who asked, where, when, through which door, and the answer."""
    visible = store.near(conn, who.viewer, question.latitude, question.longitude, NEARBY_M)
    verdict = domain.verify(question, visible)
    detail = {
        "door": door,
        "lat": question.latitude,
        "lon": question.longitude,
        "at": _text(question.at),
        "tolerance_m": question.tolerance_m,
        "verified": verdict.verified,
        "checkpoint": verdict.match.checkpoint.id if verdict.match else None,
        "nearest": verdict.nearest.checkpoint.id if verdict.nearest else None,
    }
    audit.append(
        conn, at=now, actor=who.name, action="verify", subject="checkpoints", detail=detail
    )
    return verdict


def _put_footprint(conn: Connection, cp: Checkpoint) -> None:
    """Put the checkpoint's footprint in the deconfliction registry, or remove it when it has
    none (closed before it starts, or outside the plane the registry measures in)."""
    fp = footprint(cp)
    if fp is None:
        footprints.remove(conn, FootprintKind.CHECKPOINT, str(cp.id))
    else:
        footprints.put(conn, fp)


def footprint(cp: Checkpoint) -> Footprint | None:
    """A checkpoint as the deconfliction registry keeps it: its point buffered
    CHECKPOINT_BUFFER_M, its window its period until closed, no margin, its unit as whom the
    other side calls. Daily hours are left aside: a checkpoint manned by day is still there at
    night, and a move into it at night is still a clash risk. None when it is closed before it
    starts, or stands outside the plane the registry measures in (tansiq.geo.metric)."""
    point = Point(cp.longitude, cp.latitude)
    end = cp.ends
    if cp.valid_from is not None and end is not None and end <= cp.valid_from:
        return None
    if not in_theatre(point):
        return None
    return Footprint(
        kind=FootprintKind.CHECKPOINT,
        ref=str(cp.id),
        owner=cp.partner,
        area=point,
        buffer_m=CHECKPOINT_BUFFER_M,
        start=cp.valid_from,
        end=end,
        margin=timedelta(0),
        contact=cp.unit,
    )


def _text(moment: datetime | None) -> str | None:
    return stix.stix_time(moment) if moment is not None else None


def record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored checkpoint as the API and `--json` show it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "unit": row["unit"],
        "partner": row["partner_code"],
        "partner_name": row["partner_name"],
        "kind": row["kind"],
        "lat": row["latitude"],
        "lon": row["longitude"],
        "valid_from": _text(row["valid_from"]),
        "valid_to": _text(row["valid_to"]),
        "hours": row["hours"],
        "hours_zone": IRAQ_TIME.tzname(None),
        "closed_at": _text(row["closed_at"]),
        "registered_at": _text(row["registered_at"]),
        "tlp": row["tlp"],
        "releasable_to": list(row["releasable_to"]),
    }


def feature(item: Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint record as a GeoJSON point feature."""
    properties = {k: v for k, v in item.items() if k not in ("lat", "lon")}
    return {
        "type": "Feature",
        "id": item["id"],
        "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
        "properties": properties,
    }


def audit_ids(items: Iterable[Mapping[str, Any]]) -> list[str]:
    """How reads of checkpoints are named in the audit log."""
    return [f"checkpoint:{item['id']}" for item in items]


def verdict_record(verdict: Verdict) -> dict[str, Any]:
    """The answer to a verify as the API and `--json` give it."""
    q = verdict.question
    return {
        "verified": verdict.verified,
        "answer": domain.explain(verdict),
        "lat": q.latitude,
        "lon": q.longitude,
        "at": _text(q.at),
        "tolerance_m": q.tolerance_m,
        "checkpoint": _near(verdict.match) if verdict.match else None,
        "nearest": _near(verdict.nearest) if verdict.nearest else None,
    }


def _near(near: Near) -> dict[str, Any]:
    cp = near.checkpoint
    return {
        "id": cp.id,
        "name": cp.name,
        "unit": cp.unit,
        "owner": cp.partner,
        "kind": cp.kind.value,
        "distance_m": round(near.distance_m),
        "valid_from": _text(cp.valid_from),
        "valid_to": _text(cp.valid_to),
        "closed_at": _text(cp.closed_at),
        "hours": str(cp.hours) if cp.hours else None,
        "hours_zone": IRAQ_TIME.tzname(None),
        "reasons": [r.value for r in near.reasons],
    }
