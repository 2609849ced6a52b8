"""Three partners' nodes exchange reports over TAXII, driven as operators drive them.

What each partner's users see on each node is checked against a small oracle written here from
the marking rules (tansiq.domain.markings' docstring), not from tansiq's code:

- audience = originator + releasable-to partners; AMBER+STRICT: the originator alone;
- a person sees a non-RED object released to their partner or any partner above it, and a RED
  one only when released to their own partner;
- a node holds an object once it was pulled from a node that held it, if the node's partner or
  one of its sub-organisations is in the audience (RED: named exactly);
- a withdrawal reaches every node that held the object, and a narrowing the nodes that lost
  sight of it, directly or through relays; a relay that lost sight of an object makes the nodes
  it passed it to hide it too (it can no longer vouch for it), until they get the new version
  from a node that may hold it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from stix2validator import (  # type: ignore[import-untyped]
    ValidationOptions,
    validate_instance,
)

from tansiq.accounts import Principal
from tansiq.domain.markings import Tlp, identity_id, person_viewer
from tansiq.domain.reports import Place, PlacedPlace, ReportDraft, Role
from tansiq.settings import sqlite_url
from tansiq.sharing import exchange, signing, stix
from tansiq.sharing.taxii.collections import WITHDRAWALS
from tansiq.store.database import create_db_engine, writing
from tansiq.store.partners import partner_parents
from tests.conftest import REPO
from tests.multinode.conftest import (
    NODES,
    PARTNERS,
    PEOPLE,
    Network,
    Node,
    parallel,
    stop,
)

pytestmark = pytest.mark.slow

TLPS = ("clear", "green", "amber", "amber+strict", "red")
PARENTS = {code: parent for code, (_, parent) in PARTNERS.items()}


# --- the oracle ----------------------------------------------------------------------------------


def above(code: str) -> set[str]:
    """The partner and every partner above it."""
    found = {code}
    parent = PARENTS[code]
    while parent is not None:
        found.add(parent)
        parent = PARENTS[parent]
    return found


def below(code: str) -> set[str]:
    """Every sub-organisation of the partner, at any depth."""
    found: set[str] = set()
    for child, _ in PARENTS.items():
        if code in above(child) - {child}:
            found.add(child)
    return found


@dataclass(frozen=True)
class Spec:
    """How a report is marked at its originator: the truth the oracle reasons from."""

    title: str
    origin: str
    tlp: str
    to: frozenset[str]
    grade: str | None = None

    def audience(self) -> set[str]:
        return {self.origin} if self.tlp == "amber+strict" else {*self.to, self.origin}

    def seen_by(self, partner: str) -> bool:
        """Whether a person of `partner` may read it (on a node that holds it)."""
        if self.tlp == "red":
            return partner in self.audience()
        return bool(self.audience() & above(partner))

    def reaches(self, node: str) -> bool:
        """Whether `node` may receive it: its partner or a sub-organisation is in the audience."""
        if node == self.origin:
            return True
        mine = {node} | below(node) if self.tlp == "red" else above(node) | below(node)
        return bool(self.audience() & mine)


@dataclass(frozen=True)
class Copy:
    """What one node holds of one report: a version that is alive, withdrawn or hidden.

    `via` is the peer it came from, when the test knows (None on the originator, and after
    rounds of syncs run in parallel, where it depends on timing).
    """

    version: int
    spec: Spec
    state: str = "alive"
    via: str | None = None


@dataclass
class Oracle:
    """Who holds which version of which report, following the syncs the test runs."""

    held: dict[str, dict[str, Copy]] = field(default_factory=lambda: {n: {} for n in NODES})
    ids: dict[str, str] = field(default_factory=dict)

    def created(self, key: str, spec: Spec, stix_id: str) -> None:
        self.held[spec.origin][key] = Copy(1, spec)
        self.ids[key] = stix_id

    def origin_of(self, key: str) -> str:
        return next(n for n in NODES if key in self.held[n] and self.held[n][key].spec.origin == n)

    def changed(self, key: str, spec: Spec | None) -> None:
        """A new version at the originator; None: withdrawn."""
        origin = self.origin_of(key)
        old = self.held[origin][key]
        new = (
            Copy(old.version + 1, old.spec, "withdrawn")
            if spec is None
            else Copy(old.version + 1, spec)
        )
        self.held[origin][key] = new

    def pulled(self, node: str, peer: str) -> None:
        """`node` ran `sync peer`.

        A newer version the node may hold replaces its copy (a hidden copy comes back with the
        version that hid it, too). A withdrawal, a version the node may not hold, or a peer that
        itself lost sight of the object hides the node's older copy: a relay that can no longer
        vouch for an object fails closed.
        """
        for key, theirs in self.held[peer].items():
            mine = self.held[node].get(key)
            if theirs.state == "alive" and theirs.spec.reaches(node):
                if (
                    mine is None
                    or mine.version < theirs.version
                    or (mine.state == "hidden" and mine.version <= theirs.version)
                ):
                    self.held[node][key] = Copy(theirs.version, theirs.spec, "alive", peer)
                continue
            if mine is None or mine.state != "alive" or mine.version >= theirs.version:
                continue
            gone = "withdrawn" if theirs.state == "withdrawn" else "hidden"
            self.held[node][key] = replace(mine, version=theirs.version, state=gone)

    def round(self) -> None:
        """Every node pulled from both others, in parallel: order does not matter, since every
        node pulls from the originators too; which peer a copy came from does."""
        for _ in range(2):
            for node in NODES:
                for peer in NODES:
                    if peer != node:
                        self.pulled(node, peer)
        for node in NODES:
            for key, copy in self.held[node].items():
                self.held[node][key] = replace(copy, via=None)

    def visible(self, node: str, partner: str) -> dict[str, Copy]:
        """What an analyst of `partner` sees on `node`, by current title."""
        return {
            c.spec.title: c
            for c in self.held[node].values()
            if c.state == "alive" and c.spec.seen_by(partner)
        }


def compare(
    network: Network, oracle: Oracle, prefix: str, nodes: Iterable[str] = NODES
) -> list[str]:
    """Every difference between what each partner's analyst lists on each node and the oracle."""
    pairs = [(n, p) for n in nodes for p in PEOPLE]
    listed = parallel(lambda pair: network[pair[0]].listed(pair[1], prefix), pairs)
    problems = []
    for (node, partner), found in zip(pairs, listed, strict=True):
        expected = oracle.visible(node, partner)
        got = {r["title"]: r for r in found}
        where = f"on {node} as {PEOPLE[partner]}"
        for title in sorted(expected.keys() - got.keys()):
            problems.append(f"{where}: missing {title!r}")
        for title in sorted(got.keys() - expected.keys()):
            problems.append(f"{where}: should not see {title!r}")
        if len(found) != len(got):
            problems.append(f"{where}: a title listed twice: {sorted(r['title'] for r in found)}")
        for title in sorted(got.keys() & expected.keys()):
            problems += _record_problems(where, got[title], expected[title])
    return problems


