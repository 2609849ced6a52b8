"""`tansiq reports ...`, `tansiq cells add`, `tansiq comment`: marked intelligence objects."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from tansiq.commands.accounts import AsOption, acting
from tansiq.commands.common import DbOption, JsonOption, engine_for, err, now, print_json
from tansiq.domain.grading import parse_grade
from tansiq.domain.markings import parse_tlp
from tansiq.domain.reports import CellDraft, Place, ReportDraft
from tansiq.errors import InvalidInput, NotFound
from tansiq.places import place_all
from tansiq.sharing import exchange, records, stix
from tansiq.sharing.reads import record_read
from tansiq.store import objects
from tansiq.store.database import reading, require_schema, writing

if TYPE_CHECKING:
    from tansiq.geo.locator import AreaLocator

reports_app = typer.Typer(
    help="Intelligence reports: add, list, mark, withdraw.", no_args_is_help=True
)
cells_app = typer.Typer(help="Cells of armed groups.", no_args_is_help=True)

TlpOption = Annotated[str, typer.Option("--tlp", help="clear, green, amber, amber+strict or red.")]
ReleasableOption = Annotated[
    str, typer.Option("--releasable-to", help="Partner codes, comma separated, e.g. krg,jcc.")
]


def _release(tlp: str, releasable_to: str) -> exchange.Release:
    codes = frozenset(c.strip() for c in releasable_to.split(",") if c.strip())
    return exchange.Release(parse_tlp(tlp), codes)


@reports_app.command("add")
def reports_add(
    title: Annotated[str, typer.Option(help="Title.")],
    text: Annotated[str, typer.Option(help="Text (Arabic, Kurdish or English).")] = "",
    lang: Annotated[str, typer.Option(help="ar, ku or en.")] = "en",
    tlp: TlpOption = "amber",
    releasable_to: ReleasableOption = "",
    grade: Annotated[
        str | None, typer.Option(help="Admiralty grade: reliability A-F, credibility 1-6, e.g. B2.")
    ] = None,
    lat: Annotated[float | None, typer.Option(help="Latitude of the place (WGS84).")] = None,
    lon: Annotated[float | None, typer.Option(help="Longitude of the place (WGS84).")] = None,
    place: Annotated[str, typer.Option(help="Name of the place.")] = "",
    cell: Annotated[list[str] | None, typer.Option(help="STIX id of a linked cell.")] = None,
    incident: Annotated[
        list[str] | None,
        typer.Option(help="A stored incident: SOURCE:ID, e.g. ucdp:12345."),
    ] = None,
    published: Annotated[
        datetime | None, typer.Option(help="Time of the report (default: now, UTC).")
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a report; prints its STIX id."""
    if (lat is None) != (lon is None):
        raise InvalidInput("give both --lat and --lon, or neither")
    places = [Place(lat, lon, place)] if lat is not None and lon is not None else []
    draft = ReportDraft(
        title=title,
        text=text,
        published=_aware(published) if published else now(),
        lang=lang,
        grade=parse_grade(grade) if grade else None,
        places=place_all(_locator(), places) if places else (),
        cell_ids=tuple(cell or ()),
        incident_ids=tuple(incident or ()),
    )
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        actor = acting(conn, as_user)
        stix_id = exchange.create_report(conn, actor, draft, _release(tlp, releasable_to), now())
    print_json({"id": stix_id}) if json else typer.echo(stix_id)


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


