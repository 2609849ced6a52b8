"""`tansiq ops`: joint operations: plan, submit, two-key approval, deconfliction.

Each command is one write transaction (the change and its audit entries together). `--as`
names the user acting (default: the node administrator at the console, who plans for the
node's own partner but holds no side's key). Times are ISO 8601 with a zone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from tansiq import conflicts, operation_views, operations
from tansiq.accounts import Principal
from tansiq.commands.accounts import AsOption, acting
from tansiq.commands.common import DbOption, JsonOption, engine_for, now, print_json, settings_from
from tansiq.domain import operations as ops
from tansiq.domain.approvals import Plan, Policy
from tansiq.domain.markings import parse_tlp
from tansiq.domain.operations import Area, Decision, Event, State
from tansiq.errors import InvalidInput
from tansiq.store.database import require_schema, writing

ops_app = typer.Typer(
    help="Joint operations: plan, submit, two-key approval, deconfliction.",
    no_args_is_help=True,
)
T = TypeVar("T")

IdArgument = Annotated[str, typer.Argument(help="The operation's id (operation--...).")]
ReasonOption = Annotated[str | None, typer.Option(help="Why (required for a veto).")]
NameOption = Annotated[str | None, typer.Option("--name", help="Name of the operation.")]
WktOption = Annotated[
    str | None,
    typer.Option(help="Area as WKT (lon lat): a POLYGON, or a LINESTRING route with --width-m."),
]
LatOption = Annotated[float | None, typer.Option(help="Latitude of a point area (WGS84).")]
LonOption = Annotated[float | None, typer.Option(help="Longitude of a point area (WGS84).")]
RadiusOption = Annotated[float | None, typer.Option("--radius-m", help="Radius of a point area.")]
WidthOption = Annotated[
    float | None, typer.Option("--width-m", help="Width of a route corridor (LINESTRING).")
]
StartOption = Annotated[str | None, typer.Option(help="Window start, ISO 8601 with a zone.")]
EndOption = Annotated[str | None, typer.Option(help="Window end, ISO 8601 with a zone.")]
TypeOption = Annotated[
    str | None,
    typer.Option("--type", help="raid, patrol, checkpoint-move, clearance or escort."),
]
UnitOption = Annotated[list[str] | None, typer.Option("--unit", help="A unit taking part.")]
SubjectOption = Annotated[
    list[str] | None, typer.Option("--subject", help="STIX id of a cell or target acted on.")
]
LinkOption = Annotated[list[str] | None, typer.Option("--link", help="STIX id of a report.")]
TlpOption = Annotated[
    str | None, typer.Option("--tlp", help="clear, green, amber, amber+strict or red.")
]
ReleasableOption = Annotated[
    str | None, typer.Option("--releasable-to", help="Partner codes, comma separated.")
]


def _run(
    db: str | None, as_user: str | None, work: Callable[[Connection, Principal, Policy], T]
) -> T:
    policy = operations.policy_from(settings_from(db))
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        return work(conn, acting(conn, as_user), policy)


def _plan(
    name: str | None,
    area: Area | None,
    start: str | None,
    end: str | None,
    op_type: str | None,
    units: list[str] | None,
    subjects: list[str] | None,
    links: list[str] | None,
    tlp: str | None,
    releasable_to: str | None,
) -> Plan:
    return Plan(
        name=name,
        op_type=ops.parse_type(op_type) if op_type is not None else None,
        area=area,
        start=ops.parse_time("start", start) if start is not None else None,
        end=ops.parse_time("end", end) if end is not None else None,
        units=tuple(units) if units else None,
        subjects=frozenset(subjects) if subjects else None,
        links=frozenset(links) if links else None,
        tlp=parse_tlp(tlp) if tlp is not None else None,
        releasable_to=(
            frozenset(c.strip() for c in releasable_to.split(",") if c.strip())
            if releasable_to is not None
            else None
        ),
    )


def _state_answer(operation_id: str, state: State, json: bool, **more: Any) -> None:
    if json:
        print_json({"id": operation_id, "state": state.value, **more})
    else:
        typer.echo(f"{operation_id} {state.value}")


@ops_app.command("add")
def ops_add(
    name: NameOption = None,
    wkt: WktOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    radius_m: RadiusOption = None,
    width_m: WidthOption = None,
    start: StartOption = None,
    end: EndOption = None,
    op_type: TypeOption = None,
    unit: UnitOption = None,
    subject: SubjectOption = None,
    link: LinkOption = None,
    tlp: TlpOption = None,
    releasable_to: ReleasableOption = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Plan an operation of your partner, in draft; prints its id."""
    area = ops.area_from(wkt, lat, lon, radius_m, width_m)
    if area is None:
        raise InvalidInput("wkt: give the area: --wkt WKT, or --lat, --lon and --radius-m")
    plan = _plan(name, area, start, end, op_type, unit, subject, link, tlp, releasable_to)

    def work(conn: Connection, actor: Principal, policy: Policy) -> dict[str, Any]:
        operation_id = operations.create(conn, actor, plan, policy, now())
        return operation_views.show(conn, actor, operation_id, now())

    shown = _run(db, as_user, work)
    if json:
        print_json(shown)
    else:
        typer.echo(shown["id"])


