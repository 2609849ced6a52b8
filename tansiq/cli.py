"""The command line: thin commands that parse options, call the layers below and print."""

from __future__ import annotations

import secrets
import sys
from dataclasses import asdict, dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError

from tansiq.accounts import create_user
from tansiq.commands.accounts import partners_app, users_app
from tansiq.commands.audit import audit_app
from tansiq.commands.border import border_app
from tansiq.commands.checkpoints import checkpoints_app
from tansiq.commands.common import (
    DbOption,
    JsonOption,
    engine_at,
    engine_for,
    err,
    now,
    print_json,
    progress,
    settings_from,
)
from tansiq.commands.cot import cot_app
from tansiq.commands.forecast import forecast_app
from tansiq.commands.geocode import geocode_app
from tansiq.commands.hotspots import hotspots_app
from tansiq.commands.node import node_app
from tansiq.commands.ops import ops_app
from tansiq.commands.peers import peers_app, sync
from tansiq.commands.placement import placement
from tansiq.commands.positions import load_demo_positions, positions_app
from tansiq.commands.reports import cells_app, comment, reports_app
from tansiq.commands.stixfiles import export_app, import_stix
from tansiq.commands.tasks import tasks_app
from tansiq.commands.vacuum import vacuum_command
from tansiq.demo_positions import DEMO_PARTNERS
from tansiq.domain.areas import Area, AreaLevel
from tansiq.domain.incidents import IncidentFilter
from tansiq.domain.reports import Role
from tansiq.errors import InvalidInput, TansiqError
from tansiq.exports import geojson_bytes, incident_record, json_bytes, write_csv
from tansiq.settings import Settings, sqlite_url
from tansiq.sharing.keys import node_key
from tansiq.store.areas import list_areas, load_areas, require_area
from tansiq.store.database import reading, require_schema, writing
from tansiq.store.incidents import find_incidents
from tansiq.store.partners import add_partner, find_partner, node_partner_or_none, set_node_partner

if TYPE_CHECKING:
    from tansiq.importing import Source