def _record_problems(where: str, record: dict[str, Any], copy: Copy) -> list[str]:
    spec = copy.spec
    problems = []
    shown = {
        "originator": record["originator"],
        "tlp": record["tlp"],
        "releasable_to": set(record["releasable_to"]),
    }
    shown["grade"] = record["grade"]
    wanted = {
        "originator": spec.origin,
        "tlp": spec.tlp,
        "releasable_to": spec.audience() - {spec.origin},
        "grade": spec.grade,
    }
    if shown != wanted:
        problems.append(f"{where}: {spec.title!r} shown as {shown}, marked {wanted}")
    if copy.via is not None and record["received_from"] != copy.via:
        problems.append(
            f"{where}: {spec.title!r} received from {record['received_from']}, expected {copy.via}"
        )
    return problems


def releases(origin: str) -> dict[str, frozenset[str]]:
    """The four releasabilities, seen from `origin`: nobody, one partner, two, a sub-org."""
    others = [n for n in NODES if n != origin]
    return {
        "none": frozenset(),
        "one": frozenset(others[:1]),
        "two": frozenset(others),
        "sub": frozenset({"krg-asayish"}),
    }


def create_all(network: Network, oracle: Oracle, specs: dict[str, Spec]) -> None:
    """Add the reports through the CLI, the nodes in parallel, each node's one after another."""

    def lane(node: str) -> list[tuple[str, str]]:
        made = []
        for key, spec in specs.items():
            if spec.origin == node:
                extra = ("--grade", spec.grade) if spec.grade else ()
                made.append((key, network[node].add_report(spec.title, spec.tlp, spec.to, *extra)))
        return made

    for made in parallel(lane, NODES):
        for key, stix_id in made:
            oracle.created(key, specs[key], stix_id)


