"""Cursor-on-Target output benchmark (issue 6, item 7): events per second to a loopback TCP sink.

A demo-like node on SQLite: the shipped UCDP events of Iraq (1989-2017, imported as
`tansiq import` does), the demo's positions plus P synthetic positions released to krg, and a few
cells. The picture krg may see (every incident, since the window is opened to 1989) is built
(DB read + XML, tansiq.cot) and sent over one TCP connection to a sink thread that reads and
counts bytes and events. Reference, in the same run, over the same kind of socket: the same
events' XML made by pytak's own generator (pytak.gen_cot) from values already in memory, then
sent the same way. Also timed: a whole `push_once` (picture, diff against what the destination
holds, send, record), first to a new destination and then again (the steady state of a running
push).

    .venv/bin/python -m bench.cot_bench [--positions P] [--repeats R] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from tansiq import accounts, positions
from tansiq.accounts import Principal
from tansiq.cot.events import CotEvent, to_xml
from tansiq.cot.picture import build_picture
from tansiq.cot.push import push_once
from tansiq.cot.transport import Destination, send
from tansiq.demo_positions import demo_positions
from tansiq.domain.markings import Tlp
from tansiq.domain.positions import PositionDraft, PositionKind
from tansiq.domain.reports import CellDraft, Role
from tansiq.geo.locator import AreaLocator
from tansiq.geo.reference import areas
from tansiq.importing import ImportRequest, import_file
from tansiq.settings import Settings, sqlite_url
from tansiq.sharing import exchange
from tansiq.store import migrate
from tansiq.store.areas import load_areas
from tansiq.store.database import create_db_engine, reading, writing
from tansiq.store.partners import add_partner, set_node_partner

with warnings.catch_warnings():  # pytak warns at import that its optional aiohttp is missing
    warnings.simplefilter("ignore", UserWarning)
    import pytak  # type: ignore[import-untyped,unused-ignore]

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "tansiq" / "data" / "events" / "ucdp_ged_irq_hdx_1989_2017.csv"
NOW = datetime.now(UTC)
SINCE = date(1989, 1, 1)
STALE = timedelta(hours=1)


class Sink:
    """A loopback TCP server: each connection read to its end; (bytes, events) of each."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.done: list[tuple[int, int]] = []
        self._ended = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def destination(self) -> Destination:
        return Destination("tcp", "127.0.0.1", self.sock.getsockname()[1])

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            size = events = 0
            tail = b""
            with conn:
                while data := conn.recv(1 << 20):
                    size += len(data)
                    events += (tail + data).count(b"</event>")
                    tail = data[-7:]
            with self._ended:
                self.done.append((size, events))
                self._ended.notify_all()

    def wait(self, count: int) -> tuple[int, int]:
        with self._ended:
            self._ended.wait_for(lambda: len(self.done) >= count, timeout=120)
        return self.done[count - 1]

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def build_node(path: Path, n_positions: int) -> tuple[Engine, Principal]:
    engine = create_db_engine(sqlite_url(path))
    migrate.upgrade(engine)
    locator = AreaLocator.from_shipped()
    with writing(engine) as conn:
        load_areas(conn, areas())
        for code, name in (("joc", "Joint Operations Command"), ("krg", "KRG")):
            add_partner(conn, code, name, None, NOW)
        set_node_partner(conn, "joc")
        analyst, _ = accounts.create_user(conn, "joc-analyst", "joc", Role.ANALYST, None, NOW)
        krg, _ = accounts.create_user(conn, "krg-analyst", "krg", Role.ANALYST, None, NOW)
        writer, reader = accounts.principal(conn, analyst), accounts.principal(conn, krg)
    import_file(
        engine, ImportRequest(SHIPPED, "ucdp"), Settings(db=sqlite_url(path)), locator, lambda: NOW
    )
    drafts = [*demo_positions(None), *synthetic_positions(n_positions)]
    with writing(engine) as conn:
        positions.save(conn, locator, drafts, "bench", NOW)
        for i, pcode in enumerate(("IQG13Q04", "IQG10Q02", "IQG07Q03", "IQG11")):
            release = exchange.Release(Tlp.AMBER, frozenset({"krg"}))
            exchange.create_cell(
                conn, writer, CellDraft(f"Cell {i}", area_pcode=pcode), release, NOW
            )
    return engine, reader


