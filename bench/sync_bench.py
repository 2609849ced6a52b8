"""Sync benchmark: a krg node pulls 100,000 reports from a joc node with `tansiq sync`.

The source is the TAXII benchmark's node (bench/taxii_bench.py: 100,000 reports by joc,
released to krg, same cached database, same fill) served by a `tansiq serve` subprocess on
SQLite. The receiver is a fresh krg node (`tansiq init --partner krg`, partners joc, jcc and
krg-asayish, the source added with `tansiq peers add` and the krg node's peer token); the
timed command is the whole `tansiq sync joc` process on loopback: start-up, every page
fetched (limit = sync_page_size, 1000), checked, stored and committed with its cursor.

Reference, same run, same served database: the TAXII read of bench/taxii_bench.py (httpx
paging with `next`, limit 1000). Reads and syncs take turns, `--runs` of each (each sync into
a fresh receiver), and the best of each is kept, as bench/taxii_bench.py keeps its best read:
on a shared machine a single run of either can be slowed by a neighbour.

    .venv/bin/python -m bench.sync_bench [--reports N] [--runs N] [--profile] [--out DIR]

With --profile the sync runs under cProfile (bench/out/sync.prof, top functions printed);
profiled figures are slower and are not written to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import pstats
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from bench.taxii_bench import (
    NODE,
    OUT,
    PARTNERS,
    READER,
    TANSIQ,
    Prepared,
    Read,
    best,
    byte_compiled,
    docs_head,
    load,
    machine_line,
    prepared,
    read_intel,
    run_facts,
    serve,
    table,
    tick,
    update_docs,
    verdict,
    working_copy,
    write_json,
)
from tansiq.settings import sqlite_url

GOAL: Final = 0.5


def _tansiq(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANSIQ, *args], check=True, capture_output=True, text=True)


def receiver(out: Path, source_url: str, token: str) -> str:
    """A fresh krg node that knows the joc node as a peer; its database URL."""
    db = out / "sync_receiver.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = sqlite_url(db)
    _tansiq("init", "--partner", READER, "--db", url)
    partners = [("joc", "Joint Operations Command", None), *PARTNERS]
    for code, name, parent in partners:
        if code != READER:
            under = ["--parent", parent] if parent else []
            _tansiq("partners", "add", code, "--name", name, *under, "--db", url)
    _tansiq("peers", "add", NODE, "--url", source_url, "--token", token, "--db", url)
    return url


def timed_sync(db_url: str, profile: Path | None) -> tuple[dict[str, Any], float]:
    """`tansiq sync joc --json` in a child process: its summary and the wall-clock seconds."""
    command = [*TANSIQ, "sync", NODE, "--json", "--db", db_url]
    if profile is not None:
        command[1:3] = ["-m", "cProfile", "-o", str(profile), "-m", "tansiq"]
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    summary: dict[str, Any] = orjson.loads(done.stdout)
    return summary, elapsed


def stored_objects(db_url: str) -> int:
    path = db_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as conn:
        row = conn.execute("SELECT count(*) FROM stix_objects WHERE kind = 'object'").fetchone()
    return int(row[0])


@dataclass(frozen=True)
class Synced:
    summary: dict[str, Any]
    seconds: float
    objects: int
    """Objects the receiver holds afterwards."""

    @property
    def rate(self) -> float:
        return int(self.summary["received"]) / self.seconds


def synced(out: Path, url: str, source: Prepared, profile: Path | None) -> Synced:
    """One timed sync of the whole source into a fresh receiver, checked complete."""
    receiving = receiver(out, url + "/", source.peer_token)
    summary, seconds = timed_sync(receiving, profile)
    held = stored_objects(receiving)
    if summary["received"] != source.objects or held != source.objects:
        raise AssertionError(
            f"the source serves {source.objects} objects; sync received {summary['received']} "
            f"and the receiver holds {held}"
        )
    return Synced(summary, seconds, held)


def print_profile(path: Path, top: int = 30) -> str:
    text = io.StringIO()
    stats = pstats.Stats(str(path), stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="reads and syncs, in turns; best kept")
    parser.add_argument("--profile", action="store_true", help="run the sync under cProfile")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    byte_compiled()
    source = prepared(args.reports)
    db = working_copy(source, args.out, f"sync_source_{args.reports}")
    profile = args.out / "sync.prof" if args.profile else None
    load_before = load()
    reads: list[Read] = []
    syncs: list[Synced] = []
    with serve(db) as url:
        for _ in range(1 if args.profile else args.runs):
            reads.append(read_intel(url, source.peer_token))
            print(f"TAXII read: {reads[-1].objects:,} objects in {reads[-1].seconds:.1f} s")
            syncs.append(synced(args.out, url, source, profile))
            print(f"tansiq sync: {syncs[-1].objects:,} objects in {syncs[-1].seconds:.1f} s")
    read, sync = best(reads), max(syncs, key=lambda s: s.rate)
    summary, seconds, held = sync.summary, sync.seconds, sync.objects
    rate = sync.rate
    ratio = rate / read.rate
    report: dict[str, Any] = {
        **run_facts(load_before),
        "reports": args.reports,
        "objects": source.objects,
        "profiled": args.profile,
        "taxii_read_objects_per_s": read.rate,
        "taxii_read_runs_objects_per_s": [r.rate for r in reads],
        "sync_runs_objects_per_s": [s.rate for s in syncs],
        "runs": len(syncs),
        "sync_seconds": seconds,
        "sync_objects_per_s": rate,
        "sync_summary": {k: v for k, v in summary.items() if k != "rejections"},
        "receiver_objects": held,
        "ratio": ratio,
        "goal_ratio": GOAL,
        "pass_ratio": ratio >= GOAL,
    }
    write_json(args.out, "sync_bench", report)
    print()
    print(f"Sync of {source.objects:,} objects ({machine_line(report['machine'])})")
    print(f"  TAXII read (reference)     {read.rate:>10,.0f} objects/s")
    print(f"  tansiq sync                {rate:>10,.0f} objects/s ({seconds:.1f} s)")
    print(f"  ratio {ratio:.2f}   goal >= {GOAL}   {verdict(ratio >= GOAL)}")
    if profile is not None:
        print(print_profile(profile))
        print(f"profile in {profile}; figures not written to docs (profiled run)")
    elif args.reports == 100_000:
        update_docs("sync", docs_table(report))


def docs_table(r: dict[str, Any]) -> str:
    summary = r["sync_summary"]
    rows = [
        (
            f"TAXII read of the source, {r['objects']:,} objects (reference, best of {r['runs']})",
            f"{r['taxii_read_objects_per_s']:,.0f} objects/s",
            "",
        ),
        (
            f"`tansiq sync`, {summary['received']:,} received, {summary['created']:,} created, "
            f"{summary['pages']} pages (best of {r['runs']})",
            f"{r['sync_objects_per_s']:,.0f} objects/s ({r['sync_seconds']:.1f} s)",
            "",
        ),
        (
            "each run, in turns: TAXII read / sync",
            " · ".join(
                f"{a:,.0f} / {b:,.0f}"
                for a, b in zip(
                    r["taxii_read_runs_objects_per_s"], r["sync_runs_objects_per_s"], strict=True
                )
            ),
            "",
        ),
        (
            "**ratio, sync / TAXII read**",
            f"**{r['ratio']:.2f}**",
            f"≥ {r['goal_ratio']} {tick(r['pass_ratio'])}",
        ),
    ]
    return docs_head(r) + "\n\n" + table(rows)


if __name__ == "__main__":
    main()
