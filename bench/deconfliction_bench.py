"""Deconfliction benchmark (issue 6): one new operation against the registry, one at a time.

A SQLite registry (a real file, filled through tansiq.store.footprints.put_many) holds N
synthetic operations over Nineveh, Kirkuk, Diyala, Salah al-Din and the disputed districts
(raids and checkpoint moves: a point with a radius; patrols and escorts: route corridors;
clearances: polygons 2-60 km across; buffers and margins per type as issue 6 fixes them;
windows over 2026) and T live friendly tracks (points, max(ce, 100 m), five minutes). Then Q
new operations (a fifth of them starting within an hour of the tracks) are deconflicted one at
a time with tansiq.store.footprints.find_conflicts, after 50 others not timed (each way gets
the same warm-up: SQLAlchemy's statement cache, the projected geometries). The registry is timed
twice: a first pass with SQLite's page cache as the warm-up left it (reported, not compared),
then, after its tables are read once into the cache (read_registry), the pass compared with
the references, which hold every footprint in memory. Times are wall and CPU (this thread's:
steady on a busy machine) per query, with what was made before the clock starts frozen out of
the garbage collector (gc.freeze), for all three ways.

References, in the same process on the same footprints, already in memory:
- brute force: tansiq.domain.deconfliction.conflict(new, each) over every registered footprint
  in a Python loop (the rule tests subjects and windows before it measures anything);
- vectorised brute force: numpy over every pair's window, shapely 2's dwithin over every pair's
  geometries (in the metric plane, projected before the clock starts), numpy over subjects.
All three must find the same conflicts (with the same reasons) for every query: asserted.

    .venv/bin/python -m bench.deconfliction_bench [--operations N] [--tracks T] [--queries Q]
        [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from tansiq.domain.areas import AreaLevel
from tansiq.domain.deconfliction import (
    ROUNDING_M,
    ConflictReason,
    Footprint,
    FootprintKind,
    conflict,
)
from tansiq.geo.metric import SCALE_BOUND
from tansiq.geo.reference import area_geometries, areas
from tansiq.settings import sqlite_url
from tansiq.store import footprints as registry
from tansiq.store import migrate
from tansiq.store.database import create_db_engine, reading, writing

REPO = Path(__file__).resolve().parents[1]
GOVERNORATES = ("Ninewa", "Kirkuk", "Diyala", "Salah Al-Din")
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # the tracks' moment
M_PER_DEG = 111_000.0
SUBJECT_POOL = 5_000  # cells the operations may name
WARM_UP = 50  # queries run first by each way, not timed: a node answers many in its life
Result = list[tuple[tuple[str, FootprintKind, str], frozenset[ConflictReason]]]


@dataclass(frozen=True)
class OperationType:
    name: str
    share: float
    buffer_m: float
    margin: timedelta
    hours: tuple[float, float]


TYPES = (  # buffers and margins: tansiq.domain.operations, interfaces of issue 6
    OperationType("raid", 0.25, 1000.0, timedelta(hours=2), (2, 6)),
    OperationType("patrol", 0.35, 500.0, timedelta(hours=1), (2, 8)),
    OperationType("checkpoint-move", 0.15, 1000.0, timedelta(hours=2), (1, 4)),
    OperationType("clearance", 0.10, 2000.0, timedelta(hours=4), (24, 120)),
    OperationType("escort", 0.15, 500.0, timedelta(hours=1), (3, 12)),
)


def territory() -> BaseGeometry:
    """The four governorates and the disputed districts, as one area."""
    wanted = {a.pcode for a in areas() if a.name_en in GOVERNORATES or a.disputed}
    parts = []
    for level in (AreaLevel.GOVERNORATE, AreaLevel.DISTRICT):
        pcodes, geometries = area_geometries(level)
        parts += [g for p, g in zip(pcodes, geometries, strict=True) if p in wanted]
    whole = shapely.union_all(parts)
    shapely.prepare(whole)
    return whole


class Places:
    """Random points inside the territory (rejection sampling, drawn in batches)."""

    def __init__(self, rng: random.Random) -> None:
        self.area = territory()
        self.rng = rng
        self.ready: list[tuple[float, float]] = []

    def point(self) -> tuple[float, float]:
        while not self.ready:
            west, south, east, north = self.area.bounds
            x = np.array([self.rng.uniform(west, east) for _ in range(4096)])
            y = np.array([self.rng.uniform(south, north) for _ in range(4096)])
            inside = shapely.contains_xy(self.area, x, y)
            self.ready = list(zip(x[inside].tolist(), y[inside].tolist(), strict=True))
        return self.ready.pop()


def route(rng: random.Random, lon: float, lat: float, length_km: float) -> LineString:
    """A route of a few legs, about `length_km` long, starting at (lon, lat)."""
    legs = rng.randint(2, 5)
    heading = rng.uniform(0, 2 * np.pi)
    points = [(lon, lat)]
    for _ in range(legs):
        heading += rng.uniform(-0.8, 0.8)
        step = length_km * 1000 / legs / M_PER_DEG
        lon += step * np.cos(heading) / np.cos(np.radians(lat))
        lat += step * np.sin(heading)
        points.append((lon, lat))
    return LineString(points)


def patch(rng: random.Random, lon: float, lat: float, across_km: float) -> Polygon:
    """A rough polygon about `across_km` across, centred on (lon, lat)."""
    corners = rng.randint(4, 9)
    half = across_km * 500 / M_PER_DEG
    angles = [(k + rng.uniform(-0.3, 0.3)) * 2 * np.pi / corners for k in range(corners)]
    ring = [
        (
            lon + half * rng.uniform(0.7, 1.0) * np.cos(a) / np.cos(np.radians(lat)),
            lat + half * rng.uniform(0.7, 1.0) * np.sin(a),
        )
        for a in angles
    ]
    return Polygon(ring)


def operation(rng: random.Random, places: Places, ref: str, start: datetime) -> Footprint:
    """A synthetic operation; its buffer is its extent (radius, half-width) plus its type's."""
    kind = rng.choices(TYPES, weights=[t.share for t in TYPES])[0]
    lon, lat = places.point()
    area: BaseGeometry
    if kind.name in ("raid", "checkpoint-move"):
        area, extent = Point(lon, lat), rng.uniform(100, 1500)
    elif kind.name == "clearance":
        area, extent = patch(rng, lon, lat, rng.choice([2, 5, 10, 20, 40, 60])), 0.0
    else:
        length = rng.uniform(3, 15) if kind.name == "patrol" else rng.uniform(10, 80)
        area, extent = route(rng, lon, lat, length), rng.uniform(100, 500)
    subjects = rng.sample(range(SUBJECT_POOL), rng.choice([0, 0, 0, 0, 1, 2]))
    origin = rng.choice(["", "krg"])
    return Footprint(
        kind=FootprintKind.OPERATION,
        ref=ref,
        owner=origin or "joc",
        area=area,
        buffer_m=extent + kind.buffer_m,
        start=start,
        end=start + timedelta(hours=rng.uniform(*kind.hours)),
        margin=kind.margin,
        subjects=frozenset(f"intrusion-set--{n:08d}-0000-4000-8000-000000000000" for n in subjects),
        contact="duty officer",
        origin=origin,
    )


