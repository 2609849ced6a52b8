"""TAXII writes: Add Objects (POST an envelope) and Delete an Object.

Intake validation is synchronous and cheap (tansiq.sharing.intake.check_object, not the slow
stix2-validator), so every status is `complete` when the 202 is sent: pending_count is always 0.
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
from tansiq.sharing import exchange, stix
from tansiq.sharing.taxii.collections import INTEL, Access
from tansiq.sharing.taxii.errors import TaxiiError, bad_request
from tansiq.store import statuses
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
    """Store what can be stored and record the status, in the caller's write transaction.

    In `intel` the node's own users publish objects of their partner; in `inbox` a partner
    delivers its own (sightings, notes, opinions, reports) as a peer node would.
    """
    if access.collection is INTEL:
        summary = exchange.publish(conn, caller, bodies, now)
    else:
        source = exchange.Source(partner=caller.partner, peer=None, actor=caller.name)
        summary = exchange.receive(conn, source, bodies, now)
    status = _status(summary, caller.partner, now, new_id())
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