def synthetic_positions(n: int) -> list[PositionDraft]:
    """n joc checkpoints spread over the disputed band, released to krg, active now."""
    rng = np.random.default_rng(6)
    lat, lon = rng.uniform(34.0, 36.8, n), rng.uniform(42.0, 46.0, n)
    return [
        PositionDraft(
            partner="joc",
            kind=PositionKind.CHECKPOINT,
            name=f"Synthetic checkpoint {i:05d}",
            latitude=float(lat[i]),
            longitude=float(lon[i]),
            coverage_radius_m=1500.0,
            active_from=datetime(2024, 1, 1, tzinfo=UTC),
            active_to=None,
            synthetic=True,
            tlp=Tlp.AMBER,
            releasable_to=frozenset({"krg"}),
        )
        for i in range(n)
    ]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def ours(engine: Engine, who: Principal, sink: Sink) -> dict[str, Any]:
    def read() -> list[CotEvent]:
        with reading(engine) as conn:
            return build_picture(conn, who.viewer, now=NOW, since=SINCE, stale_after=STALE).events

    read_s, events = timed(read)
    xml_s, documents = timed(lambda: [to_xml(e) for e in events])
    send_s, (size, counted) = timed(lambda: _sent(sink, documents))
    assert counted == len(events), (counted, len(events))
    return {
        "events": len(events),
        "bytes": size,
        "read_s": read_s,
        "xml_s": xml_s,
        "send_s": send_s,
    }


def reference(events: Sequence[CotEvent], sink: Sink) -> dict[str, Any]:
    def generate() -> list[bytes]:
        return [
            pytak.gen_cot(
                lat=e.lat,
                lon=e.lon,
                ce=e.ce,
                hae=e.hae,
                le=e.le,
                uid=e.uid,
                stale=int(STALE.total_seconds()),
                cot_type=e.cot_type,
                callsign=e.callsign,
            )
            for e in events
        ]

    xml_s, documents = timed(generate)
    send_s, (size, counted) = timed(lambda: _sent(sink, documents))
    assert counted == len(events), (counted, len(events))
    return {"events": len(events), "bytes": size, "xml_s": xml_s, "send_s": send_s}


def _sent(sink: Sink, documents: Sequence[bytes]) -> tuple[int, int]:
    before = len(sink.done)
    send(sink.destination, documents)
    return sink.wait(before + 1)


def whole_pushes(engine: Engine, who: Principal, sink: Sink) -> dict[str, float]:
    first_s, pushed = timed(
        lambda: push_once(engine, who, sink.destination, now=NOW, since=SINCE, stale_after=STALE)
    )
    sink.wait(len(sink.done))
    again_s, _ = timed(
        lambda: push_once(engine, who, sink.destination, now=NOW, since=SINCE, stale_after=STALE)
    )
    return {
        "events": pushed.events,
        "first_push_s": first_s,
        "steady_push_s": again_s,
        "steady_events_per_s": pushed.events / again_s,
    }


def median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        setup_s, (engine, who) = timed(lambda: build_node(Path(tmp) / "node.db", args.positions))
        sink = Sink()
        try:
            with reading(engine) as conn:
                events = build_picture(
                    conn, who.viewer, now=NOW, since=SINCE, stale_after=STALE
                ).events
            ours_runs = [ours(engine, who, sink) for _ in range(args.repeats)]
            ref_runs = [reference(events, sink) for _ in range(args.repeats)]
            pushes = whole_pushes(engine, who, Sink())
        finally:
            sink.close()
            engine.dispose()
    n = len(events)
    ours_total = (
        median(ours_runs, "read_s") + median(ours_runs, "xml_s") + median(ours_runs, "send_s")
    )
    ref_total = median(ref_runs, "xml_s") + median(ref_runs, "send_s")
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_before": load_before,
        "node_setup_s": round(setup_s, 1),
        "events": n,
        "kinds": _kinds(events),
        "bytes_per_push": ours_runs[0]["bytes"],
        "ours_median_s": {k: round(median(ours_runs, k), 4) for k in ("read_s", "xml_s", "send_s")},
        "ours_events_per_s": round(n / ours_total),
        "ours_xml_events_per_s": round(n / median(ours_runs, "xml_s")),
        "pytak_median_s": {k: round(median(ref_runs, k), 4) for k in ("xml_s", "send_s")},
        "pytak_events_per_s": round(n / ref_total),
        "pytak_xml_events_per_s": round(n / median(ref_runs, "xml_s")),
        "speed_end_to_end_ours_over_pytak": round(ref_total / ours_total, 2),
        "speed_xml_ours_over_pytak": round(
            median(ref_runs, "xml_s") / median(ours_runs, "xml_s"), 2
        ),
        "push_once": {k: round(v, 3) if isinstance(v, float) else v for k, v in pushes.items()},
        "repeats": args.repeats,
        "load_average_after": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))
    (args.out / "cot_bench.json").write_text(json.dumps(result, indent=2))


def _kinds(events: Sequence[CotEvent]) -> dict[str, int]:
    found: dict[str, int] = {}
    for event in events:
        kind = event.uid.split("-")[1]
        found[kind] = found.get(kind, 0) + 1
    return found


if __name__ == "__main__":
    main()