def pull(network: Network, oracle: Oracle, node: str, peer: str) -> list[str]:
    """`node` syncs from `peer` alone; the rejections, as problems."""
    summary = network[node].sync(peer)
    oracle.pulled(node, peer)
    return [f"{node} rejected {r['id']} from {peer}: {r['reason']}" for r in summary["rejections"]]


def sync_all(network: Network, oracle: Oracle) -> list[str]:
    """A round of syncs on every node; the rejections, as problems."""
    found = network.sync_round()
    oracle.round()
    return [
        f"{node} rejected {r['id']} from {peer['peer']}: {r['reason']}"
        for node, summary in found.items()
        for peer in summary["peers"]
        for r in peer["rejections"]
    ]


# --- the scenarios -------------------------------------------------------------------------------


def test_every_tlp_and_releasability_reaches_exactly_its_audience(network: Network) -> None:
    """Reports at every TLP x releasability from every node, pulled directly and by relay."""
    oracle = Oracle()
    specs = {
        f"grid-{o}-{t}-{r}": Spec(f"grid-{o}-{t}-{r}", o, t, to, "B2" if t == "green" else None)
        for o in NODES
        for t in TLPS
        for r, to in releases(o).items()
    }
    create_all(network, oracle, specs)
    problems = [f"before any sync: {p}" for p in compare(network, oracle, "grid-")]

    # Relay: jcc pulls from joc; krg pulls only from jcc and gets what both nodes may hold.
    problems += pull(network, oracle, "jcc", "joc")
    problems += pull(network, oracle, "krg", "jcc")
    problems += [f"relayed: {p}" for p in compare(network, oracle, "grid-")]

    problems += sync_all(network, oracle)
    problems += [f"synced: {p}" for p in compare(network, oracle, "grid-")]

    again = network.sync_round()
    for node, summary in again.items():
        if (summary["created"], summary["updated"], summary["rejected"]) != (0, 0, 0):
            problems.append(f"a second sync on {node} changed something: {summary}")
    network.audit_ok()
    assert not problems, "\n".join(problems)


def test_copies_are_read_only_and_comments_flow_back(network: Network) -> None:
    joc, krg, jcc = network["joc"], network["krg"], network["jcc"]
    report = joc.add_report("readonly-report", "amber", {"krg", "jcc"})
    first = krg.sync("joc")
    assert first["created"] >= 1, first

    for args in (
        ("reports", "mark", report, "--tlp", "red"),
        ("reports", "edit", report, "--title", "readonly-hijacked"),
        ("reports", "withdraw", report),
    ):
        done = krg.run(*args, check=False)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "read-only" in done.stderr, done.stderr
        assert "belongs to joc" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr

    joc.run("reports", "edit", report, "--title", "readonly-report edited")
    edited = krg.sync("joc")
    assert (edited["created"], edited["updated"], edited["rejected"]) == (0, 1, 0), edited
    assert [r["title"] for r in krg.listed("krg", "readonly-")] == ["readonly-report edited"]

    krg_analyst = ("--as", PEOPLE["krg"], "--tlp", "amber", "--releasable-to", "joc")
    krg.run("comment", report, "--kind", "note", "--text", "readonly-note by krg", *krg_analyst)
    krg.run(
        "comment", report, "--kind", "sighting", "--text", "readonly-sighting by krg", *krg_analyst
    )
    krg.run(
        "comment",
        report,
        "--kind",
        "opinion",
        "--opinion",
        "agree",
        "--text",
        "readonly-opinion by krg",
        *krg_analyst,
    )
    back = joc.sync("krg")
    assert (back["created"], back["rejected"]) == (3, 0), back
    for kind in ("note", "sighting", "opinion"):
        found = joc.listed("joc", "readonly-", kind)
        assert [(r["title"] or r["text"], r["originator"], r["received_from"]) for r in found] == [
            (f"readonly-{kind} by krg", "krg", "krg")
        ], found
        assert jcc.listed("jcc", "readonly-", kind) == []

    network.sync_round()  # jcc pulls from joc too, and may not get krg's comments from it
    for kind in ("note", "sighting", "opinion"):
        for partner in PEOPLE:
            assert jcc.listed(partner, "readonly-", kind) == [], (kind, partner)
    network.audit_ok()


