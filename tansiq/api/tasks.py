"""Tasks over HTTP: raise one, list and read those the caller may see, move them, metrics.

A task is seen by its issuing and receiving partners' people only; for anyone else it answers
404 exactly like a task that does not exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from tansiq import tasks
from tansiq.api.auth import Caller, caller
from tansiq.api.deps import now, read_conn
from tansiq.domain.tasks import SourceKind, TaskAction, TaskState, parse_state, parse_within
from tansiq.store import tasks as store
from tansiq.store.database import writing

router = APIRouter(tags=["tasks"], dependencies=[Depends(caller)])
Conn = Annotated[Connection, Depends(read_conn)]


class TaskIn(BaseModel):
    source_kind: Literal["report", "incident"]
    source_ref: str = Field(min_length=1, max_length=100)
    to_partner: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20_000)
    ack_within: str | None = Field(default=None, description="e.g. 30m, 4h, 3d, 2w")
    done_within: str | None = Field(default=None, description="e.g. 30m, 4h, 3d, 2w")


class ActionIn(BaseModel):
    feedback: str = Field(default="", max_length=20_000)
    reason: str = Field(default="", max_length=20_000)


def _within(text: str | None, field: str) -> timedelta | None:
    return parse_within(text, field) if text is not None else None


@router.post("/api/tasks", status_code=201)
def add_task(request: Request, who: Caller, body: TaskIn) -> dict[str, Any]:
    """Raise a task from a report (STIX id) or an incident (its id) to a partner."""
    ack, done = _within(body.ack_within, "ack_within"), _within(body.done_within, "done_within")
    at = now(request)
    with writing(request.app.state.engine) as conn:
        task_id = tasks.raise_task(
            conn,
            who,
            source_kind=SourceKind(body.source_kind),
            source_ref=body.source_ref,
            to_partner=body.to_partner,
            title=body.title,
            body=body.body,
            now=at,
            ack_within=ack,
            done_within=done,
        )
        return tasks.record(tasks.get_task(conn, who, task_id), at)


@router.get("/api/tasks")
def list_tasks(
    request: Request,
    conn: Conn,
    who: Caller,
    state: Annotated[str | None, Query(description="open, acknowledged, ...")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """The tasks the caller's partner issued or received, newest first, with the total."""
    states: list[TaskState] | None = [parse_state(state)] if state else None
    found = store.find_tasks(conn, who.viewer, states=states, limit=limit, offset=offset)
    at = now(request)
    return {
        "total": store.count_tasks(conn, who.viewer, states=states),
        "items": [tasks.record(t, at) for t in found],
    }


@router.get("/api/tasks/metrics")
def task_metrics(request: Request, conn: Conn, who: Caller) -> dict[str, Any]:
    """Per receiving partner, over the tasks the caller may see: received, hours to
    acknowledge (median, p90), shares done and declined, overdue now."""
    return {"partners": tasks.metrics(conn, who, now(request))}


@router.get("/api/tasks/{task_id}")
def get_task(
    request: Request, conn: Conn, who: Caller, task_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    return tasks.record(tasks.get_task(conn, who, task_id), now(request))


@router.post("/api/tasks/{task_id}/{action}")
def move_task(
    request: Request,
    who: Caller,
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    action: TaskAction,
    body: ActionIn | None = None,
) -> dict[str, Any]:
    """ack, start, done (with `feedback`) or decline (with `reason`): the receiver's people."""
    text = ""
    if body is not None:
        text = body.feedback if action is TaskAction.DONE else body.reason
    at = now(request)
    with writing(request.app.state.engine) as conn:
        return tasks.record(tasks.act(conn, who, task_id, action, text, at), at)