@reports_app.command("list")
def reports_list(
    q: Annotated[str | None, typer.Option(help="Only those containing this text.")] = None,
    kind: Annotated[str, typer.Option("--type", help="STIX type to list.")] = "report",
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 100,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Reports the user may see, newest first (reading them is audited)."""
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            actor = acting(conn, as_user)
            _, found = records.listing(conn, actor.viewer, kind, q, limit)
        record_read(engine, actor, [r["id"] for r in found], "cli")
    if json:
        print_json(found)
        return
    table = Table("id", "title", "grade", "tlp", "releasable to", "from")
    for r in found:
        table.add_row(
            r["id"],
            r["title"] or "",
            r["grade"] or "",
            r["tlp"],
            ",".join(r["releasable_to"]),
            r["originator"],
        )
    Console().print(table)


IdArg = Annotated[str, typer.Argument(help="STIX id, e.g. report--...")]


@reports_app.command("show")
def reports_show(stix_id: IdArg, as_user: AsOption = None, db: DbOption = None) -> None:
    """One object as JSON, as the user may see it (reading it is audited)."""
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            actor = acting(conn, as_user)
            row = objects.latest(conn, actor.viewer, stix_id)
            found = records.records(conn, actor.viewer, [row]) if row else []
        if not found:
            raise NotFound(f"no such object: {stix_id}")
        record_read(engine, actor, [stix_id], "cli")
    print_json(found[0])


@reports_app.command("mark")
def reports_mark(
    stix_id: IdArg,
    tlp: TlpOption,
    releasable_to: ReleasableOption = "",
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """Change the TLP and releasability (a new version; partners that lose it are told)."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        exchange.mark(conn, acting(conn, as_user), stix_id, _release(tlp, releasable_to), now())
    err.print(f"{stix_id} marked {parse_tlp(tlp).label}")


@reports_app.command("edit")
def reports_edit(
    stix_id: IdArg,
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    text: Annotated[str | None, typer.Option(help="New text.")] = None,
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """Change the title or text (a new version)."""
    changes = {k: v for k, v in (("name", title), ("description", text)) if v is not None}
    if not changes:
        raise InvalidInput("nothing to change: give --title or --text")
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        exchange.edit(conn, acting(conn, as_user), stix_id, changes, now())
    err.print(f"{stix_id} edited")


@reports_app.command("withdraw")
def reports_withdraw(stix_id: IdArg, as_user: AsOption = None, db: DbOption = None) -> None:
    """Withdraw a report everywhere it was shared (partners remove it on their next sync)."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        exchange.withdraw(conn, acting(conn, as_user), stix_id, now())
    err.print(f"{stix_id} withdrawn")


@cells_app.command("add")
def cells_add(
    name: Annotated[str, typer.Argument(help="Name of the cell.")],
    alias: Annotated[list[str] | None, typer.Option(help="Another name (any script).")] = None,
    area: Annotated[str | None, typer.Option(help="COD pcode of its area.")] = None,
    tlp: TlpOption = "amber",
    releasable_to: ReleasableOption = "",
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a cell; prints its STIX id."""
    cell = CellDraft(name, tuple(alias or ()), area)
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        actor = acting(conn, as_user)
        stix_id = exchange.create_cell(conn, actor, cell, _release(tlp, releasable_to), now())
    print_json({"id": stix_id}) if json else typer.echo(stix_id)


def comment(
    on: Annotated[str, typer.Argument(help="STIX id of the object commented on.")],
    kind: Annotated[str, typer.Option(help="note, sighting or opinion.")] = "note",
    text: Annotated[str, typer.Option(help="Text of the note, summary or explanation.")] = "",
    count: Annotated[int, typer.Option(help="Sighting count (0: looked, not seen).")] = 1,
    opinion: Annotated[str, typer.Option(help="strongly-disagree ... strongly-agree.")] = "neutral",
    tlp: TlpOption = "amber",
    releasable_to: ReleasableOption = "",
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add your own note, sighting or opinion on an object you can read (also a partner's)."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        actor = acting(conn, as_user)
        obj = stix.comment_object(kind, actor.partner, on, text, count, opinion, now())
        stix_id = exchange.add_comment(conn, actor, obj, _release(tlp, releasable_to), now())
    print_json({"id": stix_id}) if json else typer.echo(stix_id)


def _locator() -> AreaLocator:
    from tansiq.geo.locator import AreaLocator  # loaded when a place is given, not at start-up

    return AreaLocator.from_shipped()