def test_a_page_that_shows_nothing_does_not_end_the_sync(network: Network) -> None:
    """Notes released to krg on a report krg may not read are left out of krg's pages; a page
    of nothing but those must not stop the sync before what follows them."""
    joc, krg = network["joc"], network["krg"]
    krg.sync("joc")
    hidden = joc.add_report("cut-hidden", "amber", {"jcc"})
    for i in range(3):
        joc.run(
            "comment", hidden, "--kind", "note", "--text", f"cut-note {i}",
            "--tlp", "amber", "--releasable-to", "krg,jcc",
        )  # fmt: skip
    joc.add_report("cut-after", "amber", {"krg"})
    done = krg.sync("joc", page_size=2)
    assert (done["created"], done["rejected"]) == (1, 0), done
    assert [r["title"] for r in krg.listed("krg", "cut-")] == ["cut-after"]
    assert krg.listed("krg", "cut-", "note") == []
    again = krg.sync("joc", page_size=2)
    assert (again["created"], again["updated"]) == (0, 0), again


def test_relays_pass_on_only_what_the_next_node_may_hold(network: Network) -> None:
    """joc -> jcc -> krg: krg gets joc's reports through jcc, then their changes through jcc."""
    oracle = Oracle()
    both = frozenset({"krg", "jcc"})
    cases = {
        "both": ("amber", both),
        "jcc-only": ("amber", frozenset({"jcc"})),
        "krg-only": ("amber", frozenset({"krg"})),
        "asayish-and-jcc": ("green", frozenset({"krg-asayish", "jcc"})),
        "red-both": ("red", both),
        "strict": ("amber+strict", both),
        "nobody": ("green", frozenset()),
        "restrict-to-jcc": ("amber", both),
        "restrict-to-krg": ("amber", both),
        "withdraw": ("amber", both),
        "widen-to-krg": ("amber", frozenset({"jcc"})),
        "to-strict": ("green", both),
    }
    specs = {k: Spec(f"relay-{k}", "joc", tlp, to) for k, (tlp, to) in cases.items()}
    create_all(network, oracle, specs)

    def relay() -> list[str]:
        return pull(network, oracle, "jcc", "joc") + pull(network, oracle, "krg", "jcc")

    problems = relay()
    problems += [f"relayed: {p}" for p in compare(network, oracle, "relay-")]

    joc = network["joc"]
    changes: dict[str, tuple[str, frozenset[str]] | None] = {
        "restrict-to-jcc": ("amber", frozenset({"jcc"})),
        "restrict-to-krg": ("amber", frozenset({"krg"})),
        "withdraw": None,
        "widen-to-krg": ("amber", both),
        "to-strict": ("amber+strict", both),
    }
    for key, change in changes.items():
        if change is None:
            joc.run("reports", "withdraw", oracle.ids[key])
            oracle.changed(key, None)
        else:
            tlp, to = change
            joc.run(
                "reports", "mark", oracle.ids[key], "--tlp", tlp, "--releasable-to", ",".join(to)
            )
            oracle.changed(key, replace(specs[key], tlp=tlp, to=to))
    problems += relay()
    problems += [f"changes relayed: {p}" for p in compare(network, oracle, "relay-")]

    problems += sync_all(network, oracle)
    problems += [f"settled: {p}" for p in compare(network, oracle, "relay-")]
    network.audit_ok()
    assert not problems, "\n".join(problems)