def track(rng: random.Random, places: Places, ref: str) -> Footprint:
    seen = NOW - timedelta(seconds=rng.uniform(0, 600))
    return Footprint(
        kind=FootprintKind.TRACK,
        ref=ref,
        owner=rng.choice(["joc", "krg"]),
        area=Point(*places.point()),
        buffer_m=max(rng.uniform(5, 300), 100.0),
        start=seen,
        end=seen + timedelta(minutes=5),
        margin=timedelta(0),
    )


def synthetic(n_ops: int, n_tracks: int, n_queries: int) -> tuple[list[Footprint], list[Footprint]]:
    rng = random.Random(2026)
    places = Places(rng)

    def start() -> datetime:
        return YEAR + timedelta(minutes=rng.randrange(365 * 24 * 60))

    registered = [operation(rng, places, f"op-{i}", start()) for i in range(n_ops)]
    registered += [track(rng, places, f"track-{i}") for i in range(n_tracks)]
    queries = []
    for i in range(n_queries + WARM_UP):
        soon = NOW + timedelta(minutes=rng.uniform(-60, 60)) if i % 5 == 0 else start()
        queries.append(operation(rng, places, f"new-{i}", soon))
    return registered, queries


# --- the three ways ----------------------------------------------------------------------------


@dataclass
class Timed:
    """Each query's wall time and this thread's CPU time (the CPU time holds still when a busy
    machine takes the processor away mid-query), and each query's conflicts."""

    wall: list[float]
    cpu: list[float]
    results: list[Result]


