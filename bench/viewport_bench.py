"""Map viewport benchmark (issue 4): the viewport query with 1,000,000 incidents.

A node holding 1,000,000 synthetic incidents is served by a real `tansiq serve` subprocess on
SQLite. 20 clients (threads, each with its own httpx client and keep-alive) ask
`GET /api/incidents/viewport` for one view at a time, as fast as answers come, on loopback:
Al-Mosul district and Ninewa governorate (each filtered to its area) and the whole of Iraq,
each over 2014-06-10 to 2017-07-20 (loose days at both ends), the whole of Iraq over every
date (the map's first view), and Mosul's streets at zoom 15 in October 2016 (points). Each
view is fitted into a 1280 x 800 map, as the page would.

Reference, same run, same database file, same views: `tansiq.store.viewport.find_viewport`
called in this process by 20 threads at once, each with a read transaction of its own from
one engine, as the server's request threads do. The two take turns, view by view, round by
round, and their latencies are pooled: p50 and p99 of each, and HTTP p99 / in-process p99
(goal <= 3). The whole of Iraq must come as grid counts, in fewer than 5,000 cells.

The incidents (labelled synthetic: source "synthetic", "[synthetic]" headlines) are the
shipped UCDP GED events of Iraq, as the UCDP importer reads them, drawn at random, moved by
about 3 km (normal, sigma 0.03 degrees) and by up to half a year, then placed by the area
locator as the importer places them (real pcodes; points more than 25 km outside Iraq are
replaced by new draws) and written with `upsert_incidents`, 50,000 a batch, in one
transaction, as `tansiq import` does; then folded into the map's grid as the server does
(`fold_all`, timed apart: `fold_seconds`). The database is cached in bench/.cache/ (per size,
schema revision and FILL_VERSION); each run works on a copy, checked to be folded whole, so
that the views measure the grid, not the count of unfolded incidents.

    .venv/bin/python -m bench.viewport_bench [--incidents N] [--clients N] [--rounds N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

import httpx
import numpy as np
import orjson
import shapely

from bench.taxii_bench import (
    CACHE,
    OUT,
    REPO,
    TANSIQ,
    byte_compiled,
    docs_head,
    load,
    machine_line,
    run_facts,
    serve,
    tick,
    update_docs,
    verdict,
    write_json,
)
from tansiq import accounts
from tansiq.domain.areas import AreaLevel
from tansiq.domain.incidents import IncidentDraft, IncidentFilter
from tansiq.domain.reports import Role
from tansiq.domain.viewport import Bbox, ViewportQuery
from tansiq.geo.locator import AreaLocator
from tansiq.geo.reference import area_geometries, iraq_outline
from tansiq.importers.pipeline import Batch, place_batch, read_batches
from tansiq.settings import Settings, sqlite_url
from tansiq.store.database import create_db_engine, reading, writing
from tansiq.store.incident_grid import fold_all, unfolded
from tansiq.store.incidents import upsert_incidents
from tansiq.store.migrate import head_revision
from tansiq.store.viewport import find_viewport

SHIPPED: Final = REPO / "tansiq" / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"
FILL_VERSION: Final = 2
"""Bump when the synthetic incidents change, to rebuild cached databases."""
BATCH: Final = 50_000
SOURCE: Final = "synthetic"
NODE: Final = "joc"
USER: Final = "joc-analyst"
SEED: Final = 20261126
MAX_OUTSIDE_KM: Final = 25.0
MAP_PX: Final = (1280, 800)
GOAL_RATIO: Final = 3.0
MAX_CELLS: Final = 5_000


# --- the synthetic incidents --------------------------------------------------------------------


def templates() -> list[IncidentDraft]:
    """The shipped UCDP events as the importer reads them."""
    return [d for batch in read_batches(SHIPPED, "ucdp", 100_000) for d in batch.drafts]


def synthetic_batch(
    start: int, count: int, models: Sequence[IncidentDraft], rng: np.random.Generator
) -> Batch:
    """`count` synthetic drafts numbered from `start`: real events, moved a little."""
    picks = rng.integers(0, len(models), count)
    lat_shift, lon_shift = rng.normal(0, 0.03, count), rng.normal(0, 0.03, count)
    day_shift = rng.integers(-182, 183, count)
    batch = Batch(header=["synthetic"])
    for k, pick in enumerate(picks.tolist()):
        model, number = models[pick], start + k
        lat = round(model.latitude + float(lat_shift[k]), 6)
        lon = round(model.longitude + float(lon_shift[k]), 6)
        day = model.date_start + timedelta(days=int(day_shift[k]))
        batch.drafts.append(
            dataclasses.replace(
                model,
                source=SOURCE,
                source_id=str(number),
                line=number,
                latitude=lat,
                longitude=lon,
                date_start=day,
                date_end=day,
                headline=f"[synthetic] {model.headline}",
                source_detail=f"synthetic (bench/viewport_bench.py) from UCDP {model.source_id}",
            )
        )
        batch.raws.append((SOURCE, str(number), model.source_id, str(lat), str(lon), str(day)))
    return batch


def synthetic_rows(total: int) -> Iterator[list[tuple[object, ...]]]:
    """Batches of placed rows, as `tansiq import` writes them, until `total` are made."""
    models = templates()
    locator = AreaLocator.from_shipped()
    rng = np.random.default_rng(SEED)
    made = 0
    while made < total:
        placed = place_batch(
            synthetic_batch(made, min(BATCH, total - made), models, rng), locator, MAX_OUTSIDE_KM
        )
        made += len(placed.rows)
        yield placed.rows


# --- the prepared database ----------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    path: Path
    incidents: int
    token: str
    fill_seconds: float
    fold_seconds: float


def prepared(total: int) -> Prepared:
    """The cached node with `total` synthetic incidents, built on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    stem = f"viewport_{total}_schema{head_revision()}_v{FILL_VERSION}"
    db, meta = CACHE / f"{stem}.db", CACHE / f"{stem}.json"
    if db.exists() and meta.exists():
        return Prepared(path=db, **json.loads(meta.read_text()))
    for stale in CACHE.glob(f"viewport_{total}_*"):
        stale.unlink()  # an older schema or fill, or a fill cut short
    print(f"filling {db.relative_to(REPO)} with {total:,} synthetic incidents ...", flush=True)
    started = time.perf_counter()
    token, fold_seconds = _fill(db, total)
    found = Prepared(db, total, token, time.perf_counter() - started, fold_seconds)
    print(f"  {total:,} incidents in {found.fill_seconds:.1f} s", flush=True)
    meta.write_text(json.dumps({k: v for k, v in asdict(found).items() if k != "path"}))
    return found