def test_widening_restricting_and_withdrawing_propagate(network: Network) -> None:
    """Each node re-marks and withdraws some of its reports; every node follows."""
    oracle = Oracle()
    specs: dict[str, Spec] = {}
    plans: dict[str, tuple[str, frozenset[str]] | None] = {}
    for origin in NODES:
        r = releases(origin)
        one, two, sub = r["one"], r["two"], r["sub"]
        before_after: dict[
            str, tuple[tuple[str, frozenset[str]], tuple[str, frozenset[str]] | None]
        ] = {
            "widen-nobody-to-two": (("green", frozenset()), ("green", two)),
            "widen-red-to-green": (("red", one | sub), ("green", one | sub)),
            "widen-one-to-two": (("amber", one), ("clear", two)),
            "restrict-two-to-one": (("amber", two), ("amber", one)),
            "restrict-to-strict": (("green", two), ("amber+strict", two)),
            "restrict-green-to-red": (("green", two | sub), ("red", two)),
            "restrict-to-sub": (("amber", two | sub), ("amber", sub)),
            "withdraw": (("amber", two | sub), None),
        }
        for name, ((tlp, to), after) in before_after.items():
            key = f"change-{origin}-{name}"
            specs[key] = Spec(key, origin, tlp, to, "C3" if tlp == "amber" else None)
            plans[key] = after
    create_all(network, oracle, specs)
    problems = sync_all(network, oracle)
    problems += compare(network, oracle, "change-")

    def change(node: str) -> None:
        for key, after in plans.items():
            if specs[key].origin != node:
                continue
            if after is None:
                network[node].run("reports", "withdraw", oracle.ids[key])
            else:
                tlp, to = after
                network[node].run(
                    "reports",
                    "mark",
                    oracle.ids[key],
                    "--tlp",
                    tlp,
                    "--releasable-to",
                    ",".join(to),
                )

    parallel(change, NODES)
    for key, after in plans.items():
        oracle.changed(
            key, None if after is None else replace(specs[key], tlp=after[0], to=after[1])
        )
    problems += sync_all(network, oracle)
    problems += sync_all(network, oracle)
    problems += [f"after the changes: {p}" for p in compare(network, oracle, "change-")]
    network.audit_ok()
    assert not problems, "\n".join(problems)


# --- resuming a killed sync ----------------------------------------------------------------------

BULK = 3_000


@dataclass
class Pair:
    a: Node
    b: Node
    a_file: Path
    b_file: Path


@pytest.fixture
def bulk_pair(tmp_path: Path) -> Iterator[Pair]:
    """Node A (joc) serving 3,000 reports released to krg; node B (krg) peered to it."""
    a_file, b_file = tmp_path / "a.db", tmp_path / "b.db"
    a = Node("joc", sqlite_url(a_file), tmp_path / "a")
    b = Node("krg", sqlite_url(b_file), tmp_path / "b")
    parallel(Node.open_shell, (a, b))
    parallel(_bare, (a, b))
    token = a.json("users", "add", "krg-node", "--partner", "krg", "--role", "peer")["token"]
    _bulk_reports(a.db, BULK)
    try:
        a.start()
        b.run("peers", "add", "joc", "--url", a.url, "--token", token)
        yield Pair(a, b, a_file, b_file)
    finally:
        a.stop()
        b.stop()


def _bare(node: Node) -> None:
    """A node of joc or krg that knows the other (the only partners this test needs)."""
    node.run("init", "--partner", node.code, "--partner-name", PARTNERS[node.code][0])
    other = "krg" if node.code == "joc" else "joc"
    node.run("partners", "add", other, "--name", PARTNERS[other][0])
    if node.code == "krg":
        node.run("users", "add", PEOPLE["krg"], "--partner", "krg", "--role", "analyst")


def _bulk_reports(db: str, count: int) -> None:
    """`count` reports released to krg, each with two places (three objects a report: enough
    that the sync commits several times on the way)."""
    engine = create_db_engine(db)
    now = datetime.now(UTC)
    release = exchange.Release(Tlp.GREEN, frozenset({"krg"}))
    mosul = tuple(
        PlacedPlace(Place(36.34, 43.13 + i / 100, "Mosul"), None, None, None, None, False)
        for i in range(2)
    )
    with writing(engine) as conn:
        actor = Principal("console", "joc", Role.ADMIN, person_viewer("joc", partner_parents(conn)))
        for i in range(count):
            draft = ReportDraft(title=f"bulk-{i:05d}", text="", published=now, places=mosul)
            exchange.create_report(conn, actor, draft, release, now)
    engine.dispose()


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql).fetchall()


