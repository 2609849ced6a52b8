"""Import benchmark (issue 2): 1,000,000 synthetic UCDP events through `tansiq import ucdp`.

Reference, measured in the same run on the same file: Python's csv module reading it and
sqlite3 `executemany` of the same rows into a plain table (every column TEXT, no index, no
validation, no area lookup), streamed in the same batch size, on SQLite with the same pragmas.
Also times the area lookup of 1,000,000 points alone.

    .venv/bin/python -m bench.import_bench [--rows N] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import shapely

from bench.taxii_bench import byte_compiled
from tansiq.geo.locator import AreaLocator
from tansiq.geo.reference import iraq_outline

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "tansiq" / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"
TANSIQ = [sys.executable, "-m", "tansiq"]
BATCH = 20_000


def synthetic_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n points uniformly inside Iraq's outline (rejection sampling in its bounding box)."""
    outline = iraq_outline()
    shapely.prepare(outline)
    minx, miny, maxx, maxy = outline.bounds
    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    have = 0
    while have < n:
        lon = rng.uniform(minx, maxx, n)
        lat = rng.uniform(miny, maxy, n)
        inside = shapely.contains_xy(outline, lon, lat)
        lats.append(lat[inside])
        lons.append(lon[inside])
        have += int(inside.sum())
    return np.concatenate(lats)[:n], np.concatenate(lons)[:n]


def write_synthetic(path: Path, n: int, seed: int = 20261125) -> None:
    """A UCDP-format file: shipped rows' text recycled, new ids, dates and points."""
    with SHIPPED.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        hxl = next(reader)
        templates = list(reader)
    col = {name: i for i, name in enumerate(header)}
    rng = np.random.default_rng(seed)
    lats, lons = synthetic_points(n, rng)
    picks = rng.integers(0, len(templates), n)
    days = rng.integers(0, 29 * 365, n)
    base = np.datetime64("1989-01-01")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerow(hxl)
        for i in range(n):
            row = list(templates[picks[i]])
            day = str(base + days[i])
            row[col["id"]] = str(10_000_000 + i)
            row[col["date_start"]] = row[col["date_end"]] = day
            row[col["latitude"]] = f"{lats[i]:.6f}"
            row[col["longitude"]] = f"{lons[i]:.6f}"
            writer.writerow(row)


def reference_rate(path: Path, db: Path) -> float:
    """csv.reader + sqlite3.executemany into a plain TEXT table, in batches; rows/s."""
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    rows = 0
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        next(reader)  # the HXL row
        columns = ", ".join(f'"{c}" TEXT' for c in header)
        conn.execute(f"CREATE TABLE events ({columns})")
        insert = f"INSERT INTO events VALUES ({', '.join('?' * len(header))})"
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) == BATCH:
                conn.executemany(insert, batch)
                rows += len(batch)
                batch = []
        conn.executemany(insert, batch)
        rows += len(batch)
    conn.commit()
    conn.close()
    return rows / (time.perf_counter() - started)


def tansiq_import(path: Path, db: Path) -> dict[str, float]:
    """`tansiq init` then a timed `tansiq import ucdp` in a child process; rate and peak RSS."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "TANSIQ_DB": f"sqlite:///{db}"}
    subprocess.run([*TANSIQ, "init"], env=env, check=True, capture_output=True)
    result: dict[str, float] = {}
    for run in ("first", "again"):
        started = time.perf_counter()
        done = subprocess.run(
            [*TANSIQ, "import", "ucdp", str(path), "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        summary = json.loads(done.stdout)
        result[f"{run}_rows_per_s"] = summary["read"] / elapsed
        result[f"{run}_seconds"] = elapsed
        result[f"{run}_summary"] = summary
    # ru_maxrss of children is the largest of the finished children, in KiB on Linux.
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def lookup_seconds(n: int) -> float:
    """Seconds for AreaLocator.locate_many on n points inside Iraq (locator already built)."""
    lats, lons = synthetic_points(n, np.random.default_rng(7))
    locator = AreaLocator.from_shipped()
    started = time.perf_counter()
    locator.locate_many(lats, lons)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    byte_compiled()
    data = args.out / f"ucdp_synthetic_{args.rows}.csv"
    if not data.exists():
        print(f"writing {args.rows:,} synthetic events to {data} ...", flush=True)
        write_synthetic(data, args.rows)
    reference = reference_rate(data, args.out / "reference.db")
    print(f"reference (csv + sqlite3 executemany): {reference:,.0f} rows/s", flush=True)
    ours = tansiq_import(data, args.out / "tansiq.db")
    lookup = lookup_seconds(args.rows)
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "rows": args.rows,
        "reference_rows_per_s": reference,
        **ours,
        "ratio_first_import": ours["first_rows_per_s"] / reference,
        "ratio_reimport": ours["again_rows_per_s"] / reference,
        "area_lookup_seconds": lookup,
        "area_lookup_points_per_s": args.rows / lookup,
    }
    print(json.dumps(report, indent=2))
    (args.out / "import_bench.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
