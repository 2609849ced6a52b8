"""TAXII writes: Add Objects (POST an envelope) and Delete an Object.

A partner's objects posted to `inbox` are quarantined: the cheap structural checks
(tansiq.sharing.intake.check_object) run at once and their failures are failures in the status
straight away; everything else waits in the quarantine table (tansiq.store.quarantine) and the
202 carries a `pending` status listing it. The validator in the background
(tansiq.sharing.taxii.validator) runs stix2-validator on it, stores what passes through
`exchange.receive` exactly as before, and moves each entry to successes or failures; the
status is `complete` once none is pending. Until then nothing held is visible anywhere.

`intel` (the node's own users publishing through `exchange.publish`) stays synchronous and its
status is `complete` at once: these are our own accounts, already trusted with writing, and
their objects are checked by the same rules as a partner's minus the slow validator.

Objects are judged one by one; a rejected object is a failure in the status (partial
acceptance), while a body that is not a TAXII envelope is a 400 and stores nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.engine import Connection
from starlette.requests import Request

from tansiq.accounts import Principal
from tansiq.errors import InvalidInput
from tansiq.sharing import exchange, stix
from tansiq.sharing.intake import check_object
from tansiq.sharing.taxii.collections import INTEL, Access
from tansiq.sharing.taxii.errors import TaxiiError, bad_request
from tansiq.store import audit, quarantine, statuses
from tansiq.store.statuses import Detail, TaxiiStatus


def _too_large(max_length: int) -> TaxiiError:
    return TaxiiError(
        413, "Request entity too large", f"the body is over this API root's {max_length} bytes"
    )


async def read_envelope(request: Request, max_length: int) -> list[Any]:
    """The `objects` of the posted envelope; 413 past `max_length` bytes, 400 if malformed."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise bad_request("Content-Length is not a number")
        if int(declared) > max_length:
            raise _too_large(max_length)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_length:  # a body longer than it said, or sent chunked
            raise _too_large(max_length)
        chunks.append(chunk)
    return parse_envelope(b"".join(chunks))


def parse_envelope(body: bytes) -> list[Any]:
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the body is not JSON: {exc}") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise bad_request('the body is not a TAXII envelope: {"objects": [...]}')
    objects: list[Any] = envelope["objects"]
    return objects


def add_objects(
    conn: Connection,
    caller: Principal,
    access: Access,
    bodies: list[Any],
    now: datetime,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> TaxiiStatus:
    """Store or quarantine what was posted and record the status, in the caller's transaction.

    In `intel` the node's own users publish objects of their partner, stored at once; in
    `inbox` a partner delivers its own (sightings, notes, opinions, reports) as a peer node
    would, held for the validator.
    """
    if access.collection is INTEL:
        summary = exchange.publish(conn, caller, bodies, now)
        status = _status(summary, caller.partner, now, new_id())
    else:
        status = _quarantine(conn, caller, bodies, now, new_id())
    statuses.create(conn, status)
    return status


def _status(
    summary: exchange.ReceiveSummary, partner: str, now: datetime, status_id: str
) -> TaxiiStatus:
    successes: list[Detail] = []
    failures: list[Detail] = []
    for result in summary.results:
        detail = {"id": result.stix_id, "version": result.version}
        if result.ok:
            successes.append(detail)
        else:
            failures.append({**detail, "message": result.message or "rejected"})
    return TaxiiStatus(status_id, partner, now, "complete", successes, failures)


def _quarantine(
    conn: Connection, caller: Principal, bodies: list[Any], now: datetime, status_id: str
) -> TaxiiStatus:
    """Fail what the cheap checks reject; hold the rest for the validator, as pending."""
    failures: list[Detail] = []
    held: list[quarantine.Entry] = []
    for position, body in enumerate(bodies):
        stix_id, version = label(body)
        try:
            check_object(body)
        except InvalidInput as exc:
            failures.append({"id": stix_id, "version": version, "message": str(exc)})
            continue
        held.append(quarantine.Entry(position, stix_id, version, body))
    held.sort(key=_support_first)
    poster = quarantine.Poster(status_id, caller.partner, caller.name)
    quarantine.hold(conn, poster, held, now)
    counts = {"held": len(held), "rejected": len(failures)}
    audit.append(
        conn, at=now, actor=caller.name, action="quarantine", subject=caller.partner, detail=counts
    )
    pendings: list[Detail] = [{"id": e.stix_id, "version": e.version} for e in held]
    state = "pending" if pendings else "complete"
    return TaxiiStatus(status_id, caller.partner, now, state, [], failures, pendings)


def _support_first(entry: quarantine.Entry) -> bool:
    """Marking definitions (and identities, extension definitions) are validated and stored
    before the objects that use them, even when the envelope spans several batches."""
    return entry.body["type"] not in exchange.SUPPORT_TYPES


def label(body: Any) -> tuple[str, str]:
    """The id and version a status lists for a posted object (empty if it has none)."""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("id", "")), str(body.get("modified", body.get("created", "")))


def status_resource(status: TaxiiStatus) -> bytes:
    """The TAXII status resource; counts sum to total_count, empty lists are left out."""
    body: dict[str, Any] = {
        "id": status.id,
        "status": status.status,
        "request_timestamp": stix.stix_time(status.created_at),
        "total_count": status.total_count,
        "success_count": len(status.successes),
        "failure_count": len(status.failures),
        "pending_count": len(status.pendings),
    }
    for name, entries in (
        ("successes", status.successes),
        ("failures", status.failures),
        ("pendings", status.pendings),
    ):
        if entries:
            body[name] = entries
    return orjson.dumps(body)


def delete_object(
    conn: Connection, caller: Principal, access: Access, stix_id: str, now: datetime
) -> None:
    """Withdraw the whole object, every version, whatever `match[version]` says.

    tansiq keeps history and never deletes one version: a withdrawal hides every version and
    sends the partners that could read it a tombstone (they find it in `withdrawals`).
    Only (can_read, can_write) = (true, true) may delete; else 404 (F,F) or 403.
    """
    if not access.can_write or not access.can_read:
        if not access.can_read and not access.can_write:
            raise TaxiiError(404, "Not found", f"no collection {access.collection.id!r}")
        raise TaxiiError(403, "Forbidden", "you may not delete objects in this collection")
    exchange.withdraw(conn, caller, stix_id, now)
