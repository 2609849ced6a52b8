"""TAXII read benchmark: page through 100,000 reports over HTTP from a real `tansiq serve`.

A `tansiq serve` subprocess on SQLite serves the `intel` collection of a joc node holding
100,000 reports released (TLP GREEN) to krg; the krg node's sync account (role peer) pages
through it on loopback with httpx, `limit` 1000 (the server's largest page) and `next`,
decoding every page. Also times the first page (limit 1000) on a node with 100,000 reports
and on one with 1,000: the median of several requests each.

Reference, same run, same database file: the bodies read straight from the store with
sqlite3 (`stix_objects` in `date_added` order, keyset pages of 1000 on the same index),
each parsed with orjson and each page serialised with orjson as an envelope.

How the databases are filled (`prepared`, shared with the sync and medallion benchmarks):
`tansiq init --partner joc`, partners krg, krg-asayish and jcc, a joc analyst and the krg
node's peer account. The first report goes through `exchange.create_report` (which also
stores the releasability marking definition and writes its audit entry). Filling 100,000
that way took 207 s here (483 reports/s), over the 3 minutes allowed, so the others are
built with the production builders (`stix.report_objects` for the bodies,
`exchange._new_version` for what the store indexes, `objects._values` for the row,
`objects.clock` for `date_added`) and bulk-inserted into `stix_objects` and
`object_audience` as `objects.put` inserts a new object, 5,000 per transaction; they get no
audit entries. Before filling, the bulk path rebuilds report 0 and compares it with what
`create_report` stored (every column and the audience), so the two cannot drift apart
unnoticed. Databases are cached in bench/.cache/ (per size, schema revision and FILL_VERSION)
and each run works on a copy, so reruns skip the fill and start from the same state.

    .venv/bin/python -m bench.taxii_bench [--reports N] [--small N] [--out DIR]
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx
import orjson
import sqlalchemy as sa

from tansiq import accounts
from tansiq.domain.grading import Grade
from tansiq.domain.markings import Marking, Tlp
from tansiq.domain.reports import ReportDraft, Role
from tansiq.settings import sqlite_url
from tansiq.sharing import exchange, stix
from tansiq.sharing.taxii.collections import INTEL
from tansiq.sharing.taxii.media import TAXII_MEDIA_TYPE
from tansiq.store import objects
from tansiq.store.database import create_db_engine, writing
from tansiq.store.migrate import head_revision
from tansiq.store.partners import add_partner
from tansiq.store.schema import object_audience, stix_objects

REPO: Final = Path(__file__).resolve().parents[1]
CACHE: Final = REPO / "bench" / ".cache"
OUT: Final = REPO / "bench" / "out"
DOCS: Final = REPO / "docs" / "benchmarks.md"
TANSIQ: Final = [sys.executable, "-m", "tansiq"]
ROOT: Final = "/taxii2/exchange/"
PAGE: Final = 1000
"""The server's largest page (Settings.taxii_max_limit)."""
BATCH: Final = 5000
FILL_VERSION: Final = 3
"""Bump when the reports or the database layout change, to rebuild cached databases
(3: 16 KiB SQLite pages)."""

NODE: Final = "joc"
READER: Final = "krg"
PARTNERS: Final = (
    ("krg", "Kurdistan Region Security Council", None),
    ("krg-asayish", "Asayish", "krg"),
    ("jcc", "Joint Coordination Centre", None),
)
ANALYST: Final = "joc-analyst"
PEER: Final = "krg-node"
RELEASE: Final = exchange.Release(Tlp.GREEN, frozenset({READER}))

_TITLES: Final = (
    "IED found near the checkpoint on the Kirkuk-Erbil road",
    "عبوة ناسفة قرب نقطة تفتيش على طريق كركوك - أربيل",
    "تەقەمەنی لە نزیک خاڵی پشکنین لە ڕێگای کەرکووک - هەولێر",
    "Movement of a small armed group south of Makhmour at night",
    "تحركات مجموعة مسلحة صغيرة جنوب مخمور ليلا",
)
_SENTENCES: Final = (
    "A patrol reported two vehicles without plates parked off the road for several hours.",
    "Local sources say the group moved supplies across the river before dawn.",
    "أفاد مصدر أمني بأن دورية رصدت سيارتين من دون لوحات متوقفتين قرب الطريق لساعات.",
    "وتقول مصادر محلية إن المجموعة نقلت مؤنا عبر النهر قبل الفجر.",
    "سەرچاوەیەکی ئەمنی ڕایگەیاند کە دوو ئۆتۆمبێلی بێ ژمارە لە نزیک ڕێگاکە وەستابوون.",
    "No casualties were reported; the area was searched and cleared by noon.",
)


