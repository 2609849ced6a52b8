"""Tasks from intelligence: raised, moved, swept for overdue ones, measured; every change audited.

`open_task` is the one way a task is made (people through `raise_task`, operations' break-glass
reviews and border alerts directly). A task raised from a report must point at a report the
receiving partner can read: it could not act on what it cannot see. Everything here runs in the
caller's write transaction, and each change appends its audit entry in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.domain import tasks as rules
from tansiq.domain.markings import person_viewer
from tansiq.domain.reports import Role
from tansiq.domain.tasks import SourceKind, TaskAction, TaskState
from tansiq.errors import Forbidden, InvalidInput, NotFound
from tansiq.store import audit, objects
from tansiq.store import tasks as store
from tansiq.store.incidents import incident_by_id
from tansiq.store.partners import find_partner, partner_parents
from tansiq.store.positions import utc


def open_task(
    conn: Connection,
    *,
    source_kind: str,
    source_ref: str,
    from_partner: str,
    to_partner: str,
    title: str,
    body: str,
    by: str,
    now: datetime,
    ack_within: timedelta | None = None,
    done_within: timedelta | None = None,
) -> int:
    """Store a new open task and audit it; its id.

    InvalidInput for an unknown partner or source kind, bad text or deadlines, and for a task
    from a report that is not released to the receiving partner.
    """
    kind = rules.parse_source_kind(source_kind)
    rules.check_text(title, body)
    for field, code in (("from_partner", from_partner), ("to_partner", to_partner)):
        if find_partner(conn, code) is None:
            raise InvalidInput(f"{field}: unknown partner {code!r}")
    if kind is SourceKind.REPORT:
        _require_released(conn, source_ref, to_partner)
    ack, done = rules.deadlines(kind, ack_within, done_within)
    created = utc(now)
    task_id = store.insert(
        conn,
        {
            "source_kind": kind.value,
            "source_ref": source_ref,
            "from_partner": from_partner,
            "to_partner": to_partner,
            "title": title,
            "body": body,
            "state": TaskState.OPEN.value,
            "created_by": by,
            "created_at": created,
            "ack_due": created + ack,
            "done_due": created + done,
        },
    )
    detail = {"source": f"{kind.value}:{source_ref}", "from": from_partner, "to": to_partner}
    audit.append(
        conn, at=now, actor=by, action="task-open", subject=f"task:{task_id}", detail=detail
    )
    return task_id


def _require_released(conn: Connection, stix_id: str, to_partner: str) -> None:
    receiver = person_viewer(to_partner, partner_parents(conn))
    if objects.latest(conn, receiver, stix_id) is None:
        raise InvalidInput(
            f"report {stix_id} is not released to {to_partner}: they could not read what they "
            f"are asked to act on; release it to them first"
        )


def raise_task(
    conn: Connection,
    who: Principal,
    *,
    source_kind: SourceKind,
    source_ref: str,
    to_partner: str,
    title: str,
    body: str,
    now: datetime,
    ack_within: timedelta | None = None,
    done_within: timedelta | None = None,
) -> int:
    """A task from a report or incident the caller can see, issued by the caller's partner."""
    if who.role is Role.PEER:
        raise Forbidden("a partner node's account does not raise tasks")
    if source_kind is SourceKind.REPORT:
        found = objects.latest(conn, who.viewer, source_ref)
        if found is None or found.stix_type != "report":
            raise NotFound(f"no such report: {source_ref}")
    elif source_kind is SourceKind.INCIDENT:
        if incident_by_id(conn, source_ref) is None:
            raise NotFound(f"no such incident: {source_ref}")
    else:
        raise InvalidInput("a task is raised by hand from a report or an incident")
    return open_task(
        conn,
        source_kind=source_kind.value,
        source_ref=source_ref,
        from_partner=who.partner,
        to_partner=to_partner,
        title=title,
        body=body,
        by=who.name,
        now=now,
        ack_within=ack_within,
        done_within=done_within,
    )


def get_task(conn: Connection, who: Principal, task_id: int) -> dict[str, Any]:
    found = store.visible_task(conn, who.viewer, task_id)
    if found is None:
        raise NotFound(f"no such task: {task_id}")
    return found


_STAMPS: Mapping[TaskAction, tuple[str, str]] = {
    TaskAction.ACK: ("acknowledged_at", "acknowledged_by"),
    TaskAction.START: ("started_at", "started_by"),
    TaskAction.DONE: ("closed_at", "closed_by"),
    TaskAction.DECLINE: ("closed_at", "closed_by"),
}