def timed_each(queries: list[Footprint], search: Callable[[Footprint], Result]) -> Timed:
    timed = Timed([], [], [])
    for fp in queries:
        wall, cpu = time.perf_counter(), time.thread_time()
        timed.results.append(search(fp))
        timed.cpu.append(time.thread_time() - cpu)
        timed.wall.append(time.perf_counter() - wall)
    return timed


def brute_force(registered: list[Footprint]) -> Callable[[Footprint], Result]:
    def search(fp: Footprint) -> Result:
        found = []
        for other in registered:
            reasons = conflict(fp, other)
            if reasons and other.key != fp.key:
                found.append((other.key, reasons))
        return sorted(found)

    return search


class Arrays:
    """Every registered footprint as arrays: windows (microseconds), metric geometries and
    buffers, and (footprint, subject) pairs."""

    def __init__(self, registered: list[Footprint]) -> None:
        self.keys = [fp.key for fp in registered]
        low, high = zip(*(window_us(fp) for fp in registered), strict=True)
        self.low, self.high = np.array(low, dtype=np.int64), np.array(high, dtype=np.int64)
        self.geometry = np.array([fp.metric_area for fp in registered], dtype=object)
        self.buffer = np.array([fp.buffer_m for fp in registered])
        subject_ids: dict[str, int] = {}
        pairs = [
            (i, subject_ids.setdefault(s, len(subject_ids)))
            for i, fp in enumerate(registered)
            for s in fp.subjects
        ]
        self.subject_ids = subject_ids
        self.pair_fp = np.array([p[0] for p in pairs], dtype=np.int64)
        self.pair_subject = np.array([p[1] for p in pairs], dtype=np.int64)

    def search(self, fp: Footprint) -> Result:
        low, high = window_us(fp)
        in_time = (self.low <= high) & (self.high >= low)
        reach = (fp.buffer_m + self.buffer) * SCALE_BOUND + ROUNDING_M
        near = shapely.dwithin(self.geometry, fp.metric_area, reach)
        space_time = in_time & near
        asked = [self.subject_ids[s] for s in fp.subjects if s in self.subject_ids]
        shared = np.zeros(len(self.keys), dtype=bool)
        shared[self.pair_fp[np.isin(self.pair_subject, asked)]] = True
        found = []
        for i in np.flatnonzero(space_time | shared).tolist():
            reasons = {ConflictReason.SPACE_TIME} if space_time[i] else set()
            reasons |= {ConflictReason.SUBJECT} if shared[i] else set()
            if self.keys[i] != fp.key:
                found.append((self.keys[i], frozenset(reasons)))
        return sorted(found)


def window_us(fp: Footprint) -> tuple[int, int]:
    low, high = fp.window
    far = 1 << 62
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return (
        (low - epoch) // timedelta(microseconds=1) if low is not None else -far,
        (high - epoch) // timedelta(microseconds=1) if high is not None else far,
    )


def read_registry(conn: Any) -> None:
    """Read every page of the registry's tables into SQLite's page cache (a node's is 128 MB:
    the registry stays there once searched), as the references hold every footprint in
    memory before their clocks start."""
    for table, order in (
        ("footprints", "id"),
        ("footprint_cells", "cell, day, footprint_id"),
        ("footprint_subjects", "subject, footprint_id"),
    ):
        conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}").all()


