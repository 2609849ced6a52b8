"""Placement benchmark (issue 5, item 5): 2,000 candidate sites, 20,000 demand cells, N = 50.

Synthetic but shaped like the real problem: 20,000 H3 res-8 cells drawn across the analysis
region (Ninewa, Kirkuk, Diyala, Salah al-Din), weighted by a seeded heavy-tailed risk (hot
spots of Pareto strength with log-normal noise, most cells zero, as next month's forecast is),
and 2,000 of those cells' centres as candidate sites; radius 10 km.

Measured in one run:

- the reference: building the coverage lists (`placement.coverage_lists`, KD-tree and exact
  great-circle check, both orientations);
- greedy (`placement.greedy`): goal <= 1 % of the reference;
- exact (`placement.exact`, HiGHS warm-started from greedy): time and proof status;
- spopt 0.7's MaximalCoverageLocationProblem (`MCLP.from_cost_matrix` on the dense distance
  matrix, solved by PuLP's HiGHS with no gap allowed), model build and solve timed apart, in a
  child process with a wall-clock cap (its build is a Python loop over every matrix entry), on
  the benchmark instance and on a comparison instance (2,000 cells, 200 sites) where it
  finishes, checking both reach the same objective; when it is stopped while building, the
  build time is estimated from the comparison's time per matrix entry.

    .venv/bin/python -m bench.placement_bench [--spopt-cap S] [--time-limit S] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from tansiq.analysis import placement as pl
from tansiq.analysis.region import cell_centres, region_cells

T = TypeVar("T")

RADIUS_KM = 10.0
K = 50
SEED = 20261126
SAME = 1e-9
"""Relative difference under which two objectives are the same (both solvers asked for no gap)."""
SPOPT_MEMORY_BYTES = 12 * 2**30  # the child may not take the shared machine's memory


def instance(
    n_demand: int, n_candidates: int, seed: int = SEED
) -> tuple[pl.Candidates, pl.Demand, np.ndarray]:
    """n_demand res-8 cells drawn across the analysis region with a hot-spot risk, n_candidates
    of their centres as sites, and which cells those are."""
    rng = np.random.default_rng(seed)
    cells = region_cells(8)
    drawn = np.sort(rng.choice(len(cells), n_demand, replace=False))
    lat, lon = cell_centres([cells[i] for i in drawn])
    weight = _hot_spot_risk(lat, lon, rng)
    sites = np.sort(rng.choice(n_demand, n_candidates, replace=False))
    labels = tuple(f"c{i}" for i in sites)
    candidates = pl.Candidates(lat[sites], lon[sites], labels, (False,) * n_candidates)
    return candidates, pl.Demand(lat, lon, weight), sites


def _hot_spot_risk(lat: np.ndarray, lon: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """40 hot spots (Pareto strength, 2-15 km wide) times log-normal noise; the lowest 75 %
    set to zero, as most cells see no incident in three years."""
    risk = np.zeros(len(lat))
    for centre in rng.choice(len(lat), 40, replace=False):
        km = pl.great_circle_km(lat, lon, lat[centre : centre + 1], lon[centre : centre + 1])
        risk += (1 + rng.pareto(1.2)) * np.exp(-((km / rng.uniform(2, 15)) ** 2))
    risk *= rng.lognormal(0.0, 1.0, len(lat))
    risk[risk < np.quantile(risk, 0.75)] = 0.0
    scaled: np.ndarray = risk / risk.sum() * 300.0  # 300 expected incidents in the month
    return scaled


def timed(run: Callable[[], T], repeats: int) -> tuple[list[float], T]:
    """Wall times of `repeats` runs, and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return times, result