# --- the machine and the docs -------------------------------------------------------------------


def machine() -> dict[str, str]:
    """CPU model, cores, RAM, Python and SQLite versions: what docs/benchmarks.md records."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def load() -> float:
    """The 1-minute load average: other work on the machine makes figures noisy."""
    return os.getloadavg()[0]


def revision() -> str:
    """The commit measured, `+changes` when the working tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no", "--", "tansiq")
    return git("rev-parse", "--short", "HEAD") + ("+changes" if changed else "")


def byte_compiled() -> None:
    """Byte-compile tansiq as an installed package is (pip compiles on install; a checkout
    compiles on first import, unless PYTHONDONTWRITEBYTECODE is set, as on our CI machines):
    a timed `tansiq` process then starts as it would on a node."""
    compileall.compile_dir(REPO / "tansiq", quiet=1)


def run_facts(load_before: float) -> dict[str, Any]:
    """What every benchmark report starts with: when, where, which revision, how loaded."""
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "revision": revision(),
        "load_average": [load_before, load()],
    }


def machine_line(m: Mapping[str, str]) -> str:
    return f"{m['cpu']}, {m['cores']} cores, {m['ram']}, Python {m['python']}, SQLite {m['sqlite']}"


def docs_head(r: Mapping[str, Any]) -> str:
    """The line above a table in docs/benchmarks.md: when, where, what, and how busy."""
    loads = " → ".join(f"{x:.2f}" for x in r["load_average"])
    return (
        f"**{r['date']}, {machine_line(r['machine'])}**, tansiq {r['revision']} "
        f"(load average {loads}):"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def tick(ok: bool) -> str:
    return "✔" if ok else "✘ (fails)"


def table(rows: list[tuple[str, str, str]]) -> str:
    """A measure | figure | goal table in Markdown."""
    lines = ["| measure | figure | goal |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines) + "\n"


def update_docs(name: str, markdown: str) -> None:
    """Replace what docs/benchmarks.md holds between `<!-- bench:name -->` and its end marker."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    text = DOCS.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        print(f"docs/benchmarks.md has no {start} section: figures not written there")
        return
    DOCS.write_text(pattern.sub(lambda _: f"{start}\n{markdown.strip()}\n{end}", text), "utf-8")
    print(f"figures written to {DOCS.relative_to(REPO)} ({name})")


def write_json(out: Path, name: str, report: Mapping[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))


# --- prepared databases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A cached node database: `reports` reports by joc released to krg, and the tokens."""

    path: Path
    reports: int
    objects: int
    tokens: dict[str, str]
    fill_seconds: float
    fill: str

    @property
    def peer_token(self) -> str:
        return self.tokens[PEER]


def _draft(i: int, now: datetime) -> ReportDraft:
    words = [_SENTENCES[(i + k) % len(_SENTENCES)] for k in range(3 + i % 4)]
    return ReportDraft(
        title=f"{_TITLES[i % len(_TITLES)]} ({i})",
        text=" ".join(words),
        published=now - timedelta(minutes=i),
        lang=("en", "ar", "ku", "en", "ar")[i % len(_TITLES)],
        grade=Grade("ABCDEF"[i % 6], 1 + i % 6),
    )


def _row(new: objects.NewVersion, date_added: int) -> dict[str, Any]:
    """The stix_objects row `objects.put` inserts for a version it has never seen."""
    return objects._values(new, objects.OBJECT, date_added, latest=True)


def _marking() -> Marking:
    return Marking(RELEASE.tlp, NODE, RELEASE.releasable_to - {NODE})


def _versions(i: int, now: datetime) -> list[objects.NewVersion]:
    """Report i as create_report builds it: its bodies, dependents first, as store versions."""
    marking = _marking()
    bodies = stix.report_objects(
        _draft(i, now), report_id=stix.new_id("report"), created=now, modified=now, marking=marking
    )
    ordered = sorted(bodies, key=lambda b: b["type"] == "report")
    return [exchange._new_version(body, marking) for body in ordered]


def _check_bulk_matches(conn: sa.Connection, now: datetime) -> None:
    """What the bulk path builds for report 0 must equal what create_report stored for it
    (made at `now`): the body, every column of its stix_objects row, and its audience."""
    stored = (
        conn.execute(sa.select(stix_objects).where(stix_objects.c.stix_type == "report"))
        .one()
        ._asdict()
    )
    marking = _marking()
    body = stix.report_objects(
        _draft(0, now), report_id=stored["stix_id"], created=now, modified=now, marking=marking
    )[0]
    new = exchange._new_version(body, marking)
    built = _row(new, int(stored["date_added"]))
    for column in stix_objects.columns:
        if column.name == "pk":
            continue
        if column.name not in built:
            raise AssertionError(f"bench fill does not set stix_objects.{column.name}: update it")
        mine, theirs = built[column.name], stored[column.name]
        if column.name == "body":
            mine, theirs = orjson.loads(mine), orjson.loads(theirs)
        if mine != theirs:
            raise AssertionError(f"bench fill differs from create_report in {column.name}")
    audience = conn.execute(
        sa.select(object_audience.c.partner_code).where(object_audience.c.object_pk == stored["pk"])
    ).scalars()
    if set(audience) != set(new.marking.audience()):
        raise AssertionError("bench fill differs from create_report in object_audience")


def _bulk_insert(conn: sa.Connection, start: int, count: int) -> None:
    now = datetime.now(UTC)
    news = [v for i in range(start, start + count) for v in _versions(i, now)]
    first = objects.clock(conn, stix.to_micros(now), 2 * len(news))
    dates = [first + 2 * i + 1 for i in range(len(news))]
    conn.execute(stix_objects.insert(), [_row(n, d) for n, d in zip(news, dates, strict=True)])
    o = stix_objects
    found = conn.execute(sa.select(o.c.date_added, o.c.pk).where(o.c.date_added >= dates[0]))
    pks = {int(d): int(pk) for d, pk in found}
    conn.execute(
        object_audience.insert(),
        [
            {"object_pk": pks[d], "partner_code": code}
            for n, d in zip(news, dates, strict=True)
            for code in sorted(n.marking.audience())
        ],
    )


def _fill(db: Path, reports: int) -> dict[str, str]:
    url = sqlite_url(db)
    subprocess.run(
        [*TANSIQ, "init", "--partner", NODE, "--db", url], check=True, capture_output=True
    )
    engine = create_db_engine(url)
    tokens = {}
    now = datetime.now(UTC)
    with writing(engine) as conn:
        for code, name, parent in PARTNERS:
            add_partner(conn, code, name, parent, now)
        analyst, tokens[ANALYST] = accounts.create_user(
            conn, ANALYST, NODE, Role.ANALYST, None, now
        )
        _, tokens[PEER] = accounts.create_user(conn, PEER, READER, Role.PEER, None, now)
        actor = accounts.principal(conn, analyst)
        exchange.create_report(conn, actor, _draft(0, now), RELEASE, now)
        _check_bulk_matches(conn, now)
    done = 1
    while done < reports:
        count = min(BATCH, reports - done)
        with writing(engine) as conn:
            _bulk_insert(conn, done, count)
        done += count
        if done % 20_000 < BATCH or done == reports:
            print(f"  {done:,} / {reports:,} reports", flush=True)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return tokens


def _count_objects(db: Path) -> int:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM stix_objects WHERE kind = 'object' AND latest AND NOT withdrawn"
        ).fetchone()
    return int(row[0])


def prepared(reports: int) -> Prepared:
    """The cached database with `reports` reports, built on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    stem = f"reports_{reports}_schema{head_revision()}_v{FILL_VERSION}"
    db, meta = CACHE / f"{stem}.db", CACHE / f"{stem}.json"
    if db.exists() and meta.exists():
        return Prepared(path=db, **json.loads(meta.read_text()))
    for stale in CACHE.glob(f"reports_{reports}_*"):
        stale.unlink()  # this size for an older schema or fill, or a fill that was cut short
    print(f"filling {db.relative_to(REPO)} with {reports:,} reports ...", flush=True)
    started = time.perf_counter()
    tokens = _fill(db, reports)
    seconds = time.perf_counter() - started
    print(f"  {reports:,} reports in {seconds:.1f} s", flush=True)
    found = Prepared(db, reports, _count_objects(db), tokens, seconds, "create_report + bulk")
    fields = {k: v for k, v in asdict(found).items() if k != "path"}
    meta.write_text(json.dumps(fields, indent=2))
    return found


def working_copy(source: Prepared, out: Path, name: str) -> Path:
    """A fresh copy of a prepared database to run against (reads are audited: they write)."""
    out.mkdir(parents=True, exist_ok=True)
    db = out / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source.path, db)
    return db


# --- serving and reading ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 120, **kw: Any) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2, trust_env=False, **kw).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in time")


@contextlib.contextmanager
def running(args: list[str], health: str, **kw: Any) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess, up (its `health` URL answers 200) until the block ends."""
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(health, proc, **kw)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def serve(db: Path) -> Iterator[str]:
    """`tansiq serve` on a SQLite file; yields its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [*TANSIQ, "serve", "--db", sqlite_url(db), "--port", str(port)]
    with running(args, f"{url}/api/health"):
        yield url


def intel_url(base: str) -> str:
    return f"{base}{ROOT}collections/{INTEL.id}/objects/"


def peer_headers(token: str) -> dict[str, str]:
    return {"Accept": TAXII_MEDIA_TYPE, "Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Read:
    objects: int
    pages: int
    seconds: float
    first_page_seconds: float
    complete: bool = True

    @property
    def rate(self) -> float:
        return self.objects / self.seconds if self.seconds else 0.0


def page_through(client: httpx.Client, url: str, limit: int, budget: float | None = None) -> Read:
    """Every page of a TAXII collection, following `next`; each envelope is decoded.

    With a budget (seconds), stop when it runs out, mid-request if need be, and say so.
    """
    params: dict[str, str | int] = {"limit": limit}
    count = pages = 0
    first = 0.0
    started = time.perf_counter()
    while True:
        timeout = None if budget is None else budget - (time.perf_counter() - started)
        try:
            if timeout is not None and timeout <= 0:
                raise httpx.TimeoutException("budget spent")
            response = client.get(url, params=params, timeout=timeout)
        except httpx.TimeoutException:
            return Read(count, pages, time.perf_counter() - started, first, complete=False)
        response.raise_for_status()
        envelope = orjson.loads(response.content)
        count += len(envelope.get("objects", ()))
        pages += 1
        if pages == 1:
            first = time.perf_counter() - started
        if not envelope.get("more"):
            return Read(count, pages, time.perf_counter() - started, first)
        params = {"limit": limit, "next": envelope["next"]}


def read_intel(base: str, token: str, limit: int = PAGE) -> Read:
    with httpx.Client(headers=peer_headers(token), trust_env=False, timeout=300) as client:
        return page_through(client, intel_url(base), limit)


def first_page_latencies(
    nodes: Mapping[int, tuple[str, str]], repeats: int, limit: int = PAGE
) -> dict[int, list[float]]:
    """Seconds for the first page (no `next`) of each node (url, token), asked in turns:
    `repeats` times each after two unmeasured requests."""
    times: dict[int, list[float]] = {n: [] for n in nodes}
    clients = {
        n: httpx.Client(headers=peer_headers(token), trust_env=False, timeout=300)
        for n, (_, token) in nodes.items()
    }
    try:
        for i in range(repeats + 2):
            for n, (base, _) in nodes.items():
                started = time.perf_counter()
                response = clients[n].get(intel_url(base), params={"limit": limit})
                response.raise_for_status()
                orjson.loads(response.content)
                if i >= 2:
                    times[n].append(time.perf_counter() - started)
    finally:
        for client in clients.values():
            client.close()
    return times


def reference_read(db: Path, limit: int = PAGE) -> Read:
    """The store read directly: keyset pages of bodies, parsed, each page dumped as an envelope."""
    count = pages = 0
    first = 0.0
    started = time.perf_counter()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        after = -1
        while True:
            rows = conn.execute(
                "SELECT date_added, body FROM stix_objects WHERE kind = 'object' "
                "AND date_added > ? ORDER BY date_added LIMIT ?",
                (after, limit + 1),
            ).fetchall()
            page, more = rows[:limit], len(rows) > limit
            envelope = {"more": more, "objects": [orjson.loads(body) for _, body in page]}
            orjson.dumps(envelope)
            count += len(page)
            pages += 1
            if pages == 1:
                first = time.perf_counter() - started
            if not more:
                break
            after = page[-1][0]
    return Read(count, pages, time.perf_counter() - started, first)


def best(reads: list[Read]) -> Read:
    return max(reads, key=lambda r: r.rate)


# --- the benchmark ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000, help="the small node, for latency")
    parser.add_argument("--runs", type=int, default=3, help="full reads of each kind; best kept")
    parser.add_argument("--latency-repeats", type=int, default=21)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    big, small = prepared(args.reports), prepared(args.small)
    big_db = working_copy(big, args.out, f"taxii_{args.reports}")
    small_db = working_copy(small, args.out, f"taxii_{args.small}")
    load_before = load()
    # Both nodes up at once, and the measures taken in turns, so that other work on the
    # machine weighs on both sides of each ratio alike.
    with serve(big_db) as big_url, serve(small_db) as small_url:
        references, reads = [], []
        for _ in range(args.runs):
            references.append(reference_read(big_db))
            reads.append(read_intel(big_url, big.peer_token))
            print(
                f"reference {references[-1].rate:,.0f} objects/s, "
                f"TAXII read {reads[-1].rate:,.0f} objects/s ({reads[-1].seconds:.1f} s)",
                flush=True,
            )
        latency = first_page_latencies(
            {args.reports: (big_url, big.peer_token), args.small: (small_url, small.peer_token)},
            args.latency_repeats,
        )
    reference, read = best(references), best(reads)
    if read.objects != reference.objects or read.objects != big.objects:
        raise AssertionError(
            f"TAXII served {read.objects} objects; the store holds {big.objects} "
            f"and the reference read {reference.objects}"
        )
    ratio = read.rate / reference.rate
    medians = {str(n): statistics.median(times) for n, times in latency.items()}
    latency_ratio = medians[str(args.reports)] / medians[str(args.small)]
    report: dict[str, Any] = {
        **run_facts(load_before),
        "reports": args.reports,
        "objects": read.objects,
        "page": PAGE,
        "fill": {"method": big.fill, "seconds": big.fill_seconds},
        "reference_objects_per_s": reference.rate,
        "reference_seconds": reference.seconds,
        "reference_runs_objects_per_s": [r.rate for r in references],
        "taxii_objects_per_s": read.rate,
        "taxii_seconds": read.seconds,
        "taxii_pages": read.pages,
        "taxii_runs_objects_per_s": [r.rate for r in reads],
        "ratio": ratio,
        "goal_ratio": 0.25,
        "pass_ratio": ratio >= 0.25,
        "first_page_s": medians,
        "first_page_samples_s": {str(n): times for n, times in latency.items()},
        "latency_ratio": latency_ratio,
        "goal_latency_ratio": 1.5,
        "pass_latency": latency_ratio <= 1.5,
    }
    write_json(args.out, "taxii_bench", report)
    print_summary(report, args.small)
    if args.reports == 100_000 and args.small == 1_000:
        update_docs("taxii", docs_table(report, args.small))


def print_summary(r: Mapping[str, Any], small: int) -> None:
    big = r["reports"]
    fp = r["first_page_s"]
    print()
    print(
        f"TAXII read, {r['objects']:,} objects, pages of {r['page']} ({machine_line(r['machine'])})"
    )
    print(f"  reference (sqlite3 + orjson)   {r['reference_objects_per_s']:>10,.0f} objects/s")
    print(f"  tansiq over HTTP               {r['taxii_objects_per_s']:>10,.0f} objects/s")
    print(f"  ratio {r['ratio']:.2f}   goal >= {r['goal_ratio']}   {verdict(r['pass_ratio'])}")
    print(f"  first page with {big:,} reports  {fp[str(big)] * 1000:8.1f} ms (median)")
    print(f"  first page with {small:,} reports  {fp[str(small)] * 1000:8.1f} ms (median)")
    print(
        f"  ratio {r['latency_ratio']:.2f}   goal <= {r['goal_latency_ratio']}   "
        f"{verdict(r['pass_latency'])}"
    )


def docs_table(r: Mapping[str, Any], small: int) -> str:
    big, page, fp = r["reports"], r["page"], r["first_page_s"]
    repeats = len(r["first_page_samples_s"][str(big)])
    rows = [
        (
            f"reference (sqlite3 + orjson, pages of {page})",
            f"{r['reference_objects_per_s']:,.0f} objects/s",
            "",
        ),
        (
            f"TAXII read over HTTP, {r['objects']:,} objects in {r['taxii_pages']} pages",
            f"{r['taxii_objects_per_s']:,.0f} objects/s ({r['taxii_seconds']:.1f} s)",
            "",
        ),
        (
            "**ratio, TAXII read / reference**",
            f"**{r['ratio']:.2f}**",
            f"≥ {r['goal_ratio']} {tick(r['pass_ratio'])}",
        ),
        (
            f"first page (limit {page}), {big:,} reports, median of {repeats}",
            f"{fp[str(big)] * 1000:.1f} ms",
            "",
        ),
        (
            f"first page (limit {page}), {small:,} reports, median",
            f"{fp[str(small)] * 1000:.1f} ms",
            "",
        ),
        (
            f"**ratio, first page {big:,} / {small:,}**",
            f"**{r['latency_ratio']:.2f}**",
            f"≤ {r['goal_latency_ratio']} {tick(r['pass_latency'])}",
        ),
    ]
    return docs_head(r) + "\n\n" + table(rows)


if __name__ == "__main__":
    main()
