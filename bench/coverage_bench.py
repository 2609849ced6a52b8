"""Coverage benchmark (issue 5, item 4): exact coverage counts and the vacuum report.

Counting: which of P points lie within the radius of some of S positions (S positions spread
over the disputed band, radii 1.5-9 km). Ours is tansiq.analysis.coverage.covered (a KD-tree on
unit vectors for candidates, then exact WGS84 geodesic distances); the reference, run in the
same process on the same data, is a brute-force numpy haversine over every (point, position)
pair in chunks; `points_differing_from_haversine` counts the points where the sphere and the
ellipsoid disagree (all within 0.6 % of a radius of an edge).
Also times `vacuum` on the demo's positions, the real disputed districts and the shipped
incidents' forecast at H3 resolution 7.

    .venv/bin/python -m bench.coverage_bench [--sites S] [--points P] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely

from tansiq.analysis.coverage import Site, active_at, covered, disputed_units, vacuum
from tansiq.analysis.events import EventArrays, day_number
from tansiq.analysis.forecast import predict
from tansiq.demo_positions import demo_positions

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "tansiq" / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"
EARTH_R_M = 6_371_008.8
CHUNK = 2_000_000  # pairs per brute-force step (memory bound)


def random_points(
    n: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """n points uniformly inside the disputed districts (rejection sampling)."""
    territory = shapely.union_all([u.geometry for u in disputed_units()])
    shapely.prepare(territory)
    west, south, east, north = territory.bounds
    lat: list[npt.NDArray[np.float64]] = []
    lon: list[npt.NDArray[np.float64]] = []
    while sum(len(x) for x in lat) < n:
        x, y = rng.uniform(west, east, n), rng.uniform(south, north, n)
        inside = shapely.contains_xy(territory, x, y)
        lon.append(x[inside])
        lat.append(y[inside])
    return np.concatenate(lat)[:n], np.concatenate(lon)[:n]


def brute_force(
    sites: list[Site], lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Haversine over every pair, in chunks of points."""
    slat = np.radians([s.latitude for s in sites])
    slon = np.radians([s.longitude for s in sites])
    radius = np.array([s.radius_m for s in sites])
    plat, plon = np.radians(lat), np.radians(lon)
    found = np.zeros(len(lat), dtype=bool)
    step = max(1, CHUNK // max(1, len(sites)))
    for start in range(0, len(lat), step):
        a, b = plat[start : start + step, None], plon[start : start + step, None]
        h = np.sin((slat - a) / 2) ** 2 + np.cos(a) * np.cos(slat) * np.sin((slon - b) / 2) ** 2
        distance = 2 * EARTH_R_M * np.arcsin(np.sqrt(h))
        found[start : start + step] = (distance <= radius).any(axis=1)
    return found


def timed(fn: object, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start, result


def counting(n_sites: int, n_points: int) -> dict[str, object]:
    rng = np.random.default_rng(20261126)
    slat, slon = random_points(n_sites, rng)
    radii = rng.uniform(1_500, 9_000, n_sites)
    sites = [
        Site("p", float(a), float(b), float(r)) for a, b, r in zip(slat, slon, radii, strict=True)
    ]
    lat, lon = random_points(n_points, rng)
    ours_s, ours = timed(covered, sites, lat, lon)
    ref_s, ref = timed(brute_force, sites, lat, lon)
    differ = int((np.asarray(ours) != np.asarray(ref)).sum())
    return {
        "sites": n_sites,
        "points": n_points,
        "covered": int(np.asarray(ours).sum()),
        "points_differing_from_haversine": differ,
        "ours_s": round(ours_s, 3),
        "brute_force_haversine_s": round(ref_s, 3),
        "ratio_ours_over_reference": round(ours_s / ref_s, 4),
    }


def shipped_events() -> EventArrays:
    """The shipped UCDP events located better than a district (as tansiq.risk keeps them)."""
    lat, lon, day = [], [], []
    with SHIPPED.open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row["id"] and row["where_prec"].isdigit() and int(row["where_prec"]) <= 3:
                lat.append(float(row["latitude"]))
                lon.append(float(row["longitude"]))
                day.append(day_number(date.fromisoformat(row["date_start"][:10])))
    zeros = np.zeros(len(day), np.int32)
    return EventArrays(np.array(lat), np.array(lon), np.array(day, np.int32), zeros)


def report_time() -> dict[str, object]:
    drafts = demo_positions("jcc")
    sites = active_at(
        [
            Site(
                d.partner, d.latitude, d.longitude, d.coverage_radius_m, d.active_from, d.active_to
            )
            for d in drafts
        ],
        datetime(2024, 7, 1, tzinfo=UTC),
    )
    events = shipped_events()
    start = time.perf_counter()
    risk = predict(events, "2018-01", 7)
    forecast_s = time.perf_counter() - start
    units = disputed_units()
    vacuum(sites, units, events, risk)  # warm: the projection and the region's cells
    vacuum_s, _ = timed(vacuum, sites, units, events, risk)
    return {
        "positions": len(sites),
        "forecast_res7_s": round(forecast_s, 3),
        "vacuum_s": round(vacuum_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_before": os.getloadavg()[0],
        "counting": [counting(sites, args.points) for sites in (args.sites // 10, args.sites)],
        "report": report_time(),
        "load_average_after": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))
    (args.out / "coverage_bench.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