def ours(
    candidates: pl.Candidates, demand: pl.Demand, k: int, time_limit: float, repeats: int
) -> dict[str, Any]:
    """tansiq's coverage lists, greedy and exact on one instance."""
    build_times, coverage = timed(lambda: pl.coverage_lists(candidates, demand, RADIUS_KM), repeats)
    none = np.zeros(len(demand.weight), dtype=np.bool_)
    greedy_times, chosen = timed(lambda: pl.greedy(coverage, demand.weight, k, none), repeats * 4)
    found = pl.exact(coverage, demand.weight, k, none, time_limit, chosen.sites)
    build, greedy = min(build_times), min(greedy_times)
    return {
        "pairs": int(coverage.by_site.nnz),
        "coverage_lists_s": {"best": build, "median": statistics.median(build_times)},
        "greedy_s": {"best": greedy, "median": statistics.median(greedy_times)},
        "greedy_over_coverage": {
            "best": greedy / build,
            "median": statistics.median(greedy_times) / statistics.median(build_times),
        },
        "greedy_objective": chosen.covered,
        "exact": {
            "seconds": found.seconds,
            "proven_optimal": found.proven,
            "gap": found.gap if np.isfinite(found.gap) else None,
            "status": found.status,
            "objective": found.added,
        },
    }


def _spopt_child(
    lat: np.ndarray,
    lon: np.ndarray,
    site: np.ndarray,
    weight: np.ndarray,
    k: int,
    cap: float,
    pipe: Connection,
) -> None:
    """Build and solve spopt's MCLP, reporting each stage's time through `pipe`."""
    resource.setrlimit(resource.RLIMIT_AS, (SPOPT_MEMORY_BYTES, SPOPT_MEMORY_BYTES))
    import pulp
    from spopt.locate import MCLP

    start = time.perf_counter()
    cost = pl.great_circle_km(lat[:, None], lon[:, None], lat[site][None, :], lon[site][None, :])
    pipe.send(("cost_matrix_s", time.perf_counter() - start))
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weight, RADIUS_KM, k)
    pipe.send(("build_s", time.perf_counter() - start))
    start = time.perf_counter()
    model.solve(pulp.HiGHS(msg=False, timeLimit=cap, gapRel=0.0), results=False)
    pipe.send(("solve_s", time.perf_counter() - start))
    pipe.send(("status", pulp.LpStatus[model.problem.status]))
    pipe.send(("objective", float(pulp.value(model.problem.objective))))


def spopt(demand: pl.Demand, site: np.ndarray, k: int, cap: float) -> dict[str, Any]:
    """spopt's MCLP on the same instance (sites: demand cells `site`) in a child process
    stopped after `cap` seconds."""
    # Spawned, not forked: a fork inherits HiGHS's worker threads as dead copies, and the
    # child's HiGHS then waits for them forever.
    context = mp.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_spopt_child,
        args=(demand.latitude, demand.longitude, site, demand.weight, k, cap, send),
        daemon=True,
    )
    start = time.perf_counter()
    child.start()
    found: dict[str, Any] = {"cap_s": cap}
    while time.perf_counter() - start < cap and (child.is_alive() or receive.poll()):
        if receive.poll(0.5):
            key, value = receive.recv()
            found[key] = value
    if child.is_alive():
        child.kill()
        found["stopped"] = f"still running after {cap:g} s"
    child.join()
    found["elapsed_s"] = time.perf_counter() - start
    if "objective" not in found and child.exitcode not in (0, None) and "stopped" not in found:
        found["failed"] = f"exit code {child.exitcode}"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spopt-cap", type=float, default=600.0)
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_before": os.getloadavg(),
        "radius_km": RADIUS_KM,
        "k": K,
    }
    rate = None
    for name, sizes in (("comparison", (2_000, 200)), ("benchmark", (20_000, 2_000))):
        candidates, demand, sites = instance(*sizes)
        part: dict[str, Any] = {"demand": sizes[0], "candidates": sizes[1]}
        part["tansiq"] = ours(candidates, demand, K, args.time_limit, args.repeats)
        part["spopt"] = found = spopt(demand, sites, K, args.spopt_cap)
        entries = sizes[0] * sizes[1]
        if "build_s" in found:
            rate = found["build_s"] / entries
            found["build_us_per_matrix_entry"] = rate * 1e6
        elif rate is not None:
            found["build_estimate_s"] = rate * entries  # at the comparison's rate per entry
        if "objective" in found:
            mine = part["tansiq"]["exact"]["objective"]
            part["objective_difference"] = found["objective"] - mine
            part["same_objective"] = abs(found["objective"] - mine) <= SAME * max(1.0, mine)
        report[name] = part
        print(json.dumps({name: part}, indent=2), flush=True)
    report["load_after"] = os.getloadavg()
    args.out.mkdir(exist_ok=True)
    (args.out / "placement.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
