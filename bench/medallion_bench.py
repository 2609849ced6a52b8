"""medallion comparison: the same 4,000 reports served by medallion 3.0.0 and by tansiq.

tansiq: `tansiq serve` on the TAXII benchmark's 4,000-report node (bench/taxii_bench.py, same
fill). medallion 3.0.0, the OASIS reference server, with its memory backend: its JSON data
file holds one collection with exactly the objects tansiq's `intel` collection serves the krg
node (4,000 reports and their releasability marking definition), read from the same database
in `date_added` order, each with a manifest entry carrying tansiq's `date_added`; `medallion`
runs as a subprocess (Flask's server, as its CLI starts it) with max_page_size 1000.

Both are read by the same client loop (bench/taxii_bench.py `page_through`: httpx, `limit`
1000 on every request, following `next`, every envelope decoded), tansiq three times (best
kept), medallion once. medallion builds its first page in quadratic time, so its read is
time-boxed (--budget, 300 s by default); if the budget runs out the rate is over what it
served by then, and the output says so.

    .venv/bin/python -m bench.medallion_bench [--reports N] [--budget S] [--out DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import httpx

from bench.taxii_bench import (
    OUT,
    PAGE,
    Read,
    best,
    docs_head,
    free_port,
    load,
    machine_line,
    page_through,
    prepared,
    read_intel,
    run_facts,
    running,
    serve,
    table,
    update_docs,
    working_copy,
    write_json,
)
from tansiq.sharing.taxii.collections import INTEL
from tansiq.sharing.taxii.filters import taxii_time
from tansiq.sharing.taxii.media import STIX_MEDIA_TYPE, TAXII_MEDIA_TYPE

API_ROOT: Final = "bench"
USER: Final = ("bench", "bench-password")
MEASURED_BEFORE: Final = 66
"""objects/s medallion was measured at on 4,000 objects before this benchmark existed."""


def medallion_data(db: Path, base: str) -> dict[str, Any]:
    """medallion's memory-backend data: one API root, one collection with the node's objects."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT date_added, body FROM stix_objects "
            "WHERE kind = 'object' AND latest AND NOT withdrawn ORDER BY date_added"
        ).fetchall()
    found = [(int(added), json.loads(body)) for added, body in rows]
    manifest = [
        {
            "id": obj["id"],
            "date_added": taxii_time(added),
            "version": obj.get("modified", obj.get("created")),
            "media_type": STIX_MEDIA_TYPE,
        }
        for added, obj in found
    ]
    root = f"{base}/{API_ROOT}/"
    return {
        "/discovery": {
            "title": "medallion (tansiq benchmark)",
            "description": "The reference TAXII server with a copy of a tansiq node's objects.",
            "default": root,
            "api_roots": [root],
        },
        API_ROOT: {
            "information": {
                "title": "Benchmark",
                "description": "One collection: what the krg node reads from joc.",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": 10 * 1024 * 1024,
            },
            "status": [],
            "collections": [
                {
                    "id": INTEL.id,
                    "title": INTEL.title,
                    "description": INTEL.description,
                    "can_read": True,
                    "can_write": False,
                    "media_types": [STIX_MEDIA_TYPE],
                    "objects": [obj for _, obj in found],
                    "manifest": manifest,
                }
            ],
        },
    }


