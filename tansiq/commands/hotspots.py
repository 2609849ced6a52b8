"""`tansiq hotspots ...`: Gi* hot and cold spots of incidents on H3 cells, and their trends."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from tansiq.analysis.emerging import emerging_hotspots
from tansiq.analysis.events import EventArrays, day_number
from tansiq.analysis.hotspots import HotspotResult, gi_star
from tansiq.analysis.region import check_res
from tansiq.commands.common import DbOption, engine_for, err, print_json
from tansiq.errors import InvalidInput
from tansiq.store.database import reading, require_schema
from tansiq.store.events import event_arrays

hotspots_app = typer.Typer(
    help="Hot and cold spots of incidents on H3 cells: Getis-Ord Gi* with permutation p-values, "
    "FDR-corrected, in ArcGIS's bins (the study area is the cells with incidents and their ring-1 "
    "neighbours); `emerging` for their trends over time.",
    invoke_without_command=True,
)

FromOption = Annotated[
    datetime | None,
    typer.Option("--from", formats=["%Y-%m-%d"], help="First day (default: the first incident)."),
]
ToOption = Annotated[
    datetime | None,
    typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (default: the last incident)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the cells as a JSON list.")]
GeojsonOption = Annotated[
    bool, typer.Option("--geojson", help="Print a GeoJSON FeatureCollection of the cells.")
]
AllOption = Annotated[
    bool, typer.Option("--all", help="Every cell of the study area, not only those found.")
]


@hotspots_app.callback()
def hotspots(
    ctx: typer.Context,
    date_from: FromOption = None,
    date_to: ToOption = None,
    res: Annotated[int, typer.Option("--res", help="H3 resolution (4 to 9).")] = 7,
    permutations: Annotated[
        int, typer.Option("--permutations", help="Permutations for the pseudo p-values.")
    ] = 999,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the permutations.")] = 0,
    p_value: Annotated[
        str,
        typer.Option(
            "--p-value",
            help="permutation (conditional randomisation) or normal (from z, as ArcGIS does).",
        ),
    ] = "permutation",
    every_cell: AllOption = False,
    json: JsonOption = False,
    geojson: GeojsonOption = False,
    db: DbOption = None,
) -> None:
    """Hot and cold spots: Gi* of incident counts per H3 cell, FDR-corrected, in ArcGIS's bins.

    The study area is the cells with incidents and their ring-1 neighbours. Prints the hot and
    cold cells (class, count, z, p, p_fdr), hottest first; see also `tansiq hotspots emerging`.
    """
    if ctx.invoked_subcommand is not None:
        return
    first, last = _range(date_from, date_to)
    check_res(res)
    if not 1 <= permutations <= 99_999:
        raise InvalidInput(f"permutations must be 1 to 99999, got {permutations}")
    output = _output(json, geojson)
    events = _events(db, first, last)
    result = gi_star(events, res, permutations, seed, p_value)
    rows = result.rows(significant_only=not every_cell)
    if output == "json":
        print_json(rows)
    elif output == "geojson":
        _print_geojson(result.geojson(significant_only=not every_cell))
    else:
        hot = sum(row["gi_bin"] > 0 for row in rows)
        cold = sum(row["gi_bin"] < 0 for row in rows)
        err.print(
            f"{len(events):,} incidents in {len(result.cells):,} cells at res {res} "
            f"(with their ring-1 neighbours), {_method(result)}: "
            f"{hot} hot and {cold} cold spots at 90% confidence or more after FDR",
            highlight=False,
        )
        if not hot + cold and result.permutations:
            err.print(
                "none passes FDR with permutation p-values, which have little power when"
                " incidents sit on few distinct places; --p-value normal uses the z-score's"
                " p-value, as ArcGIS does",
                highlight=False,
            )
        _print_table(["cell", "class", "count", "z", "p", "p_fdr"], rows)


def _method(result: HotspotResult) -> str:
    if result.permutations:
        return f"{result.permutations} permutations"
    return "normal p-values"


@hotspots_app.command("emerging")
def emerging(
    date_from: FromOption = None,
    date_to: ToOption = None,
    res: Annotated[int, typer.Option("--res", help="H3 resolution (4 to 9).")] = 6,
    every_cell: AllOption = False,
    json: JsonOption = False,
    geojson: GeojsonOption = False,
    db: DbOption = None,
) -> None:
    """Emerging hot spots: ArcGIS's 17 patterns of hot and cold spots over time.

    Space-time Gi* per cell and month (quarter beyond five years), a Mann-Kendall trend of each
    cell's z-scores, and the patterns new, consecutive, intensifying, persistent, diminishing,
    sporadic, oscillating and historical, hot or cold. Needs at least 10 time steps. Prints the
    cells with a pattern (count, hot and cold steps, trend z and p).
    """
    first, last = _range(date_from, date_to)
    check_res(res)
    output = _output(json, geojson)
    events = _events(db, first, last)
    result = emerging_hotspots(
        events,
        res,
        None if first is None else day_number(first),
        None if last is None else day_number(last),
    )
    rows = result.rows(patterned_only=not every_cell)
    if output == "json":
        print_json(rows)
    elif output == "geojson":
        _print_geojson(result.geojson(patterned_only=not every_cell))
    else:
        err.print(
            f"{len(events):,} incidents in {len(result.cells):,} cells at res {res} x "
            f"{len(result.step_labels)} {result.unit}s ({result.step_labels[0]} to "
            f"{result.step_labels[-1]}): {len(rows)} cells with a pattern",
            highlight=False,
        )
        columns = ["cell", "pattern", "count", "hot_steps", "cold_steps", "trend_z", "trend_p"]
        _print_table(columns, rows)


def _range(date_from: datetime | None, date_to: datetime | None) -> tuple[date | None, date | None]:
    first = date_from.date() if date_from else None
    last = date_to.date() if date_to else None
    if first and last and first > last:
        raise InvalidInput(f"--from {first} is after --to {last}")
    return first, last


def _output(json: bool, geojson: bool) -> str:
    if json and geojson:
        raise InvalidInput("choose one of --json and --geojson")
    return "json" if json else "geojson" if geojson else "table"


def _events(db: str | None, first: date | None, last: date | None) -> EventArrays:
    """Every incident starting in [first, last]; InvalidInput when there is none."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        events = event_arrays(conn, first, last)
    if not len(events):
        span = f"from {first or 'the start'} to {last or 'the end'}"
        raise InvalidInput(f"no incidents {span}: nothing to analyse")
    return events


def _print_geojson(collection: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(collection).decode() + "\n")


HEADERS = {"hot_steps": "hot", "cold_steps": "cold", "trend_z": "trend z", "trend_p": "trend p"}


def _print_table(columns: list[str], rows: list[dict[str, Any]]) -> None:
    table = Table()
    for column in columns:  # figures and H3 indexes whole; the class or pattern may wrap
        wraps = column in ("class", "pattern")
        table.add_column(
            HEADERS.get(column, column), no_wrap=not wraps, min_width=8 if wraps else None
        )
    for row in rows:
        table.add_row(*(_cell_text(row[c]) for c in columns))
    Console().print(table)


def _cell_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 0.01 else f"{value:.3f}"
    return str(value)