def registry_search(conn: Any) -> Callable[[Footprint], Result]:
    def search(fp: Footprint) -> Result:
        return [(f.key, f.reasons) for f in registry.find_conflicts(conn, fp)]

    return search


# --- report ------------------------------------------------------------------------------------


def summary(times: list[float]) -> dict[str, float]:
    ms = np.array(times) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def run(n_ops: int, n_tracks: int, n_queries: int, workdir: Path) -> dict[str, object]:
    began = time.perf_counter()
    registered, queries = synthetic(n_ops, n_tracks, n_queries)
    made_s = time.perf_counter() - began

    db = workdir / "registry.db"
    engine = create_db_engine(sqlite_url(db))
    migrate.upgrade(engine)
    began = time.perf_counter()
    with writing(engine) as conn:
        registry.put_many(conn, registered)
    load_s = time.perf_counter() - began
    with reading(engine) as conn:
        cells = conn.exec_driver_sql("SELECT count(*) FROM footprint_cells").scalar_one()

    arrays = Arrays(registered)  # also projects every footprint: "already in memory"
    # The 110,000 footprints held for the references would otherwise be walked by every full
    # garbage collection, a pause of tens of milliseconds landing on whichever query is
    # running (a node holds its registry in the database, not in memory): frozen out of the
    # collector, for all three ways alike.
    gc.collect()
    gc.freeze()
    warm, queries = queries[:WARM_UP], queries[WARM_UP:]
    with reading(engine) as conn:
        timed_each(warm, registry_search(conn))
        cold = timed_each(queries, registry_search(conn))
        read_registry(conn)
        ours = timed_each(queries, registry_search(conn))
    timed_each(warm, brute_force(registered))
    brute = timed_each(queries, brute_force(registered))
    timed_each(warm, arrays.search)
    vector = timed_each(queries, arrays.search)
    engine.dispose()
    for fp, a, b, c, d in zip(
        queries, ours.results, brute.results, vector.results, cold.results, strict=True
    ):
        assert a == b == c == d, f"{fp.ref}: registry {len(a)}, brute {len(b)}, vectorised {len(c)}"

    found = [len(r) for r in ours.results]
    return {
        "registered": {"operations": n_ops, "tracks": n_tracks},
        "queries": n_queries,
        "conflicts_per_query": {"mean": round(float(np.mean(found)), 2), "max": max(found)},
        "queries_with_conflicts": sum(1 for n in found if n),
        "synthesis_s": round(made_s, 1),
        "registry_load_s": round(load_s, 1),
        "registry_db_mb": round(db.stat().st_size / 1e6, 1),
        "cell_rows": cells,
        "wall": comparison(ours.wall, brute.wall, vector.wall),
        "cpu": comparison(ours.cpu, brute.cpu, vector.cpu),
        "registry_first_pass_wall": summary(cold.wall),
        "same_conflicts_all_three": True,
    }


def comparison(ours: list[float], brute: list[float], vector: list[float]) -> dict[str, object]:
    mine, theirs, numpy_ = summary(ours), summary(brute), summary(vector)
    return {
        "registry": mine,
        "brute_force_python": theirs,
        "brute_force_vectorised": numpy_,
        "brute_over_registry": {
            "p50": round(theirs["p50_ms"] / mine["p50_ms"], 1),
            "p99": round(theirs["p99_ms"] / mine["p99_ms"], 1),
        },
        "vectorised_over_registry": {
            "p50": round(numpy_["p50_ms"] / mine["p50_ms"], 1),
            "p99": round(numpy_["p99_ms"] / mine["p99_ms"], 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--tracks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10,000 + 1,000, 50 queries")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    if args.quick:
        args.operations, args.tracks, args.queries = 10_000, 1_000, 50
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}",
            "load_average_before": os.getloadavg()[0],
            "deconfliction": run(args.operations, args.tracks, args.queries, Path(workdir)),
            "load_average_after": os.getloadavg()[0],
        }
    print(json.dumps(result, indent=2))
    name = "deconfliction_bench_quick.json" if args.quick else "deconfliction_bench.json"
    (args.out / name).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