@contextlib.contextmanager
def medallion(db: Path, out: Path) -> Iterator[str]:
    """medallion 3.0.0 serving the node's objects from its memory backend; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data, config = out / "medallion_data.json", out / "medallion_config.json"
    data.write_text(json.dumps(medallion_data(db, base)))
    config.write_text(
        json.dumps(
            {
                "backend": {
                    "module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": str(data),
                    "session_timeout": 3600,
                },
                "users": {USER[0]: USER[1]},
                "taxii": {"max_page_size": PAGE},
            }
        )
    )
    command = str(Path(sys.executable).parent / "medallion")
    args = [command, "--host", "127.0.0.1", "--port", str(port), str(config)]
    headers = {"Accept": TAXII_MEDIA_TYPE}
    with running(args, f"{base}/taxii2/", auth=USER, headers=headers):
        yield base


def read_medallion(base: str, budget: float) -> Read:
    url = f"{base}/{API_ROOT}/collections/{INTEL.id}/objects/"
    headers = {"Accept": TAXII_MEDIA_TYPE}
    with httpx.Client(headers=headers, auth=USER, trust_env=False) as client:
        return page_through(client, url, PAGE, budget=budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reports", type=int, default=4_000)
    parser.add_argument("--budget", type=float, default=300, help="seconds for medallion's read")
    parser.add_argument("--runs", type=int, default=3, help="tansiq reads; best kept")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    node = prepared(args.reports)
    db = working_copy(node, args.out, f"medallion_{args.reports}")
    load_before = load()
    with serve(db) as url:
        reads = [read_intel(url, node.peer_token) for _ in range(args.runs)]
    ours = best(reads)
    print(f"tansiq: {ours.objects:,} objects in {ours.seconds:.2f} s", flush=True)
    print(f"medallion: reading (time-boxed to {args.budget:.0f} s) ...", flush=True)
    with medallion(db, args.out) as base:
        theirs = read_medallion(base, args.budget)
    if theirs.complete and theirs.objects != ours.objects:
        raise AssertionError(f"medallion served {theirs.objects}, tansiq {ours.objects}")
    ratio = ours.rate / theirs.rate if theirs.rate else float("inf")
    report: dict[str, Any] = {
        **run_facts(load_before),
        "reports": args.reports,
        "objects": ours.objects,
        "per_request": PAGE,
        "tansiq_objects_per_s": ours.rate,
        "tansiq_seconds": ours.seconds,
        "tansiq_first_page_s": ours.first_page_seconds,
        "tansiq_runs_objects_per_s": [r.rate for r in reads],
        "medallion_objects_per_s": theirs.rate,
        "medallion_seconds": theirs.seconds,
        "medallion_objects_served": theirs.objects,
        "medallion_pages": theirs.pages,
        "medallion_first_page_s": theirs.first_page_seconds if theirs.pages else None,
        "medallion_complete": theirs.complete,
        "medallion_budget_s": args.budget,
        "ratio": ratio,
    }
    write_json(args.out, "medallion_bench", report)
    boxed = "" if theirs.complete else f" (time-boxed: {theirs.objects:,} served in the budget)"
    print()
    print(f"{ours.objects:,} objects, {PAGE} per request ({machine_line(report['machine'])})")
    print(f"  medallion 3.0.0 (memory)   {theirs.rate:>10,.0f} objects/s{boxed}")
    print(f"    first page               {report['medallion_first_page_s'] or 0:>10.2f} s")
    print(f"  tansiq                     {ours.rate:>10,.0f} objects/s")
    print(f"    first page               {ours.first_page_seconds:>10.3f} s")
    print(
        f"  ratio tansiq / medallion {ratio:,.0f} (measured before: ~{MEASURED_BEFORE} objects/s)"
    )
    if args.reports == 4_000:
        update_docs("medallion", docs_table(report))


def docs_table(r: dict[str, Any]) -> str:
    served = r["medallion_objects_served"]
    boxed = "" if r["medallion_complete"] else f", time-boxed at {r['medallion_budget_s']:.0f} s"
    first = r["medallion_first_page_s"]
    rows = [
        (
            f"medallion 3.0.0, memory backend, {served:,} objects in "
            f"{r['medallion_pages']} pages{boxed}",
            f"{r['medallion_objects_per_s']:,.0f} objects/s ({r['medallion_seconds']:.1f} s)",
            f"first page {first:.1f} s" if first is not None else "no page in the budget",
        ),
        (
            f"tansiq, {r['objects']:,} objects, best of {len(r['tansiq_runs_objects_per_s'])}",
            f"{r['tansiq_objects_per_s']:,.0f} objects/s ({r['tansiq_seconds']:.2f} s)",
            f"first page {r['tansiq_first_page_s'] * 1000:.0f} ms",
        ),
        ("**ratio, tansiq / medallion**", f"**{r['ratio']:,.0f}**", ""),
    ]
    return docs_head(r) + "\n\n" + table(rows).replace("| goal |", "| note |")


if __name__ == "__main__":
    main()
