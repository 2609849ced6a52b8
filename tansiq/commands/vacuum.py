"""`tansiq vacuum`: the security vacuum of the disputed districts, as one viewer may see it.

Positions counted are those active on `--at` that the viewer may see (the store's filter, which
fails closed): a partner whose positions are not released to the viewer has no coverage here,
and its ground counts as uncovered. Incidents and the forecast are public data on every node.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Connection

from tansiq import positions
from tansiq.accounts import Principal
from tansiq.analysis.coverage import (
    DEFAULT_SEAM_KM,
    VacuumReport,
    disputed_units,
    sites_from_records,
    vacuum,
)
from tansiq.analysis.events import EPOCH, EventArrays, day_number
from tansiq.analysis.forecast import Risk, month_text
from tansiq.analysis.region import check_res
from tansiq.commands.accounts import AsOption, acting
from tansiq.commands.common import DbOption, JsonOption, engine_for, print_json
from tansiq.domain.positions import Period, PositionFilter
from tansiq.errors import InvalidInput
from tansiq.risk import next_month_risk
from tansiq.sharing.reads import record_read
from tansiq.store.database import reading, require_schema
from tansiq.store.events import event_arrays
from tansiq.store.positions import find_positions

COUNTED_PRECISION = 2
"""Incidents counted against coverage are located to a place or within 25 km (UCDP where_prec
1-2, ACLED geo_precision 1-2): a district-level point says nothing about a 1.5 km checkpoint."""

MAX_SEAM_KM = 200.0


@dataclass(frozen=True, slots=True)
class Window:
    """The incidents' period, both days included."""

    start: date
    end: date