def _reports_on(path: Path) -> int:
    found = _query(path, "SELECT count(*) FROM stix_objects WHERE stix_type = 'report'")
    return int(found[0][0])


def _intel_cursor(path: Path) -> int | None:
    found = _query(path, "SELECT added_after FROM sync_cursors WHERE collection = 'intel'")
    return int(found[0][0]) if found else None


def _no_process_left_on(db: str, wait_s: float = 20.0) -> None:
    """The killed sync's reader and fetcher processes notice and exit (none is orphaned)."""
    deadline = time.monotonic() + wait_s
    while (left := _processes_naming(db)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"processes left behind by the killed sync: {left}"


def _processes_naming(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # it ended meanwhile
                continue
    return found


def test_a_killed_sync_resumes_without_gaps_or_doubles(bulk_pair: Pair) -> None:
    b = bulk_pair.b
    env = {**os.environ, "TANSIQ_SYNC_PAGE_SIZE": "100"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tansiq", "sync", "joc", "--json", "--db", b.db],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        # Kill it as soon as something is stored: some reports are there, not all.
        while _reports_on(bulk_pair.b_file) == 0 and proc.poll() is None:
            assert time.monotonic() < deadline, "the sync stored nothing in a minute"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        stop(proc)
    held = _reports_on(bulk_pair.b_file)
    assert proc.returncode == -signal.SIGKILL, (
        f"the sync ended before it could be killed, with {held} reports committed"
    )
    _no_process_left_on(b.db)
    cursor = _intel_cursor(bulk_pair.b_file)
    assert 0 < held < BULK
    # What committed is exactly what the cursor says was applied: pages and cursor together.
    assert cursor is not None
    for stix_type in ("report", "location"):
        sql = f"SELECT count(*) FROM stix_objects WHERE stix_type = '{stix_type}'"
        upto = _query(bulk_pair.a_file, f"{sql} AND date_added <= {cursor}")[0][0]
        assert _query(bulk_pair.b_file, sql)[0][0] == upto, stix_type
    after = f"SELECT count(*) FROM stix_objects WHERE kind = 'object' AND date_added > {cursor}"
    remaining = _query(bulk_pair.a_file, after)[0][0]

    rest = b.sync("joc")
    assert (rest["received"], rest["created"], rest["rejected"]) == (remaining, remaining, 0), (
        "pages already applied were pulled again, or some were skipped",
        rest,
    )
    assert _reports_on(bulk_pair.b_file) == BULK
    doubled = _query(
        bulk_pair.b_file, "SELECT stix_id FROM stix_objects GROUP BY stix_id HAVING count(*) > 1"
    )
    assert doubled == []
    last = _query(
        bulk_pair.a_file, "SELECT max(date_added) FROM stix_objects WHERE kind = 'object'"
    )
    assert _intel_cursor(bulk_pair.b_file) == last[0][0]
    third = b.sync("joc")
    assert third["received"] == 0, third
    assert sorted(r["title"] for r in b.listed("krg", "bulk-")) == [
        f"bulk-{i:05d}" for i in range(BULK)
    ]


# --- signed tombstones ---------------------------------------------------------------------------

TAXII = "application/taxii+json;version=2.1"


def _served_withdrawals(node: Node, reader: str) -> list[dict[str, Any]]:
    """The tombstones `node` serves `reader`'s node, over HTTP with `reader`'s peer token."""
    answer = httpx.get(
        f"{node.url}taxii2/exchange/collections/{WITHDRAWALS.id}/objects/",
        headers={"Accept": TAXII, "Authorization": f"Bearer {node.tokens[reader]}"},
        timeout=30,
        trust_env=False,
    )
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json().get("objects", [])
    return found


def _signers(stone: dict[str, Any], network: Network) -> list[tuple[str, bool]]:
    """Who signed a tombstone, and whether each signature verifies with that node's key as
    `tansiq node key` prints it there."""
    published = {
        identity_id(code): network[code].json("node", "key")["public_key"] for code in NODES
    }
    codes = {identity_id(code): code for code in NODES}
    form = signing.canonical(stone)
    return [
        (codes[s.signer], signing.verifies(form, s, published[s.signer]))
        for s in signing.signatures(stone)
    ]


def test_withdrawals_travel_signed_and_relays_pass_the_originators_signature_on(
    network: Network,
) -> None:
    """joc -> jcc -> krg: krg gets the withdrawal through jcc, signed by joc and by jcc."""
    joc, jcc, krg = network["joc"], network["jcc"], network["krg"]
    report = joc.add_report("signed-withdrawal", "amber", {"krg", "jcc"})
    jcc.sync("joc")
    krg.sync("jcc")
    assert [r["title"] for r in krg.listed("krg", "signed-")] == ["signed-withdrawal"]
    joc.run("reports", "withdraw", report)
    (own,) = [s for s in _served_withdrawals(joc, "jcc") if s["id"] == report]
    assert _signers(own, network) == [("joc", True)]

    pulled = jcc.sync("joc")
    assert (pulled["withdrawn"], pulled["rejected"]) == (1, 0), pulled
    (relayed,) = [s for s in _served_withdrawals(jcc, "krg") if s["id"] == report]
    assert _signers(relayed, network) == [("joc", True), ("jcc", True)]
    assert relayed["extensions"][stix.SIGNATURE_EXTENSION_ID]["relayed_by"] == identity_id("jcc")
    results = validate_instance(relayed, ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]

    passed = krg.sync("jcc")
    assert (passed["withdrawn"], passed["rejected"]) == (1, 0), passed
    assert krg.listed("krg", "signed-") == []
    network.audit_ok()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Node, Node, str]]:
    """joc serving, and krg peered to it without a pinned key; and krg's token at joc."""
    a = Node("joc", sqlite_url(tmp_path / "a.db"), tmp_path / "a")
    b = Node("krg", sqlite_url(tmp_path / "b.db"), tmp_path / "b")
    parallel(Node.open_shell, (a, b))
    parallel(_bare, (a, b))
    token = a.json("users", "add", "krg-node", "--partner", "krg", "--role", "peer")["token"]
    try:
        a.start()
        b.run("peers", "add", "joc", "--url", a.url, "--token", token)
        yield a, b, token
    finally:
        a.stop()
        b.stop()


def test_a_node_that_swapped_its_key_is_refused_until_it_is_pinned_again(
    pair: tuple[Node, Node, str],
) -> None:
    a, b, token = pair
    first_key = a.json("node", "key")["public_key"]
    report = a.add_report("swapped-report", "amber", {"krg"})
    assert b.sync("joc")["created"] == 1
    (pin,) = b.json("peers", "list")
    assert (pin["public_key"], pin["key_pinned_by"]) == (first_key, "first-use")

    # joc's node comes back with another key pair (rebuilt, or someone else at its address),
    # and withdraws the report.
    assert a.proc is not None
    stop(a.proc)
    path = Path(a.db.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM node_config WHERE key = 'signing_key'")
    second_key = a.json("node", "key")["public_key"]
    assert second_key != first_key
    a.run("reports", "withdraw", report)
    a.start()
    b.run("peers", "add", "joc", "--url", a.url, "--token", token)  # keeps the pinned key

    refused = b.run("sync", "joc", check=False)
    assert refused.returncode == 1, refused.stderr
    assert f"peer joc now signs with {second_key}" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert [r["title"] for r in b.listed("krg", "swapped-")] == ["swapped-report"]

    b.run("peers", "key", "joc", second_key)
    done = b.sync("joc")
    assert (done["withdrawn"], done["rejected"]) == (1, 0), done
    assert b.listed("krg", "swapped-") == []
    actions = [e["action"] for e in b.json("audit", "list", "--limit", "0")]
    assert actions.count("pin-key") == 2
    assert actions.count("refuse-key") == 1
    for node in (a, b):
        assert node.run("audit", "verify", check=False).returncode == 0
