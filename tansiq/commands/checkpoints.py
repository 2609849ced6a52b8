"""`tansiq checkpoints`: the registry of legitimate checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tansiq import checkpoints
from tansiq.commands.accounts import AsOption, acting
from tansiq.commands.common import (
    DbOption,
    JsonOption,
    engine_for,
    err,
    now,
    print_json,
    settings_from,
)
from tansiq.domain.checkpoints import (
    DEFAULT_TOLERANCE_M,
    CheckpointDraft,
    CheckpointFilter,
    Question,
    parse_hours,
    parse_kind,
    parse_time,
)
from tansiq.domain.markings import parse_tlp
from tansiq.importers import checkpoints as importer
from tansiq.importers.positions import codes
from tansiq.sharing.reads import record_read
from tansiq.store import checkpoints as store
from tansiq.store.database import reading, require_schema, writing

checkpoints_app = typer.Typer(
    help="The registry of legitimate checkpoints, and checking a checkpoint seen on the road.",
    no_args_is_help=True,
)

TlpOption = Annotated[str, typer.Option("--tlp", help="clear, green, amber, amber+strict or red.")]
ReleasableOption = Annotated[
    str,
    typer.Option(
        "--releasable-to",
        help="Partner codes, comma separated, e.g. krg,jcc. Default: nobody else; a checkpoint "
        "nobody else may see cannot verify for them.",
    ),
]
LatOption = Annotated[float, typer.Option("--lat", help="Latitude, WGS84 degrees.")]
LonOption = Annotated[float, typer.Option("--lon", help="Longitude, WGS84 degrees.")]


@checkpoints_app.command("add")
def checkpoints_add(
    name: Annotated[str, typer.Option(help="Name, e.g. 'Kirkuk-Tikrit road km 12'.")],
    lat: LatOption,
    lon: LonOption,
    valid_from: Annotated[
        str,
        typer.Option(
            "--from",
            help="In force from: ISO date-time with a zone (Z, +03:00), or a date (its start, "
            "Iraq time).",
        ),
    ],
    unit: Annotated[str, typer.Option(help="The unit that mans it.")],
    valid_to: Annotated[
        str | None,
        typer.Option("--to", help="In force until (excluded); a date: its end. Default: open."),
    ] = None,
    hours: Annotated[
        str | None,
        typer.Option(help="Manned daily, Iraq time (UTC+3), e.g. 06:00-18:00. Default: 24 h."),
    ] = None,
    kind: Annotated[str, typer.Option(help="fixed or mobile (temporary).")] = "fixed",
    tlp: TlpOption = "amber",
    releasable_to: ReleasableOption = "",
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Register a checkpoint of your partner; prints its id."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        who = acting(conn, as_user)
        draft = CheckpointDraft(
            partner=who.partner,
            unit=unit,
            name=name,
            latitude=lat,
            longitude=lon,
            valid_from=parse_time(valid_from, "from"),
            valid_to=parse_time(valid_to, "to", end_of_day=True) if valid_to else None,
            hours=parse_hours(hours or ""),
            kind=parse_kind(kind),
            tlp=parse_tlp(tlp),
            releasable_to=codes(releasable_to),
        )
        (checkpoint_id,) = checkpoints.register(conn, who, [draft], now())
        row = store.visible(conn, who.viewer, checkpoint_id)
    assert row is not None
    print_json(checkpoints.record(row)) if json else typer.echo(checkpoint_id)


@checkpoints_app.command("import")
def checkpoints_import(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file.")
    ],
    tlp: TlpOption = "amber",
    releasable_to: ReleasableOption = "",
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import your partner's checkpoints from CSV, all or nothing.

    Columns: name, unit, lat|latitude, lon|longitude, and optionally from|valid_from,
    to|valid_to (ISO date-times with a zone, or dates: whole days, Iraq time), hours
    (HH:MM-HH:MM, Iraq time), kind (fixed, mobile), tlp and releasable_to (rows without them
    take --tlp and --releasable-to). A file with any bad row is rejected whole, every problem
    named by line and column, and nothing is written.
    """
    shown = settings_from(db).max_reported_errors
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        who = acting(conn, as_user)
        checkpoints.require_registrar(who)
        defaults = importer.Defaults(who.partner, parse_tlp(tlp), codes(releasable_to))
        checked = importer.read_checkpoints(path, defaults)
        pairs = [(row.line, row.draft) for row in checked.rows]
        problems = [*checked.errors, *checkpoints.batch_problems(conn, pairs, checked.releases)]
        if problems:
            raise importer.rejected(str(path), problems, shown)
        ids = checkpoints.register(conn, who, [d for _, d in pairs], now()) if pairs else []
    if json:
        print_json({"read": len(pairs), "created": len(ids), "ids": ids})
    else:
        err.print(f"{path.name}: read {len(pairs)}, registered {len(ids)}")


@checkpoints_app.command("list")
def checkpoints_list(
    at: Annotated[
        str | None,
        typer.Option(help="Only those in force at this ISO date-time (daily hours aside)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The checkpoints you may see, by owner and name (reading them is audited)."""
    filt = CheckpointFilter(at=parse_time(at, "at") if at else None)
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            who = acting(conn, as_user)
            found = [
                checkpoints.record(r) for r in store.find_checkpoints(conn, who.viewer, filt, limit)
            ]
        record_read(engine, who, checkpoints.audit_ids(found), "cli")
    if json:
        print_json(found)
        return
    table = Table()
    for column in ("id", "name", "unit", "owner", "lat, lon", "in force", "hours", "tlp"):
        table.add_column(column, overflow="fold")
    for r in found:
        closed = f" (closed {r['closed_at']})" if r["closed_at"] else ""
        table.add_row(
            str(r["id"]),
            r["name"],
            r["unit"],
            r["partner"],
            f"{r['lat']:.5f}, {r['lon']:.5f}",
            f"{r['valid_from'] or 'open'} to {r['valid_to'] or 'open'}{closed}",
            r["hours"] or "24 h",
            r["tlp"],
        )
    Console().print(table)


@checkpoints_app.command("close")
def checkpoints_close(
    checkpoint_id: Annotated[int, typer.Argument(help="The checkpoint's id.")],
    at: Annotated[
        str | None, typer.Option(help="Closed from this ISO date-time on. Default: now.")
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Close (withdraw) a checkpoint of your partner: it no longer verifies from then on."""
    when = parse_time(at, "at") if at else now()
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        who = acting(conn, as_user)
        found = checkpoints.close(conn, who, checkpoint_id, when, now())
    if json:
        print_json(found)
    else:
        err.print(f"checkpoint {checkpoint_id} closed at {found['closed_at']}")


@checkpoints_app.command("verify")
def checkpoints_verify(
    lat: LatOption,
    lon: LonOption,
    at: Annotated[
        str | None,
        typer.Option(help="When it was seen: ISO date-time with a zone. Default: now."),
    ] = None,
    tolerance_m: Annotated[
        float,
        typer.Option("--tolerance-m", help="How far from the registered point, 25 to 5,000 m."),
    ] = DEFAULT_TOLERANCE_M,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Is a registered legitimate checkpoint there at that time? Answers from the checkpoints
    you may see only; every verify is audited."""
    question = Question(lat, lon, parse_time(at, "at") if at else now(), tolerance_m)
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        who = acting(conn, as_user)
        verdict = checkpoints.verify(conn, who, question, now(), "cli")
    answer = checkpoints.verdict_record(verdict)
    print_json(answer) if json else typer.echo(answer["answer"])
