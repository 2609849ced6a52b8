"""`tansiq forecast ...`: next month's expected incidents per H3 cell, and its backtest."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from tansiq.analysis.backtest import Backtest, MonthForecasts, backtest, month_forecasts
from tansiq.analysis.forecast import Risk, month_text, parse_month
from tansiq.analysis.region import cell_centres, check_res, region_cells
from tansiq.commands.common import DbOption, JsonOption, engine_for, err, print_json
from tansiq.errors import InvalidInput
from tansiq.event_files import MAX_PRECISION, EventFormat, read_event_file
from tansiq.risk import next_month_risk
from tansiq.store.database import reading, require_schema

forecast_app = typer.Typer(
    help="Next month's expected incidents per H3 cell of the region (Ninewa, Kirkuk, Diyala, "
    "Salah al-Din), from the node's incidents; `backtest` to score it on an event file.",
    invoke_without_command=True,
)

ResOption = Annotated[int, typer.Option("--res", help="H3 resolution (4 to 9).")]


@forecast_app.callback()
def forecast(
    ctx: typer.Context,
    month: Annotated[
        str | None,
        typer.Option("--month", help="Month to forecast, YYYY-MM (default: after the last)."),
    ] = None,
    res: ResOption = 7,
    top: Annotated[int, typer.Option("--top", help="Cells shown (highest first).")] = 20,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write every region cell to this CSV instead.", dir_okay=False),
    ] = None,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Expected incidents per region cell in a month, from incidents dated before it.

    Only incidents located to a district or better count (precision code 3 or less). Prints
    the top cells (cell, centre, governorate, expected incidents); `--out` writes
    month,cell,latitude,longitude,score for every region cell.
    """
    if ctx.invoked_subcommand is not None:
        return
    check_res(res)
    if month is not None:
        parse_month(month)
    if top < 1:
        raise InvalidInput(f"top must be at least 1, got {top}")
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        risk = next_month_risk(conn, month, res)
    if out is not None:
        _write_risk_csv(out, risk)
        err.print(f"{len(risk.cells):,} cells for {risk.month} written to {out}", highlight=False)
    rows = _top_rows(risk, top)
    if json:
        print_json({"month": risk.month, "res": res, "cells": len(risk.cells), "top": rows})
    elif out is None:
        _print_table(risk, rows)


def _write_risk_csv(path: Path, risk: Risk) -> None:
    lat, lon = cell_centres(list(risk.cells))
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["month", "cell", "latitude", "longitude", "score"])
        for cell, la, lo, score in zip(risk.cells, lat, lon, risk.expected, strict=True):
            writer.writerow([risk.month, cell, f"{la:.6f}", f"{lo:.6f}", f"{score:.6g}"])


def _top_rows(risk: Risk, top: int) -> list[dict[str, Any]]:
    """The `top` highest cells, highest first (ties in cell order), with their governorate."""
    from tansiq.geo.locator import AreaLocator  # slow to import: only for commands that place

    order = np.argsort(-risk.expected, kind="stable")[:top]
    cells = [risk.cells[i] for i in order]
    lat, lon = cell_centres(cells)
    located = AreaLocator.from_shipped()
    return [
        {
            "cell": cell,
            "latitude": round(float(la), 6),
            "longitude": round(float(lo), 6),
            "governorate": located.locate(float(la), float(lo)).adm1_en,
            "expected": round(float(risk.expected[i]), 6),
        }
        for cell, la, lo, i in zip(cells, lat, lon, order, strict=True)
    ]


def _print_table(risk: Risk, rows: list[dict[str, Any]]) -> None:
    total = float(risk.expected.sum())
    err.print(
        f"{risk.month}: {total:.1f} incidents expected in {len(risk.cells):,} cells "
        f"at res {risk.res}; the top {len(rows)}:",
        highlight=False,
    )
    table = Table("cell", "latitude", "longitude", "governorate", "expected")
    for row in rows:
        table.add_row(
            row["cell"],
            f"{row['latitude']:.4f}",
            f"{row['longitude']:.4f}",
            row["governorate"] or "",
            f"{row['expected']:.3f}",
        )
    Console().print(table)


@forecast_app.command("backtest")
def backtest_command(
    events: Annotated[
        Path, typer.Option("--events", help="UCDP GED or ACLED CSV export.", dir_okay=False)
    ],
    test_from: Annotated[str, typer.Option("--test-from", help="First test month, YYYY-MM.")],
    test_to: Annotated[str, typer.Option("--test-to", help="Last test month, YYYY-MM.")],
    res: ResOption = 7,
    predictions_out: Annotated[
        Path | None,
        typer.Option(
            "--predictions-out", help="Write month,cell,score to this CSV.", dir_okay=False
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Rolling-origin backtest: each test month forecast from the file's earlier events only.

    Scores the model and four baselines (persistence, mean_12m, mean_36m, kde_decay): hit
    rates and PAI in the top 1% and 5% of the region's cells, and a Poisson log score.
    """
    first, last = parse_month(test_from), parse_month(test_to)
    check_res(res)
    if first > last:
        raise InvalidInput(f"test-from {test_from} is after test-to {test_to}")
    source, arrays = read_event_file(events)
    result = backtest(arrays, first, last, res)
    if predictions_out is not None:
        _write_predictions(predictions_out, month_forecasts(arrays, first, last, res), res)
    summary = _summary(result, source, len(arrays))
    if json:
        print_json(summary)
    else:
        _print_scores(summary)


def _write_predictions(path: Path, months: Iterator[MonthForecasts], res: int) -> None:
    """The model's expected count of every region cell in every test month."""
    cells = region_cells(res)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["month", "cell", "score"])
        for month in months:
            text = month_text(month.month)
            scores = month.expected["model"]
            writer.writerows(
                (text, cell, f"{score:.6g}") for cell, score in zip(cells, scores, strict=True)
            )


def _summary(result: Backtest, source: EventFormat, events_read: int) -> dict[str, Any]:
    return {
        "source": source,
        "max_precision": MAX_PRECISION[source],
        "events_read": events_read,
        "res": result.res,
        "test_from": month_text(result.first),
        "test_to": month_text(result.last),
        "months": result.last - result.first + 1,
        "cells": result.cells,
        "top_1_cells": result.top_1,
        "top_5_cells": result.top_5,
        "test_events": result.test_events,
        "ties": "fractional at the cut-off (expected hit rate of a random tie break)",
        "log_score_reference": "mean monthly count over all history (Poisson)",
        "models": {name: asdict(scores) for name, scores in result.scores.items()},
    }


def _print_scores(summary: dict[str, Any]) -> None:
    err.print(
        f"{summary['test_from']} to {summary['test_to']}: {summary['test_events']:,} test events "
        f"in {summary['cells']:,} cells at res {summary['res']} (top 1% = "
        f"{summary['top_1_cells']} cells, top 5% = {summary['top_5_cells']})",
        highlight=False,
    )
    table = Table("model", "hit_rate_1", "hit_rate_5", "pai_1", "pai_5", "log_score_gain")
    for name, s in summary["models"].items():
        table.add_row(
            name,
            f"{s['hit_rate_1']:.4f}",
            f"{s['hit_rate_5']:.4f}",
            f"{s['pai_1']:.1f}",
            f"{s['pai_5']:.1f}",
            f"{s['log_score_gain']:+.3f}",
        )
    Console().print(table)