@ops_app.command("edit")
def ops_edit(
    operation_id: IdArgument,
    name: NameOption = None,
    wkt: WktOption = None,
    lat: LatOption = None,
    lon: LonOption = None,
    radius_m: RadiusOption = None,
    width_m: WidthOption = None,
    start: StartOption = None,
    end: EndOption = None,
    op_type: TypeOption = None,
    unit: UnitOption = None,
    subject: SubjectOption = None,
    link: LinkOption = None,
    tlp: TlpOption = None,
    releasable_to: ReleasableOption = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Change an operation: a new version (back to draft, its approvals void), unless nothing
    changed. --unit, --subject and --link replace the lists."""
    area = ops.area_from(wkt, lat, lon, radius_m, width_m)
    plan = _plan(name, area, start, end, op_type, unit, subject, link, tlp, releasable_to)
    edited = _run(db, as_user, lambda c, a, p: operations.edit(c, a, operation_id, plan, p, now()))
    more = {"version": edited.version, "changed": edited.changed, "voided": edited.voided}
    _state_answer(operation_id, edited.state, json, **more)


@ops_app.command("submit")
def ops_submit(
    operation_id: IdArgument,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Submit for approval: deconflicted, then pending the sides' approvers."""
    state = _run(db, as_user, lambda c, a, p: operations.submit(c, a, operation_id, p, now()))
    _state_answer(operation_id, state, json)


def _decide(
    operation_id: str,
    decision: Decision,
    reason: str | None,
    db: str | None,
    as_user: str | None,
    json: bool,
) -> None:
    state = _run(
        db,
        as_user,
        lambda c, a, p: operations.decide(c, a, operation_id, decision, reason, p, now()),
    )
    _state_answer(operation_id, state, json)


@ops_app.command("approve")
def ops_approve(
    operation_id: IdArgument,
    reason: ReasonOption = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Approve the current version for your side (signed by the node's key)."""
    _decide(operation_id, Decision.APPROVE, reason, db, as_user, json)


@ops_app.command("veto")
def ops_veto(
    operation_id: IdArgument,
    reason: ReasonOption = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Veto the current version for your side, with a reason (signed)."""
    _decide(operation_id, Decision.VETO, reason, db, as_user, json)


@ops_app.command("activate")
def ops_activate(
    operation_id: IdArgument,
    break_glass: Annotated[
        bool,
        typer.Option(
            "--break-glass",
            help="Emergency: activate before approval (an approver of the owner; needs "
            "--reason; the other side is told and gets a review task).",
        ),
    ] = False,
    reason: ReasonOption = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Start an approved operation (or, with --break-glass, a submitted or pending one)."""
    state = _run(
        db,
        as_user,
        lambda c, a, p: operations.activate(
            c, a, operation_id, p, now(), break_glass=break_glass, reason=reason
        ),
    )
    _state_answer(operation_id, state, json, break_glass=break_glass)


def _finish(
    operation_id: str,
    event: Event,
    reason: str | None,
    db: str | None,
    as_user: str | None,
    json: bool,
) -> None:
    state = _run(
        db, as_user, lambda c, a, p: operations.finish(c, a, operation_id, event, reason, now())
    )
    _state_answer(operation_id, state, json)


@ops_app.command("close")
def ops_close(
    operation_id: IdArgument,
    reason: ReasonOption = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Close an active operation (it leaves the deconfliction registry)."""
    _finish(operation_id, Event.CLOSE, reason, db, as_user, json)


@ops_app.command("cancel")
def ops_cancel(
    operation_id: IdArgument,
    reason: ReasonOption = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Cancel an operation that is not active (it leaves the deconfliction registry)."""
    _finish(operation_id, Event.CANCEL, reason, db, as_user, json)


@ops_app.command("show")
def ops_show(
    operation_id: IdArgument,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """One operation: state, version, hash, approvals with their validity, conflicts (as
    disclosed to you). The read is audited."""
    shown = _run(db, as_user, lambda c, a, p: operation_views.show(c, a, operation_id, now()))
    if json:
        print_json(shown)
        return
    console = Console()
    console.print(f"{shown['id']}  {shown['name']}  ({shown['type']}, {shown['owner']})")
    console.print(f"state {shown['state']}, version {shown['version']}, hash {shown['hash']}")
    console.print(
        f"window {shown['start']} to {shown['end']}; sides {', '.join(shown['sides_needed'])}"
    )
    for d in shown["approvals"] + shown["vetoes"]:
        console.print(
            f"  {d['decision']} v{d['version']} by {d['approver']} ({d['side']}): {d['validity']}"
        )
    for c in shown["conflicts"]:
        other = ", ".join(f"{o['partner']} (call {o['contact']})" for o in c["other"])
        console.print(
            f"  conflict {c['id']} [{c['status']}] {', '.join(c['reasons'])} with {other}"
        )


@ops_app.command("list")
def ops_list(
    state: Annotated[list[str] | None, typer.Option(help="Only operations in this state.")] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Operations you may see, newest first."""
    found = _run(db, as_user, lambda c, a, p: operation_views.listing(c, a, state, now()))
    if json:
        print_json(found)
        return
    table = Table("id", "name", "type", "state", "v", "owner", "start", "end")
    for o in found:
        table.add_row(
            o["id"],
            o["name"],
            o["type"],
            o["state"],
            str(o["version"]),
            o["owner"],
            o["start"],
            o["end"],
        )
    Console().print(table)


@ops_app.command("conflicts")
def ops_conflicts(
    include_resolved: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Your partner's conflicts (whom to call, never the other plan), and notices to your side."""

    def work(conn: Connection, actor: Principal, policy: Policy) -> dict[str, Any]:
        found = conflicts.conflicts_for(conn, actor, now(), include_resolved=include_resolved)
        return {"conflicts": found, "notices": operation_views.notices_for(conn, actor, policy)}

    shown = _run(db, as_user, work)
    if json:
        print_json(shown)
        return
    for c in shown["conflicts"]:
        yours = ", ".join(f"{i['kind']} {i['ref']}" for i in c["yours"])
        other = (
            ", ".join(f"{o['partner']} (call {o['contact']})" for o in c["other"]) or "yourselves"
        )
        typer.echo(f"{c['id']} [{c['status']}] {','.join(c['reasons'])}: {yours} with {other}")
    for n in shown["notices"]:
        typer.echo(f"notice: {n['owner']} {n['kind']} {n['operation']} (call {n['contact']})")


@ops_app.command("ack")
def ops_ack(
    conflict_id: Annotated[
        int, typer.Argument(help="The conflict's number.", min=1, max=2**31 - 1)
    ],
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Acknowledge a conflict for your partner."""
    shown = _run(db, as_user, lambda c, a, p: conflicts.acknowledge(c, a, conflict_id, now()))
    if json:
        print_json(shown)
    else:
        typer.echo(f"conflict {conflict_id} {shown['status']}")


@ops_app.command("escalate")
def ops_escalate(
    at: Annotated[
        str | None, typer.Option(help="Sweep as of this time (ISO 8601; default: now).")
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Escalate every pending operation whose approval deadline has passed (never approves)."""
    moment = ops.parse_time("at", at) if at is not None else now()
    raised = _run(db, None, lambda c, a, p: operations.escalate(c, p, moment))
    rows = [
        {
            "operation": e.operation,
            "version": e.version,
            "side": e.side,
            "level": e.level,
            "to": e.to,
        }
        for e in raised
    ]
    if json:
        print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['operation']} v{r['version']}: {r['side']} level {r['level']} -> {r['to']}")
    if not rows:
        typer.echo("nothing to escalate")
