"""Forecast benchmark (issue 5): the backtest of the risk forecast on the shipped UCDP file.

Test months 2014-01 to 2017-12 at res 7, each forecast from earlier events only; the reference
is the best of the four baselines (persistence, mean_12m, mean_36m, kde_decay) in the same
run. The goal: the model misses at least a third fewer events in the top 1% of cells than the
best baseline (hit_rate_1). Also the validation period the model was chosen on (2004-2013)
and the wall time of one forecast and of the whole backtest.

    .venv/bin/python -m bench.forecast_bench [--res 7] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tansiq.analysis.backtest import FORECASTERS, backtest
from tansiq.analysis.events import EventArrays
from tansiq.analysis.forecast import parse_month, predict
from tansiq.event_files import read_event_file

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "tansiq" / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"
PERIODS = {"validation": ("2004-01", "2013-12"), "test": ("2014-01", "2017-12")}
BASELINES = [name for name in FORECASTERS if name != "model"]


def period(events: EventArrays, first: str, last: str, res: int) -> dict[str, Any]:
    """The backtest of one period with the model's misses relative to the best baseline's."""
    started = time.perf_counter()
    result = backtest(events, parse_month(first), parse_month(last), res)
    seconds = time.perf_counter() - started
    scores = {name: asdict(s) for name, s in result.scores.items()}
    best = max(BASELINES, key=lambda name: scores[name]["hit_rate_1"])
    model_miss = 1 - scores["model"]["hit_rate_1"]
    best_miss = 1 - scores[best]["hit_rate_1"]
    return {
        "test_from": first,
        "test_to": last,
        "test_events": result.test_events,
        "seconds": round(seconds, 2),
        "best_baseline": best,
        "miss_ratio_vs_best": round(model_miss / best_miss, 4) if best_miss else None,
        "goal_hit_rate_1": round(1 - best_miss * 2 / 3, 4),
        "models": {k: {m: round(v, 6) for m, v in s.items()} for k, s in scores.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--res", type=int, default=7)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    _, events = read_event_file(SHIPPED)
    predict(events, "2018-01", args.res)  # builds the caches (region, kernel, towns) once
    started = time.perf_counter()
    predict(events, "2018-01", args.res)
    one = time.perf_counter() - started
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}",
        "res": args.res,
        "events": len(events),
        "one_forecast_seconds": round(one, 3),
        **{name: period(events, *months, args.res) for name, months in PERIODS.items()},
    }
    print(json.dumps(report, indent=2))
    (args.out / "forecast.json").write_text(json.dumps(report, indent=2))
    for name in PERIODS:
        p = report[name]
        model, best = p["models"]["model"], p["models"][p["best_baseline"]]
        print(
            f"{name} {p['test_from']}..{p['test_to']}: hit_rate_1 model {model['hit_rate_1']:.4f}"
            f" vs {p['best_baseline']} {best['hit_rate_1']:.4f}; misses ratio "
            f"{p['miss_ratio_vs_best']} (goal <= 0.667, hit_rate_1 >= {p['goal_hit_rate_1']})"
        )


if __name__ == "__main__":
    main()