def vacuum_command(
    at: Annotated[
        str | None,
        typer.Option(help="Count positions active on this day, YYYY-MM-DD (default: today, UTC)."),
    ] = None,
    as_user: AsOption = None,
    date_from: Annotated[
        str | None,
        typer.Option("--from", help="First day of incidents (default: 12 months before --to)."),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Last day of incidents (default: --at, or the latest incident if earlier).",
        ),
    ] = None,
    seam_km: Annotated[
        float, typer.Option(help="Width of the seam: uncovered ground this near both sides.")
    ] = DEFAULT_SEAM_KM,
    res: Annotated[int, typer.Option(help="H3 resolution of the risk cells (4-9).")] = 7,
    top: Annotated[int, typer.Option(help="How many uncovered risk cells to list.")] = 10,
    json: JsonOption = False,
    geojson: Annotated[
        bool,
        typer.Option(
            "--geojson", help="Print the map layers (coverage, overlap, uncovered, seam)."
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Coverage of the disputed districts, the uncovered part and the seam between the sides,
    with the incidents and next month's risk outside every partner's coverage.

    Counts positions active on --at that the viewer (--as, default the node administrator)
    may see. Incidents from --from to --to inside the disputed districts are counted covered
    when within a visible position's radius (exact geodesic distance). Risk is the forecast
    for the month after --to, summed over the cells whose centres lie in the districts.
    """
    if json and geojson:
        raise InvalidInput("choose one of --json and --geojson")
    _check_options(seam_km, res, top)
    day = _day(at, "--at") or datetime.now(UTC).date()
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            who = acting(conn, as_user)
            rows = find_positions(conn, who.viewer, PositionFilter(active=Period.day(day)))
            events, window = _incidents(conn, day, _day(date_from, "--from"), _day(date_to, "--to"))
            risk = _risk(conn, window, res)
        record_read(engine, who, positions.audit_ids(rows), "cli")
    report = vacuum(sites_from_records(rows), disputed_units(), events, risk, seam_km, top)
    if geojson:
        sys.stdout.write(orjson.dumps(report.geojson()).decode() + "\n")
    elif json:
        print_json(_summary(report, day, who, window, res))
    else:
        _print(report, day, who, window)


def _check_options(seam_km: float, res: int, top: int) -> None:
    if not 0 <= seam_km <= MAX_SEAM_KM:
        raise InvalidInput(f"--seam-km must be 0 to {MAX_SEAM_KM:g}, got {seam_km:g}")
    check_res(res)
    if not 0 <= top <= 1000:
        raise InvalidInput(f"--top must be 0 to 1000, got {top}")


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option} must be a day, YYYY-MM-DD, got {text!r}") from None


def _incidents(
    conn: Connection, day: date, start: date | None, end: date | None
) -> tuple[EventArrays, Window | None]:
    """The well-located incidents of the window, and the window: by default the 12 months up
    to --at or, when the node's incidents end earlier, up to the latest of them (so that a node
    whose data stops in 2017 still shows its last year). None: no incidents at all."""
    events = event_arrays(conn, date_to=end or day, max_precision=COUNTED_PRECISION)
    if end is None:
        if not len(events):
            return events, None
        end = date.fromordinal(int(events.day.max()) + EPOCH)
    start = start or _year_before(end)
    if start > end:
        raise InvalidInput(f"--from {start} is after --to {end}")
    keep = (events.day >= day_number(start)) & (events.day <= day_number(end))
    return events.where(keep), Window(start, end)


def _year_before(end: date) -> date:
    """The first day of the 12 months ending on `end`."""
    try:
        return end.replace(year=end.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        return end.replace(year=end.year - 1, day=28) + timedelta(days=1)


def _risk(conn: Connection, window: Window | None, res: int) -> Risk | None:
    """The forecast for the month after the window (None without incidents)."""
    if window is None:
        return None
    after = (window.end.year - 1970) * 12 + window.end.month  # the next month's index
    return next_month_risk(conn, month_text(after), res)


def _summary(
    report: VacuumReport, day: date, who: Principal, window: Window | None, res: int
) -> dict[str, Any]:
    found = report.as_dict()
    found["incidents"]["from"] = window.start.isoformat() if window else None
    found["incidents"]["to"] = window.end.isoformat() if window else None
    found["risk"]["res"] = res
    return {"at": day.isoformat(), "viewer": who.name, "viewer_partner": who.partner, **found}


def _print(report: VacuumReport, day: date, who: Principal, window: Window | None) -> None:
    out = Console()
    out.print(f"Security vacuum on {day} as {who.name} ({who.partner or 'no partner'})")
    out.print(_partners_table(report))
    out.print(_totals_table(report, window))
    if report.top_cells:
        out.print(_cells_table(report))


def _partners_table(report: VacuumReport) -> Table:
    table = Table("partner", "positions", "coverage km²", "in disputed km²", title="Coverage")
    for p in report.partners:
        table.add_row(p.partner, str(p.positions), _km2(p.area_km2), _km2(p.in_disputed_km2))
    count = sum(p.positions for p in report.partners)
    table.add_row(
        "all", str(count), _km2(report.coverage_km2), _km2(report.coverage_in_disputed_km2)
    )
    return table


def _totals_table(report: VacuumReport, window: Window | None) -> Table:
    table = Table("", "value", "share", title="Disputed districts")
    table.add_row("area km²", _km2(report.disputed_km2), "")
    table.add_row("covered by two partners km²", _km2(report.overlap_km2), "")
    table.add_row("uncovered km²", _km2(report.uncovered_km2), _pct(report.uncovered_share))
    table.add_row(f"seam (within {report.seam_km:g} km of both) km²", _km2(report.seam_km2), "")
    period = f"{window.start} to {window.end}" if window else "none"
    table.add_row(f"incidents {period}", f"{report.incidents_in_disputed:,}", "")
    share = _pct(report.incidents_uncovered_share)
    table.add_row("  outside coverage", f"{report.incidents_uncovered:,}", share)
    table.add_row(
        f"expected events {report.risk_month or '-'}", f"{report.risk_in_disputed:.2f}", ""
    )
    share = _pct(report.risk_uncovered_share)
    table.add_row("  outside coverage", f"{report.risk_uncovered:.2f}", share)
    return table


def _cells_table(report: VacuumReport) -> Table:
    table = Table("cell", "district", "lat", "lon", "expected", title="Uncovered risk cells")
    for c in report.top_cells:
        lat, lon = f"{c.latitude:.4f}", f"{c.longitude:.4f}"
        table.add_row(c.cell, c.name, lat, lon, f"{c.expected:.3f}")
    return table


def _km2(value: float) -> str:
    return f"{value:,.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"