def _fill(db: Path, total: int) -> tuple[str, float]:
    """Write the incidents, then fold them in; returns the user's token and the fold's time."""
    url = sqlite_url(db)
    subprocess.run(
        [*TANSIQ, "init", "--partner", NODE, "--db", url], check=True, capture_output=True
    )
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    with writing(engine) as conn:
        _, token = accounts.create_user(conn, USER, NODE, Role.ANALYST, None, now)
        written = 0
        for rows in synthetic_rows(total):
            upsert_incidents(conn, SOURCE, rows, now)
            written += len(rows)
            if written % 200_000 < BATCH:
                print(f"  {written:,} / {total:,}", flush=True)
    started = time.perf_counter()
    fold_all(engine)
    fold_seconds = time.perf_counter() - started
    print(f"  folded into the grid in {fold_seconds:.1f} s", flush=True)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return token, fold_seconds


def working_copy(source: Prepared, out: Path) -> Path:
    """A copy of the prepared database, so that no run can change the cached one."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / "viewport.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source.path, db)
    return db


# --- the views ----------------------------------------------------------------------------------

DATES: Final = (date(2014, 6, 10), date(2017, 7, 20))


@dataclass(frozen=True)
class View:
    name: str
    query: ViewportQuery

    def params(self) -> dict[str, str]:
        q, f = self.query, self.query.filter
        found = {"bbox": ",".join(map(str, q.bbox.as_list())), "zoom": str(q.zoom)}
        if f.area:
            found["area"] = f.area
        if f.date_from:
            found["from"] = f.date_from.isoformat()
        if f.date_to:
            found["to"] = f.date_to.isoformat()
        return found


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fitted_zoom(box: Bbox, width: int = MAP_PX[0], height: int = MAP_PX[1]) -> int:
    """The deepest zoom at which a `width` x `height` px Web Mercator map shows the whole box."""
    for zoom in range(22, -1, -1):
        world = 256 * 2**zoom
        wide = world * (box.east - box.west) / 360
        tall = world * (_mercator_y(box.north) - _mercator_y(box.south)) / (2 * math.pi)
        if wide <= width and tall <= height:
            return zoom
    return 0


def area_box(level: AreaLevel, pcode: str) -> Bbox:
    pcodes, geometries = area_geometries(level)
    west, south, east, north = shapely.bounds(geometries[pcodes.index(pcode)]).tolist()
    return Bbox(west, south, east, north)


def box_around(lat: float, lon: float, zoom: int) -> Bbox:
    """What a MAP_PX map centred on (lat, lon) shows at `zoom` (Web Mercator)."""
    world = 256 * 2**zoom
    half_width = MAP_PX[0] / 2 * 360 / world
    y = _mercator_y(lat)
    half_height = MAP_PX[1] / 2 * 2 * math.pi / world

    def latitude(mercator_y: float) -> float:
        return math.degrees(2 * math.atan(math.exp(mercator_y)) - math.pi / 2)

    return Bbox(
        lon - half_width, latitude(y - half_height), lon + half_width, latitude(y + half_height)
    )


def views() -> list[View]:
    """District, governorate and the whole of Iraq, as the map fits them; and a street-level
    view of Mosul, where the map shows points."""
    iraq = Bbox(*shapely.bounds(iraq_outline()).tolist())
    first, last = DATES
    chosen = [
        ("district: Al-Mosul", area_box(AreaLevel.DISTRICT, "IQG15Q05"), "IQG15Q05", True),
        ("governorate: Ninewa", area_box(AreaLevel.GOVERNORATE, "IQG15"), "IQG15", True),
        ("Iraq", iraq, None, True),
        ("Iraq, every date", iraq, None, False),
    ]
    found = [
        View(
            name,
            ViewportQuery(
                box,
                fitted_zoom(box),
                IncidentFilter(area, first if dated else None, last if dated else None),
            ),
        )
        for name, box, area, dated in chosen
    ]
    street = ViewportQuery(
        box_around(36.335, 43.119, STREET_ZOOM), STREET_ZOOM, IncidentFilter(None, *STREET_DATES)
    )
    return [*found, View("Mosul streets, October 2016", street)]


STREET_ZOOM: Final = 15
STREET_DATES: Final = (date(2016, 10, 1), date(2016, 10, 31))
"""A month: over every date, the synthetic incidents piled on Mosul's centre fill this street
view with 53,000 points, and the answer carries the page limit's 50,000 (about 5 MB)."""


