"""`tansiq tasks`: tasks from intelligence: a report or incident handed to a partner to act on."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tansiq import tasks
from tansiq.commands.accounts import AsOption, acting
from tansiq.commands.common import DbOption, JsonOption, engine_for, err, now, print_json
from tansiq.domain.tasks import SourceKind, TaskAction, parse_state, parse_within
from tansiq.errors import InvalidInput
from tansiq.store import tasks as store
from tansiq.store.database import reading, require_schema, writing

tasks_app = typer.Typer(
    help="Tasks from intelligence: a report or incident handed to a partner to act on.",
    no_args_is_help=True,
)

IdArgument = Annotated[int, typer.Argument(help="The task's id.")]


@tasks_app.command("add")
def tasks_add(
    to: Annotated[str, typer.Option("--to", help="The partner asked to act.")],
    title: Annotated[str, typer.Option(help="What is asked, in a line.")],
    from_report: Annotated[
        str | None, typer.Option("--from-report", help="STIX id of a report you can read.")
    ] = None,
    from_incident: Annotated[
        str | None, typer.Option("--from-incident", help="Id of a stored incident.")
    ] = None,
    body: Annotated[str, typer.Option(help="Details.")] = "",
    ack_within: Annotated[
        str | None,
        typer.Option("--ack-within", help="Deadline to acknowledge: 30m, 4h, 3d, 2w."),
    ] = None,
    done_within: Annotated[
        str | None, typer.Option("--done-within", help="Deadline to be done: 30m, 4h, 3d, 2w.")
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Raise a task from a report or an incident, to a partner.

    Default deadlines: from a report 4h to acknowledge and 3d to be done; from an incident 2h
    and 1d. A report must be released to the receiving partner.
    """
    if (from_report is None) == (from_incident is None):
        raise InvalidInput("give exactly one of --from-report and --from-incident")
    kind, ref = (
        (SourceKind.REPORT, from_report) if from_report else (SourceKind.INCIDENT, from_incident)
    )
    assert ref is not None
    ack = parse_within(ack_within, "--ack-within") if ack_within else None
    done = parse_within(done_within, "--done-within") if done_within else None
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        who = acting(conn, as_user)
        at = now()
        task_id = tasks.raise_task(
            conn,
            who,
            source_kind=kind,
            source_ref=ref,
            to_partner=to,
            title=title,
            body=body,
            now=at,
            ack_within=ack,
            done_within=done,
        )
        found = tasks.record(tasks.get_task(conn, who, task_id), at)
    if json:
        print_json(found)
    else:
        err.print(f"task {task_id} raised to {to}; acknowledge by {found['ack_due']}")
        typer.echo(task_id)


@tasks_app.command("list")
def tasks_list(
    state: Annotated[str | None, typer.Option(help="Only tasks in this state.")] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The tasks your partner issued or received, newest first."""
    states = [parse_state(state)] if state else None
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        who = acting(conn, as_user)
        at = now()
        found = [tasks.record(t, at) for t in store.find_tasks(conn, who.viewer, states=states)]
    if json:
        print_json(found)
        return
    table = Table("id", "from", "to", "state", "ack due", "done due", "esc", "title")
    for t in found:
        table.add_row(
            str(t["id"]),
            t["from_partner"],
            t["to_partner"],
            t["state"],
            _due(t["ack_due"], t["overdue_ack"]),
            _due(t["done_due"], t["overdue_done"]),
            str(t["escalation_level"] or ""),
            t["title"],
        )
    Console().print(table)


def _due(when: str, overdue: bool) -> str:
    return f"{when} OVERDUE" if overdue else when


@tasks_app.command("show")
def tasks_show(
    task_id: IdArgument, as_user: AsOption = None, db: DbOption = None, json: JsonOption = False
) -> None:
    """One task you may see, with its progress."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = tasks.record(tasks.get_task(conn, acting(conn, as_user), task_id), now())
    _print_task(found, json)


def _print_task(found: dict[str, Any], json: bool) -> None:
    if json:
        print_json(found)
        return
    for key, value in found.items():
        if value not in (None, ""):
            typer.echo(f"{key}: {value}")


def _act(task_id: int, action: TaskAction, text: str, as_user: str | None, db: str | None) -> Any:
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        at = now()
        return tasks.record(tasks.act(conn, acting(conn, as_user), task_id, action, text, at), at)


@tasks_app.command("ack")
def tasks_ack(
    task_id: IdArgument, as_user: AsOption = None, db: DbOption = None, json: JsonOption = False
) -> None:
    """Acknowledge a task addressed to your partner."""
    _print_task(_act(task_id, TaskAction.ACK, "", as_user, db), json)


@tasks_app.command("start")
def tasks_start(
    task_id: IdArgument, as_user: AsOption = None, db: DbOption = None, json: JsonOption = False
) -> None:
    """Start work on an acknowledged task."""
    _print_task(_act(task_id, TaskAction.START, "", as_user, db), json)


@tasks_app.command("done")
def tasks_done(
    task_id: IdArgument,
    feedback: Annotated[str, typer.Option(help="What was done (required).")],
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Close a task in progress as done, with feedback for the issuer."""
    _print_task(_act(task_id, TaskAction.DONE, feedback, as_user, db), json)


@tasks_app.command("decline")
def tasks_decline(
    task_id: IdArgument,
    reason: Annotated[str, typer.Option(help="Why (required).")],
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Decline a task, with the reason."""
    _print_task(_act(task_id, TaskAction.DECLINE, reason, as_user, db), json)


@tasks_app.command("escalate")
def tasks_escalate(db: DbOption = None, json: JsonOption = False) -> None:
    """Raise the escalation level of overdue tasks (1: not acknowledged in time, 2: not done in
    time). Run it from cron; running it again changes nothing until another deadline passes."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        raised = tasks.escalate_overdue(conn, now())
    if json:
        print_json([{"id": task_id, "level": level} for task_id, level in raised])
    else:
        err.print(f"{len(raised)} task(s) escalated")
        for task_id, level in raised:
            typer.echo(f"{task_id}\t{level}")


@tasks_app.command("metrics")
def tasks_metrics(as_user: AsOption = None, db: DbOption = None, json: JsonOption = False) -> None:
    """Per receiving partner, over the tasks you may see: received, time to acknowledge
    (median, p90), share done and declined, overdue now."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = tasks.metrics(conn, acting(conn, as_user), now())
    if json:
        print_json(found)
        return
    table = Table("partner", "received", "ack median h", "ack p90 h", "done", "declined", "overdue")
    for m in found:
        table.add_row(
            m["partner"],
            str(m["received"]),
            _num(m["median_ack_hours"]),
            _num(m["p90_ack_hours"]),
            f"{m['share_done']:.0%}",
            f"{m['share_declined']:.0%}",
            f"{m['overdue']} (ack {m['overdue_ack']}, done {m['overdue_done']})",
        )
    Console().print(table)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
