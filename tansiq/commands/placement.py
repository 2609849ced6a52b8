"""`tansiq placement`: where new joint checkpoints would cover the most of next month's risk."""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tansiq import positions
from tansiq.analysis import coverage
from tansiq.analysis import placement as pl
from tansiq.analysis.forecast import Risk, parse_month
from tansiq.analysis.region import cell_centres, check_res
from tansiq.commands.accounts import AsOption, acting
from tansiq.commands.common import DbOption, JsonOption, engine_for, now, print_json
from tansiq.domain.positions import Period, PositionFilter
from tansiq.errors import InvalidInput
from tansiq.risk import next_month_risk
from tansiq.sharing.reads import record_read
from tansiq.store.database import reading, require_schema
from tansiq.store.positions import find_positions

if TYPE_CHECKING:
    from tansiq.geo.locator import AreaLocator

KOption = Annotated[int, typer.Option("--k", help="How many new sites to recommend.")]
RadiusOption = Annotated[
    float, typer.Option("--radius-km", help="How far a new site reaches, in km (great-circle).")
]
MonthOption = Annotated[
    str | None,
    typer.Option(
        "--month", help="Month to plan for, YYYY-MM (default: after the latest incident)."
    ),
]
ResOption = Annotated[int, typer.Option("--res", help="H3 resolution of the risk cells (4-9).")]
AtOption = Annotated[
    datetime | None,
    typer.Option(
        "--at", formats=["%Y-%m-%d"], help="Existing positions active on this day (default: today)."
    ),
]
TimeLimitOption = Annotated[
    float,
    typer.Option("--time-limit", help="Seconds for the exact solver (0: greedy only)."),
]
GeojsonOption = Annotated[
    bool, typer.Option("--geojson", help="Print the sites as a GeoJSON FeatureCollection.")
]


def placement(
    k: KOption,
    radius_km: RadiusOption,
    month: MonthOption = None,
    res: ResOption = 7,
    at: AtOption = None,
    as_user: AsOption = None,
    time_limit: TimeLimitOption = pl.DEFAULT_TIME_LIMIT_S,
    json: JsonOption = False,
    geojson: GeojsonOption = False,
    db: DbOption = None,
) -> None:
    """Recommend K new joint checkpoint sites in the disputed districts.

    Candidates are gazetteer places and H3 cell centres in the disputed districts; demand is
    next month's forecast risk per region cell. Positions already active (those the viewer may
    see) keep their places and what they cover counts as covered before. The greedy answer
    comes at once; HiGHS then looks for the proven optimum within --time-limit seconds.
    """
    check_options(k, radius_km, month, res, time_limit, json and geojson)
    candidates = pl.candidate_sites(res)
    pl.check_request(k, radius_km, len(candidates))
    day = at.date() if at is not None else now().date()
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            who = acting(conn, as_user)
            rows = find_positions(conn, who.viewer, PositionFilter(active=Period.day(day)))
            risk = next_month_risk(conn, month, res)
        record_read(engine, who, positions.audit_ids(rows), "cli")  # marked positions were read
    sites = coverage.sites_from_records(rows)
    demand = pl.Demand(*cell_centres(list(risk.cells)), risk.expected)
    with _c_stdout_discarded():  # HiGHS prints a banner on C's stdout, which --json must not get
        found = pl.plan(
            demand, candidates, pl.Existing.from_sites(sites), k, radius_km, time_limit or None
        )
    summary = summarise(found, candidates, risk, day, len(sites))
    if geojson:
        print_json(feature_collection(summary))
    elif json:
        print_json(summary)
    else:
        print_table(summary)


def check_options(
    k: int, radius_km: float, month: str | None, res: int, time_limit: float, both: bool
) -> None:
    """InvalidInput for a value no plan could use, before anything is read."""
    if both:
        raise InvalidInput("choose one of --json and --geojson")
    check_res(res)
    if month is not None:
        parse_month(month)
    if k < 1:
        raise InvalidInput(f"k must be at least 1, got {k}")
    pl.check_request(1, radius_km, 1)
    if not math.isfinite(time_limit) or not 0 <= time_limit <= 3600:
        raise InvalidInput(f"time limit must be 0 to 3600 seconds, got {time_limit:g}")