# --- measuring ----------------------------------------------------------------------------------


def concurrently(clients: int, requests: int, ask: Callable[[int], Any]) -> list[float]:
    """Seconds of each of `requests` calls of `ask(client)`, made by `clients` threads at once
    (each makes its share; all start together). A failed call fails the benchmark."""
    latencies: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(number: int) -> None:
        mine = []
        start.wait()
        try:
            for _ in range(requests // clients):
                began = time.perf_counter()
                ask(number)
                mine.append(time.perf_counter() - began)
        except Exception as exc:  # raised again in the main thread
            failures.append(exc)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} of {clients} clients failed") from failures[0]
    return latencies


def percentile(samples: Sequence[float], p: float) -> float:
    return float(np.percentile(np.array(samples), p))


@dataclass
class Samples:
    """Latencies of one view, pooled over the rounds, and what the two sides answered."""

    http: list[float] = dataclasses.field(default_factory=list)
    store: list[float] = dataclasses.field(default_factory=list)
    alone: list[float] = dataclasses.field(default_factory=list)
    alone_http: list[float] = dataclasses.field(default_factory=list)
    answer: dict[str, Any] = dataclasses.field(default_factory=dict)


def measure(
    base: str, db: Path, token: str, chosen: list[View], clients: int, rounds: int, requests: int
) -> dict[str, Samples]:
    """Both sides of every view, in turns, `rounds` times."""
    found = {v.name: Samples() for v in chosen}
    engine = create_db_engine(sqlite_url(db))
    settings = Settings(db=sqlite_url(db))
    headers = {"Authorization": f"Bearer {token}"}
    http = [
        httpx.Client(base_url=base, headers=headers, trust_env=False, timeout=120)
        for _ in range(clients)
    ]
    try:
        for view in chosen:
            found[view.name].answer = _check(view, engine, settings, http[0])
        for number in range(rounds + 1):  # the first round warms caches, pools and connections
            for view in chosen:
                in_process = partial(_in_process, engine, settings, view.query)
                over_http = partial(_over_http, http, view.params())
                taken = (
                    concurrently(clients, requests, in_process),
                    concurrently(clients, requests, over_http),
                    concurrently(1, requests // clients, in_process),
                    concurrently(1, requests // clients, over_http),
                )
                if number > 0:
                    samples = found[view.name]
                    samples.store += taken[0]
                    samples.http += taken[1]
                    samples.alone += taken[2]
                    samples.alone_http += taken[3]
            print(f"  round {number} of {rounds} done" if number else "  warmed up", flush=True)
    finally:
        for client in http:
            client.close()
        engine.dispose()
    return found


def _in_process(engine: Any, settings: Settings, query: ViewportQuery, _client: int = 0) -> Any:
    with reading(engine) as conn:
        return find_viewport(conn, query, settings)


def _over_http(
    clients: Sequence[httpx.Client], params: Mapping[str, str], client: int = 0
) -> dict[str, Any]:
    answer = clients[client].get("/api/incidents/viewport", params=params)
    answer.raise_for_status()
    body: dict[str, Any] = orjson.loads(answer.content)
    return body


def _check(view: View, engine: Any, settings: Settings, client: httpx.Client) -> dict[str, Any]:
    """HTTP answers what the store answers, and the whole of Iraq comes as grid counts in
    fewer than MAX_CELLS cells; returns what the view's answer holds."""
    body = _over_http([client], view.params())
    direct = _in_process(engine, settings, view.query)
    if (body["kind"], body["total"]) != (direct.kind, direct.total):
        raise AssertionError(f"{view.name}: HTTP and the store answer differently")
    if len(body["cells"]) != len(direct.cells) or len(body["points"]) != len(direct.points):
        raise AssertionError(f"{view.name}: HTTP and the store give different cells or points")
    if view.name.startswith("Iraq") and (body["kind"] != "grid" or len(body["cells"]) >= MAX_CELLS):
        raise AssertionError(f"{view.name}: not grid counts in fewer than {MAX_CELLS} cells")
    return {
        "kind": body["kind"],
        "total": body["total"],
        "cells": len(body["cells"]),
        "points": len(body["points"]),
        "level": body["level"],
        "bytes": len(orjson.dumps(body)),
    }


def summary(found: Mapping[str, Samples], chosen: list[View]) -> list[dict[str, Any]]:
    """Per view: the answer, p50 and p99 of each side (ms), and the ratio of the p99s."""
    rows = []
    for view in chosen:
        s = found[view.name]
        ratio = percentile(s.http, 99) / percentile(s.store, 99)
        rows.append(
            {
                "view": view.name,
                "zoom": view.query.zoom,
                "params": view.params(),
                **s.answer,
                "samples": len(s.http),
                "http_p50_ms": percentile(s.http, 50) * 1000,
                "http_p99_ms": percentile(s.http, 99) * 1000,
                "store_p50_ms": percentile(s.store, 50) * 1000,
                "store_p99_ms": percentile(s.store, 99) * 1000,
                "alone_p50_ms": percentile(s.alone, 50) * 1000,
                "alone_http_p50_ms": percentile(s.alone_http, 50) * 1000,
                "ratio_p99": ratio,
                "pass": ratio <= GOAL_RATIO,
            }
        )
    return rows


# --- the benchmark ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="per view, side and round")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    byte_compiled()
    source = prepared(args.incidents)
    db = working_copy(source, args.out)
    engine = create_db_engine(sqlite_url(db))
    left = unfolded(engine)
    engine.dispose()
    if left:
        raise SystemExit(f"{left:,} incidents are not folded into the grid: delete {CACHE}")
    chosen = views()
    load_before = load()
    with serve(db) as base:
        found = measure(base, db, source.token, chosen, args.clients, args.rounds, args.requests)
    rows = summary(found, chosen)
    report: dict[str, Any] = {
        **run_facts(load_before),
        "incidents": args.incidents,
        "clients": args.clients,
        "fill_seconds": source.fill_seconds,
        "fold_seconds": source.fold_seconds,
        "goal_ratio_p99": GOAL_RATIO,
        "views": rows,
        "pass": all(r["pass"] for r in rows),
    }
    write_json(args.out, "viewport_bench", report)
    print_summary(report)
    if args.incidents == 1_000_000 and args.clients == 20:
        update_docs("viewport", docs_table(report))


def print_summary(r: Mapping[str, Any]) -> None:
    print()
    print(
        f"Map viewport, {r['incidents']:,} incidents, {r['clients']} clients "
        f"({machine_line(r['machine'])})"
    )
    for v in r["views"]:
        shown = f"{v['cells']:,} cells" if v["kind"] == "grid" else f"{v['points']:,} points"
        print(f"  {v['view']} (zoom {v['zoom']}): {v['kind']}, {v['total']:,} incidents, {shown}")
        print(
            f"    HTTP p50 {v['http_p50_ms']:7.1f} ms  p99 {v['http_p99_ms']:7.1f} ms   "
            f"in-process p50 {v['store_p50_ms']:7.1f} ms  p99 {v['store_p99_ms']:7.1f} ms   "
            f"(one client: p50 {v['alone_p50_ms']:.1f} ms, "
            f"over HTTP {v['alone_http_p50_ms']:.1f} ms)"
        )
        print(
            f"    ratio of p99s {v['ratio_p99']:.2f}   goal <= {r['goal_ratio_p99']}   "
            f"{verdict(v['pass'])}"
        )


def docs_table(r: Mapping[str, Any]) -> str:
    lines = [
        "| view (zoom) | answer | HTTP p50 / p99 | in-process p50 / p99 | "
        "one client p50: in-process / HTTP | **HTTP p99 / in-process p99** |",
        "|---|---|---|---|---|---|",
    ]
    for v in r["views"]:
        shown = f"{v['cells']:,} cells" if v["kind"] == "grid" else f"{v['points']:,} points"
        lines.append(
            f"| {v['view']} ({v['zoom']}) | {v['kind']}: {v['total']:,} incidents, {shown}, "
            f"{v['bytes'] / 1024:,.0f} KiB | {v['http_p50_ms']:.0f} / {v['http_p99_ms']:.0f} ms | "
            f"{v['store_p50_ms']:.0f} / {v['store_p99_ms']:.0f} ms | "
            f"{v['alone_p50_ms']:.1f} / {v['alone_http_p50_ms']:.1f} ms | "
            f"**{v['ratio_p99']:.2f}** ≤ {r['goal_ratio_p99']:g} {tick(v['pass'])} |"
        )
    samples = r["views"][0]["samples"]
    fill = (
        f"written in {r['fill_seconds'] - r['fold_seconds']:.0f} s and folded into the grid "
        f"in {r['fold_seconds']:.0f} s, cached since"
    )
    return (
        f"{docs_head(r)} {r['incidents']:,} incidents ({fill}), {r['clients']} clients, "
        f"{samples} requests per view and side\n\n" + "\n".join(lines) + "\n"
    )


if __name__ == "__main__":
    main()