def act(
    conn: Connection, who: Principal, task_id: int, action: TaskAction, text: str, now: datetime
) -> dict[str, Any]:
    """Move a task addressed to the caller's partner; the task as it now is.

    NotFound for a task the caller cannot see; Forbidden for the issuer's people (they follow,
    the receiver acts); InvalidInput for a move its state does not allow.
    """
    task = store.locked_task(conn, who.viewer, task_id)
    if task is None:
        raise NotFound(f"no such task: {task_id}")
    if task["to_partner"] != who.partner or who.role is Role.PEER:
        raise Forbidden(f"only the people of {task['to_partner']} act on this task")
    after = rules.move(TaskState(task["state"]), action, text)
    at_column, by_column = _STAMPS[action]
    values: dict[str, Any] = {"state": after.value, at_column: utc(now), by_column: who.name}
    if action is TaskAction.DONE:
        values["feedback"] = text
    if action is TaskAction.DECLINE:
        values["reason"] = text
    store.update(conn, task_id, values)
    detail = {"from": task["state"], "to": after.value, "text": text}
    audit.append(
        conn,
        at=now,
        actor=who.name,
        action=f"task-{action.value}",
        subject=f"task:{task_id}",
        detail=detail,
    )
    return {**task, **values}


def escalate_overdue(conn: Connection, now: datetime) -> list[tuple[int, int]]:
    """Raise the escalation level of every task whose deadline has passed (1: not acknowledged
    in time, 2: not done in time), each raise audited; (task id, new level) for each. Running
    it again at the same time changes nothing: a level only rises."""
    raised: list[tuple[int, int]] = []
    for task_id, timing in store.open_timings(conn, now):
        level = timing.due_level(now)
        if level <= timing.escalation_level:
            continue
        store.update(conn, task_id, {"escalation_level": level, "escalated_at": utc(now)})
        reason = "not done in time" if level == rules.ESCALATION_DONE else "not acknowledged"
        audit.append(
            conn,
            at=now,
            actor="system",
            action="task-escalate",
            subject=f"task:{task_id}",
            detail={"level": level, "reason": reason, "to": timing.to_partner},
        )
        raised.append((task_id, level))
    return raised


def metrics(conn: Connection, who: Principal, now: datetime) -> list[dict[str, Any]]:
    """Per receiving partner, over the tasks the caller may see (tansiq.domain.tasks.metrics)."""
    found = rules.metrics((t for _, t in store.timings(conn, who.viewer)), now)
    return [
        {
            "partner": m.partner,
            "received": m.received,
            "acknowledged": m.acknowledged,
            "median_ack_hours": _hours(m.median_ack_s),
            "p90_ack_hours": _hours(m.p90_ack_s),
            "share_done": round(m.share_done, 4),
            "share_declined": round(m.share_declined, 4),
            "overdue_ack": m.overdue_ack,
            "overdue_done": m.overdue_done,
            "overdue": m.overdue,
        }
        for m in found
    ]


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 3) if seconds is not None else None


def record(task: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A task as the API and `--json` show it, with whether it is overdue now."""
    state = TaskState(task["state"])
    timing = rules.Timing(
        task["to_partner"], state, task["created_at"], task["ack_due"], task["done_due"], None
    )
    return {
        "id": task["id"],
        "source_kind": task["source_kind"],
        "source_ref": task["source_ref"],
        "from_partner": task["from_partner"],
        "to_partner": task["to_partner"],
        "title": task["title"],
        "body": task["body"],
        "state": state.value,
        "created_by": task["created_by"],
        "created_at": _iso(task["created_at"]),
        "ack_due": _iso(task["ack_due"]),
        "done_due": _iso(task["done_due"]),
        "acknowledged_at": _iso(task.get("acknowledged_at")),
        "acknowledged_by": task.get("acknowledged_by"),
        "started_at": _iso(task.get("started_at")),
        "started_by": task.get("started_by"),
        "closed_at": _iso(task.get("closed_at")),
        "closed_by": task.get("closed_by"),
        "feedback": task.get("feedback") or "",
        "reason": task.get("reason") or "",
        "escalation_level": int(task.get("escalation_level") or 0),
        "overdue_ack": timing.ack_overdue(utc(now)),
        "overdue_done": timing.done_overdue(utc(now)),
    }


def _iso(moment: datetime | None) -> str | None:
    return utc(moment).isoformat().replace("+00:00", "Z") if moment is not None else None