@contextmanager
def _c_stdout_discarded() -> Iterator[None]:
    """Discard what C code writes to file descriptor 1 meanwhile (Python's own output is
    flushed first and is not written meanwhile)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 (an embedded interpreter): nothing to protect
        yield
        return
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(sink, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(sink)


@functools.cache
def _locator() -> AreaLocator:
    from tansiq.geo.locator import AreaLocator  # slow to import: only when placing sites

    return AreaLocator.from_shipped()


def summarise(
    found: pl.PlacementPlan, candidates: pl.Candidates, risk: Risk, day: date, existing: int
) -> dict[str, Any]:
    """The plan as plain values: the sites ranked, then the risk covered before and after."""
    exact = found.exact
    return {
        "month": risk.month,
        "res": risk.res,
        "k": found.k,
        "radius_km": found.radius_km,
        "positions_on": day.isoformat(),
        "existing_positions": existing,
        "candidates": len(candidates),
        "demand_cells": len(risk.cells),
        "method": "exact" if found.chosen != found.greedy else "greedy",
        "sites": _sites(found.chosen, candidates),
        "risk": {
            "total": found.total,
            "before": found.before,
            "after_greedy": found.after_greedy,
            "after_exact": found.after_exact,
        },
        "exact": None
        if exact is None
        else {
            "proven_optimal": exact.proven,
            "gap": _finite(exact.gap),
            "status": exact.status,
            "seconds": exact.seconds,
        },
        "seconds": found.seconds,
    }


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _sites(chosen: pl.Chosen, candidates: pl.Candidates) -> list[dict[str, Any]]:
    at = np.array(chosen.sites, dtype=np.intp)
    lat, lon = candidates.latitude[at], candidates.longitude[at]
    locator = _locator()
    located = locator.locate_many(lat, lon)
    sites = []
    for rank, (site, gain) in enumerate(zip(chosen.sites, chosen.gains, strict=True), start=1):
        place = locator.placement(int(located.subdistrict_index[rank - 1]), 0.0)
        sites.append(
            {
                "rank": rank,
                "site": candidates.label[site],
                "kind": "place" if candidates.is_place[site] else "cell",
                "latitude": round(float(lat[rank - 1]), 6),
                "longitude": round(float(lon[rank - 1]), 6),
                "adm1_pcode": place.adm1_pcode,
                "governorate": place.adm1_en,
                "adm2_pcode": place.adm2_pcode,
                "district": place.adm2_en,
                "risk_added": gain,
            }
        )
    return sites


def feature_collection(summary: dict[str, Any]) -> dict[str, Any]:
    """The recommended sites as GeoJSON points; the rest of the summary as a foreign member."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [s["longitude"], s["latitude"]]},
            "properties": {k: v for k, v in s.items() if k not in ("latitude", "longitude")},
        }
        for s in summary["sites"]
    ]
    rest = {k: v for k, v in summary.items() if k != "sites"}
    return {"type": "FeatureCollection", "features": features, "placement": rest}


def print_table(summary: dict[str, Any]) -> None:
    """The ranked sites, then what is covered before and after."""
    console = Console()
    table = Table("rank", "site", "lat", "lon", "district", "risk added", title=_title(summary))
    for s in summary["sites"]:
        table.add_row(
            str(s["rank"]),
            s["site"],
            f"{s['latitude']:.4f}",
            f"{s['longitude']:.4f}",
            f"{s['district']} ({s['governorate']})",
            f"{s['risk_added']:.2f}",
        )
    console.print(table)
    for line in _risk_lines(summary):
        console.print(line)


def _title(summary: dict[str, Any]) -> str:
    return (
        f"{len(summary['sites'])} of {summary['k']} new sites, {summary['radius_km']:g} km,"
        f" risk of {summary['month']} (H3 res {summary['res']})"
    )


def _risk_lines(summary: dict[str, Any]) -> list[str]:
    risk, total = summary["risk"], summary["risk"]["total"]

    def share(value: float) -> str:
        percent = 100 * value / total if total else 0.0
        return f"{value:.2f} of {total:.2f} expected incidents ({percent:.1f}%)"

    lines = [
        f"covered before: {share(risk['before'])} by {summary['existing_positions']} positions"
        f" active on {summary['positions_on']}",
        f"after greedy:   {share(risk['after_greedy'])}",
    ]
    exact = summary["exact"]
    if exact is not None:
        if exact["proven_optimal"]:
            proof = "proven optimal"
        else:
            gap = "unknown" if exact["gap"] is None else f"{100 * exact['gap']:.2f}%"
            proof = f"best found, not proven ({exact['status']}; gap {gap})"
        lines.append(
            f"after exact:    {share(risk['after_exact'])}, {proof} in {exact['seconds']:.1f} s"
        )
    return lines
