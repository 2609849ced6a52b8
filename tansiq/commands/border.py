"""`tansiq border`: the Syria border: sectors, observations and alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tansiq import border
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
from tansiq.domain.border import AlertRule, parse_kind
from tansiq.errors import InvalidInput
from tansiq.importers.border import read_observations, rejected
from tansiq.sharing.reads import record_read
from tansiq.store import border as store
from tansiq.store.database import reading, require_schema, writing
from tansiq.store.partners import list_partners

border_app = typer.Typer(
    help="The Syria border: sectors, observations and alerts.",
    no_args_is_help=True,
)
sectors_app = typer.Typer(
    help="Sectors of the Iraq-Syria border line: list them, or store them (init).",
    invoke_without_command=True,
)
rules_app = typer.Typer(
    help="Alert rules: N observations in a sector within T hours.", no_args_is_help=True
)
border_app.add_typer(sectors_app, name="sectors")
border_app.add_typer(rules_app, name="rules")


@sectors_app.callback()
def sectors_list(ctx: typer.Context, db: DbOption = None, json: JsonOption = False) -> None:
    """List the sectors: id, district, length, assigned unit and partner."""
    if ctx.invoked_subcommand is not None:
        return
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = [border.sector_record(s) for s in store.stored_sectors(conn)]
    if json:
        print_json(found)
        return
    if not found:
        err.print("no sectors stored: run `tansiq border sectors init`")
    table = Table("id", "name", "districts", "km", "from km", "unit", "partner")
    for s in found:
        table.add_row(
            s["id"],
            s["name_en"],
            " ".join(s["districts"]),
            f"{s['length_km']:.1f}",
            f"{s['start_km']:.1f}",
            s["unit"] or "",
            s["partner"] or "",
        )
    Console().print(table)


@sectors_app.command("init")
def sectors_init(db: DbOption = None, json: JsonOption = False) -> None:
    """Store the sectors computed from the shipped border line (10-20 km each, per border
    district). Running it again changes nothing."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        created = border.init_sectors(conn, "console", now())
        total = len(store.stored_sectors(conn))
    if json:
        print_json({"created": created, "sectors": total})
    else:
        err.print(f"border sectors: created {created}, {total} in all")


@border_app.command("assign")
def border_assign(
    sector: Annotated[str, typer.Argument(help="Sector id, e.g. IQG15Q07-02.")],
    unit: Annotated[str, typer.Option(help="The unit that holds the sector.")],
    partner: Annotated[str, typer.Option(help="The unit's partner.")],
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Assign a sector to a partner's unit (administrators and approvers)."""
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        found = border.assign(conn, acting(conn, as_user), sector, unit, partner, now())
    if json:
        print_json(border.sector_record(found))
    else:
        err.print(f"sector {sector} assigned to {unit} ({partner})")


@border_app.command("import")
def border_import(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file.")
    ],
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import border observations of your partner from CSV, all or nothing.

    Columns: kind (crossing-attempt, sensor-alert, patrol-report), lat|latitude, lon|longitude,
    observed_at (ISO date-time with a zone), and optionally text, ref, tlp, releasable_to. A
    file with any bad row (or a point more than 15 km from the border line) is rejected whole,
    each problem with its line and column, and nothing is stored.
    """
    shown = settings_from(db).max_reported_errors
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        who = acting(conn, as_user)
        at = now()
        placer = border.placer(conn, at)
        known = frozenset(p.code for p in list_partners(conn))
        good, errors = read_observations(path, who.partner, placer.place, known)
        if errors:
            raise rejected(str(path), errors, shown)
        placed = [(p.draft, p.sector, p.distance_m) for p in good]
        stored, alerts = border.record_placed(conn, placed, who.name, at)
    summary = {"read": len(good), "stored": stored, "alerts": alerts}
    if json:
        print_json(summary)
    else:
        err.print(f"{path.name}: read {len(good)}, stored {stored}, alerts raised {len(alerts)}")


@border_app.command("observations")
def border_observations(
    sector: Annotated[str | None, typer.Option(help="Only this sector.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 100,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """The observations you may see, newest first (the read is audited)."""
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            who = acting(conn, as_user)
            _, rows = store.find_observations(conn, who.viewer, sector=sector, limit=limit)
        found = [border.observation_record(row) for row in rows]
        record_read(engine, who, [f"border-observation:{o['id']}" for o in found], "cli")
    if json:
        print_json(found)
        return
    table = Table("id", "observed", "sector", "kind", "km", "partner", "tlp", "text")
    for o in found:
        table.add_row(
            str(o["id"]),
            o["observed_at"],
            o["sector"],
            o["kind"],
            f"{o['distance_m'] / 1000:.1f}",
            o["partner"],
            o["tlp"],
            o["text"],
        )
    Console().print(table)


@border_app.command("alerts")
def border_alerts(as_user: AsOption = None, db: DbOption = None, json: JsonOption = False) -> None:
    """The alerts raised for your partner, newest first."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = [
            border.alert_record(a) for a in store.find_alerts(conn, acting(conn, as_user).viewer)
        ]
    if json:
        print_json(found)
        return
    table = Table("id", "sector", "observations", "first", "last", "task")
    for a in found:
        table.add_row(
            str(a["id"]),
            f"{a['sector_name']} ({a['sector']})",
            str(a["observations"]),
            a["first_at"],
            a["last_at"],
            str(a["task"] or ""),
        )
    Console().print(table)


@rules_app.command("add")
def rules_add(
    count: Annotated[int, typer.Option(help="N: observations that raise an alert.")],
    hours: Annotated[float, typer.Option(help="T: within this many hours.")],
    kind: Annotated[str | None, typer.Option(help="Only this kind (default: any kind).")] = None,
    sector: Annotated[str | None, typer.Option(help="Only this sector (default: any).")] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a rule: N observations in one sector within T hours raise an alert and a task to
    the sector's partner (or, if none, the observing partner)."""
    rule = AlertRule(count, hours, parse_kind(kind) if kind else None, sector)
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        rule_id = border.add_rule(conn, acting(conn, as_user), rule, now())
    if json:
        print_json({"id": rule_id})
    else:
        err.print(f"rule {rule_id} added")
        typer.echo(rule_id)


@rules_app.command("list")
def rules_list(db: DbOption = None, json: JsonOption = False) -> None:
    """The alert rules in force."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = [
            {
                "id": r["id"],
                "count": r["count"],
                "hours": r["hours"],
                "kind": r["kind"],
                "sector": r["sector_id"],
            }
            for r in store.list_rules(conn)
        ]
    if json:
        print_json(found)
        return
    table = Table("id", "count", "hours", "kind", "sector")
    for r in found:
        table.add_row(
            str(r["id"]),
            str(r["count"]),
            f"{r['hours']:g}",
            r["kind"] or "any",
            r["sector"] or "any",
        )
    Console().print(table)


@rules_app.command("remove")
def rules_remove(
    rule_id: Annotated[int, typer.Argument(help="The rule's id.")],
    as_user: AsOption = None,
    db: DbOption = None,
) -> None:
    """Remove a rule (the alerts it raised are kept)."""
    if rule_id < 1:
        raise InvalidInput("a rule id is a positive number")
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        border.remove_rule(conn, acting(conn, as_user), rule_id, now())
    err.print(f"rule {rule_id} removed")