app = typer.Typer(
    help="tansiq: joint security coordination node.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
import_app = typer.Typer(help="Import incident datasets (UCDP GED, ACLED).", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(partners_app, name="partners")
app.add_typer(users_app, name="users")
app.add_typer(reports_app, name="reports")
app.add_typer(cells_app, name="cells")
app.add_typer(peers_app, name="peers")
app.add_typer(node_app, name="node")
app.add_typer(export_app, name="export")
app.add_typer(audit_app, name="audit")
app.add_typer(positions_app, name="positions")
app.add_typer(hotspots_app, name="hotspots")
app.add_typer(forecast_app, name="forecast")
app.add_typer(geocode_app, name="geocode")
app.add_typer(ops_app, name="ops")
app.add_typer(tasks_app, name="tasks")
app.add_typer(checkpoints_app, name="checkpoints")
app.add_typer(border_app, name="border")
app.add_typer(cot_app, name="cot")
app.command("comment")(comment)
app.command("sync")(sync)
app.command("vacuum")(vacuum_command)
app.command("placement")(placement)
import_app.command("stix")(import_stix)

DEMO_EVENTS = Path(__file__).parent / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"


@app.command()
def init(
    partner: Annotated[
        str | None, typer.Option(help="Code of the partner this node belongs to, e.g. joc.")
    ] = None,
    partner_name: Annotated[str | None, typer.Option(help="That partner's full name.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Create or upgrade the database and load the reference geography (idempotent).

    The first `init` with `--partner` says which partner owns this node; it cannot change later.
    The first `init` also makes the node's signing key pair (see `tansiq node key`).
    """
    if partner_name is not None and partner is None:
        raise InvalidInput("--partner-name needs --partner")
    settings = settings_from(db)
    summary = _init(settings, partner, partner_name)
    if json:
        print_json(summary)
    else:
        own = f", node of {summary['partner']}" if summary["partner"] else ""
        err.print(
            f"database ready at schema {summary['schema']} with {summary['areas']} areas{own}"
        )


def _init(
    settings: Settings, partner: str | None = None, partner_name: str | None = None
) -> dict[str, Any]:
    from tansiq.geo.reference import areas as shipped_areas  # the CLI starts faster without
    from tansiq.store import migrate  # these (and the locator) for the commands that need none

    with engine_at(settings.db) as engine:
        before, after = migrate.upgrade(engine)
        with writing(engine) as conn:
            count = load_areas(conn, shipped_areas())
            if partner is not None:
                known = find_partner(conn, partner)
                name = partner_name or (known.name if known else partner.upper())
                add_partner(conn, partner, name, known.parent_code if known else None, now())
                set_node_partner(conn, partner)
            own = node_partner_or_none(conn)
            public_key = node_key(conn).public()
    return {
        "schema": after,
        "previous_schema": before,
        "areas": count,
        "partner": own,
        "public_key": public_key,
    }


def _run_import(path: Path, source: Source, skip_invalid: bool, db: str | None, json: bool) -> None:
    from tansiq.geo.locator import AreaLocator
    from tansiq.importers.rejects import rejects_path
    from tansiq.importing import ImportRequest, import_file

    settings = settings_from(db)
    with engine_at(settings.db) as engine:
        request = ImportRequest(path=path, source=source, skip_invalid=skip_invalid)
        with progress(f"importing {path.name}", "rows") as advance:
            summary = import_file(
                engine, request, settings, AreaLocator.from_shipped(), now, advance
            )
    if json:
        print_json(summary.as_dict())
    else:
        s = summary
        err.print(
            f"{path.name}: read {s.read}, imported {s.imported}, updated {s.updated}, "
            f"unchanged {s.unchanged}, rejected {s.rejected}"
        )
    if summary.rejected:
        err.print(f"rejected rows and reasons written to {rejects_path(path)}")


PathArg = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]
SkipOption = Annotated[
    bool,
    typer.Option(
        "--skip-invalid", help="Import valid rows; write rejected ones to PATH.rejected.csv."
    ),
]


@import_app.command("ucdp")
def import_ucdp(
    path: PathArg, skip_invalid: SkipOption = False, db: DbOption = None, json: JsonOption = False
) -> None:
    """Import a UCDP GED CSV (with or without its HXL tag row)."""
    _run_import(path, "ucdp", skip_invalid, db, json)


@import_app.command("acled")
def import_acled(
    path: PathArg, skip_invalid: SkipOption = False, db: DbOption = None, json: JsonOption = False
) -> None:
    """Import an ACLED CSV export."""
    _run_import(path, "acled", skip_invalid, db, json)


class OutputFormat(StrEnum):
    json = "json"
    geojson = "geojson"
    csv = "csv"


@app.command()
def incidents(
    area: Annotated[str | None, typer.Option(help="COD pcode of any level, e.g. IQG13Q04.")] = None,
    date_from: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day.")
    ] = None,
    date_to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")
    ] = None,
    disputed: Annotated[bool, typer.Option("--disputed", help="Only disputed areas.")] = False,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.json,
    db: DbOption = None,
) -> None:
    """List incidents, oldest first, as JSON, GeoJSON or CSV on stdout."""
    filt = IncidentFilter(area, _day(date_from), _day(date_to), disputed)
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        require_area(conn, filt.area)
        records = (incident_record(r) for r in find_incidents(conn, filt))
        if output is OutputFormat.csv:
            write_csv(records, sys.stdout)
        elif output is OutputFormat.geojson:
            sys.stdout.write(geojson_bytes(records).decode() + "\n")
        else:
            sys.stdout.write(json_bytes(records).decode() + "\n")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


@app.command()
def areas(
    level: Annotated[int | None, typer.Option(min=1, max=3, help="1, 2 or 3.")] = None,
    disputed: Annotated[bool, typer.Option("--disputed", help="Only disputed areas.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List governorates (1), districts (2) and sub-districts (3) with their flags."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = list_areas(conn, AreaLevel(level) if level else None, disputed)
    if json:
        print_json([_area_json(a) for a in found])
        return
    table = Table("pcode", "level", "English", "Arabic", "disputed", "KRI", "Syria border")
    for a in found:
        table.add_row(
            a.pcode,
            str(int(a.level)),
            a.name_en,
            a.name_ar,
            _yes(a.disputed),
            _yes(a.kurdistan_region),
            _yes(a.syria_border_district),
        )
    Console().print(table)


def _area_json(area: Area) -> dict[str, Any]:
    return {**asdict(area), "level": int(area.level)}


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


@app.command()
def locate(
    lat: Annotated[float, typer.Argument(min=-90, max=90, help="Latitude (WGS84).")],
    lon: Annotated[float, typer.Argument(min=-180, max=180, help="Longitude (WGS84).")],
    json: JsonOption = False,
) -> None:
    """The sub-district, district and governorate of a point, in English and Arabic."""
    from tansiq.geo.locator import AreaLocator

    placement = AreaLocator.from_shipped().locate(lat, lon)
    if json:
        print_json(asdict(placement))
        return
    p = placement
    console = Console()
    for level, (pcode, en, ar) in enumerate(
        (
            (p.adm1_pcode, p.adm1_en, p.adm1_ar),
            (p.adm2_pcode, p.adm2_en, p.adm2_ar),
            (p.adm3_pcode, p.adm3_en, p.adm3_ar),
        ),
        start=1,
    ):
        console.print(f"adm{level}  {pcode:<12} {en} / {ar}")
    console.print(
        f"disputed={p.disputed} kurdistan_region={p.kurdistan_region} "
        f"syria_border_district={p.syria_border_district} outside_km={p.outside_km:.1f}"
    )


HostOption = Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")]
PortOption = Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")]


@app.command()
def serve(
    db: DbOption = None,
    host: HostOption = None,
    port: PortOption = None,
    cert: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, readable=True, help="TLS certificate (PEM): serve HTTPS."
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            exists=True, dir_okay=False, readable=True, help="TLS private key (PEM) for --cert."
        ),
    ] = None,
    client_ca: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            readable=True,
            help="Require client certificates signed by this CA (mutual TLS between nodes).",
        ),
    ] = None,
) -> None:
    """Serve the web app, the HTTP API and TAXII 2.1 (plain HTTP unless given --cert/--key)."""
    if (cert is None) != (key is None):
        raise InvalidInput("give both --cert and --key for HTTPS, or neither")
    if client_ca is not None and cert is None:
        raise InvalidInput("--client-ca needs --cert and --key: mutual TLS is over HTTPS")
    settings = settings_from(db)
    settings = settings.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v})
    _serve(settings, Tls(cert, key, client_ca) if cert and key else None)


@dataclass(frozen=True)
class Tls:
    cert: Path
    key: Path
    client_ca: Path | None = None


def _serve(settings: Settings, tls: Tls | None = None) -> None:
    import ssl

    import uvicorn

    from tansiq.api.app import create_app

    application = create_app(settings)
    scheme = "https" if tls else "http"
    err.print(f"tansiq serving on {scheme}://{settings.host}:{settings.port}/")
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ssl_certfile=tls.cert if tls else None,
        ssl_keyfile=tls.key if tls else None,
        ssl_version=ssl.PROTOCOL_TLS_SERVER,
        ssl_ca_certs=str(tls.client_ca) if tls and tls.client_ca else None,
        ssl_cert_reqs=ssl.CERT_REQUIRED if tls and tls.client_ca else ssl.CERT_NONE,
    )


@app.command()
def demo(
    file: Annotated[Path, typer.Option(help="SQLite file for the demo (recreated).")] = Path(
        "tansiq-demo.db"
    ),
    host: HostOption = None,
    port: PortOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the database only.")] = False,
    password: Annotated[
        str | None,
        typer.Option(help="The demo people's password (default: a new random one, printed)."),
    ] = None,
) -> None:
    """Build a fresh demo database from the shipped UCDP events and serve it.

    Two demo people of the JCC can log in to the page: demo-watch (watch officer) and
    demo-analyst (analyst), with the password printed at start. The map also shows SYNTHETIC
    positions of joc and krg (`tansiq positions demo`), released to each other and the JCC, and
    the Syria border's sectors, assigned to SYNTHETIC units.
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
    settings = Settings(db=sqlite_url(file))
    settings = settings.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v})
    _init(settings, "jcc", "Joint Coordination Centre (demo)")
    _run_import(DEMO_EVENTS, "ucdp", False, settings.db, False)
    password = password or secrets.token_urlsafe(12)
    token = _demo_people(settings, password)
    written = load_demo_positions(settings.db)
    err.print(f"demo positions (synthetic): {written.created}")
    border = _demo_border(settings)
    err.print(f"demo border: {border['assigned']} sectors assigned to synthetic units")
    err.print(
        f"log in as demo-watch or demo-analyst (jcc), password: {password}\n"
        f"demo-analyst's API token for scripts (Authorization: Bearer): {token}",
        markup=False,
        highlight=False,
    )
    if not no_serve:
        _serve(settings)


def _demo_border(settings: Settings) -> dict[str, int]:
    """The Syria border's sectors, each assigned to a SYNTHETIC joc or krg unit, and one rule."""
    from tansiq.border import load_demo_border

    with engine_at(settings.db) as engine, writing(engine) as conn:
        return load_demo_border(conn, now())


def _demo_people(settings: Settings, password: str) -> str:
    """The demo's partners, a watch officer and an analyst; returns the analyst's token."""
    with engine_at(settings.db) as engine, writing(engine) as conn:
        for code, name in DEMO_PARTNERS:
            add_partner(conn, code, name, None, now())
        create_user(conn, "demo-watch", "jcc", Role.WATCH, password, now())
        _, token = create_user(conn, "demo-analyst", "jcc", Role.ANALYST, password, now())
    return token


def main() -> None:
    """Entry point: typed errors become a one-line message and exit code 1.

    Usage errors (bad options, missing files) are typer's own: a message and exit code 2.
    A database that cannot be reached or is locked is a one-line message too.
    """
    try:
        app()
    except TansiqError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
    except OperationalError as exc:
        err.print(f"error: database: {exc.orig or exc}", markup=False, highlight=False)
        sys.exit(1)
