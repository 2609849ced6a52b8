"""The exchange commands as an operator runs them: what they print, and what they refuse.

Each test works on a copy of a node built once for the module (a joc node, and a fresh krg node
knowing the same partners). The commands run in this process (tests/cli/runner.py); `tansiq
serve` is a real process.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from stix2validator import (  # type: ignore[import-untyped]
    ValidationOptions,
    validate_string,
)

from tansiq.api.app import create_app
from tansiq.domain.markings import Marking, Tlp
from tansiq.domain.reports import ReportDraft
from tansiq.settings import Settings, sqlite_url
from tansiq.sharing import stix
from tansiq.sharing.signing import SigningKey
from tests.cli.runner import tansiq
from tests.conftest import REPO
from tests.factories import sign_as
from tests.servers import free_port

PARTNERS = (
    ("joc", "Joint Operations Command", None),
    ("krg", "Kurdistan Region Security Council", None),
    ("krg-asayish", "Asayish", "krg"),
    ("jcc", "Joint Coordination Centre", None),
)
PEOPLE = {"joc": "joc-analyst", "krg": "krg-analyst", "krg-asayish": "asayish-analyst"}


@dataclass(frozen=True)
class Node:
    path: Path
    tokens: dict[str, str]

    @property
    def db(self) -> str:
        return sqlite_url(self.path)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return tansiq(*args, db=self.db, check=check)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def rows(self) -> int:
        """Every stored STIX row (objects, versions, tombstones, marking definitions)."""
        with sqlite3.connect(self.path) as conn:
            return int(conn.execute("SELECT count(*) FROM stix_objects").fetchone()[0])

    def copy(self, to: Path) -> Node:
        to.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path, to / self.path.name)
        return Node(to / self.path.name, self.tokens)


def build(path: Path, partner: str) -> Node:
    """A node of `partner` that knows every partner, with an analyst of each and a peer account."""
    db = sqlite_url(path)
    name = next(n for code, n, _ in PARTNERS if code == partner)
    tansiq("init", "--partner", partner, "--partner-name", name, db=db)
    for code, full, parent in PARTNERS:
        if code != partner:
            tansiq(
                "partners",
                "add",
                code,
                "--name",
                full,
                *(("--parent", parent) if parent else ()),
                db=db,
            )
    tokens = {}
    for code, user in PEOPLE.items():
        made = tansiq("users", "add", user, "--partner", code, "--role", "analyst", "--json", db=db)
        tokens[user] = json.loads(made.stdout)["token"]
    other = "krg" if partner == "joc" else "joc"
    made = tansiq(
        "users", "add", f"{other}-node", "--partner", other, "--role", "peer", "--json", db=db
    )
    tokens[f"{other}-node"] = json.loads(made.stdout)["token"]
    with sqlite3.connect(path) as conn:  # one file to copy: fold the WAL in
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Node(path, tokens)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Node]:
    base = tmp_path_factory.mktemp("templates")
    return {code: build(base / code / "node.db", code) for code in ("joc", "krg")}


@pytest.fixture
def joc(templates: dict[str, Node], tmp_path: Path) -> Node:
    return templates["joc"].copy(tmp_path / "joc")


@pytest.fixture
def krg(templates: dict[str, Node], tmp_path: Path) -> Node:
    return templates["krg"].copy(tmp_path / "krg")


def refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 1 with a one-line `error:` naming the problem, and no traceback."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.startswith("error: "), done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)


# --- users ---------------------------------------------------------------------------------------


def test_users_add_prints_the_token_once_and_it_opens_the_api(joc: Node) -> None:
    made = joc.json("users", "add", "layla", "--partner", "krg", "--role", "watch")
    assert set(made) == {"user", "partner", "role", "token"}
    assert (made["user"], made["partner"], made["role"]) == ("layla", "krg", "watch")
    assert made["token"].startswith("tq_")
    assert len(made["token"]) > 40
    listed = joc.json("users", "list")
    assert {"user": "layla", "partner": "krg", "role": "watch"} in listed
    assert made["token"] not in json.dumps(listed)

    with TestClient(create_app(Settings(db=joc.db))) as client:
        ok = client.get("/api/reports", headers={"Authorization": f"Bearer {made['token']}"})
        assert ok.status_code == 200, ok.text
        bad = client.get("/api/reports", headers={"Authorization": f"Bearer {made['token']}x"})
        assert bad.status_code == 401

    refused(
        joc.run("users", "add", "x", "--partner", "mossad", "--role", "analyst", check=False),
        "mossad",
    )
    refused(
        joc.run(
            "users",
            "add",
            "y",
            "--partner",
            "krg",
            "--role",
            "analyst",
            "--password",
            "short",
            check=False,
        ),
        "12 characters",
    )
    bad_role = joc.run("users", "add", "z", "--partner", "krg", "--role", "king", check=False)
    assert bad_role.returncode == 2
    assert "Traceback" not in bad_role.stderr


# --- reports -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (("--tlp", "purple"), ("unknown TLP level 'purple'", "amber+strict")),
        (("--grade", "Z9"), ("bad grade 'Z9'",)),
        (("--grade", "B7"), ("bad grade 'B7'",)),
        (("--releasable-to", "krg,mossad"), ("unknown partner 'mossad'",)),
        (("--lat", "36.34"), ("--lat and --lon",)),
        (("--lon", "43.13"), ("--lat and --lon",)),
    ],
    ids=["tlp", "grade-letter", "grade-digit", "releasable-to", "lat-alone", "lon-alone"],
)
def test_reports_add_refuses_bad_input_and_stores_nothing(
    joc: Node, options: tuple[str, ...], words: tuple[str, ...]
) -> None:
    before = joc.rows()
    done = joc.run(
        "reports", "add", "--title", "Checkpoint attack", "--json", *options, check=False
    )
    refused(done, *words)
    assert done.stdout == ""
    assert joc.rows() == before == 0


def test_reports_list_as_an_unknown_user(joc: Node) -> None:
    refused(
        joc.run("reports", "list", "--as", "nobody", "--json", check=False),
        "no user named 'nobody'",
    )


# --- STIX files ----------------------------------------------------------------------------------

CASES = {
    "green to krg": ("green", "krg"),
    "red to krg": ("red", "krg"),
    "green to the asayish": ("green", "krg-asayish"),
    "amber to krg and jcc": ("amber", "krg,jcc"),
    "amber to jcc": ("amber", "jcc"),
    "strict to krg": ("amber+strict", "krg"),
    "red to jcc": ("red", "jcc"),
    "kept at joc": ("clear", ""),
}
FOR_KRG = {"green to krg", "red to krg", "green to the asayish", "amber to krg and jcc"}
"""What krg's node may receive: released to krg or its sub-organisation, not AMBER+STRICT."""


@dataclass(frozen=True)
class Export:
    path: Path
    bundle: dict[str, Any]


@pytest.fixture(scope="module")
def export_for_krg(templates: dict[str, Node], tmp_path_factory: pytest.TempPathFactory) -> Export:
    """joc's bundle for krg, made with `export stix --for krg` after adding every CASE."""
    base = tmp_path_factory.mktemp("export")
    node = templates["joc"].copy(base / "joc")
    for title, (tlp, to) in CASES.items():
        extra = (
            ("--lat", "35.47", "--lon", "44.39", "--grade", "B2") if title == "green to krg" else ()
        )
        node.run("reports", "add", "--title", title, "--tlp", tlp, "--releasable-to", to, *extra)
    path = base / "joc-for-krg.json"
    node.run("export", "stix", "--for", "krg", "--output", str(path))
    return Export(path, json.loads(path.read_text()))


def _names(bundle: dict[str, Any], stix_type: str = "report") -> set[str]:
    return {o["name"] for o in bundle["objects"] if o["type"] == stix_type}


def test_export_for_krg_is_valid_stix_with_only_what_krg_may_see(export_for_krg: Export) -> None:
    results = validate_string(export_for_krg.path.read_text(), ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    assert not results.errors
    bundle = export_for_krg.bundle
    assert _names(bundle) == FOR_KRG
    types = {o["type"] for o in bundle["objects"]}
    assert {"marking-definition", "identity", "extension-definition", "location"} <= types
    ids = {o["id"] for o in bundle["objects"]}
    for obj in bundle["objects"]:  # every marking used travels with the bundle
        assert set(obj.get("object_marking_refs", [])) <= ids, obj["id"]
    text = export_for_krg.path.read_text()
    for hidden in set(CASES) - FOR_KRG:
        assert hidden not in text


def test_import_of_the_export_on_a_fresh_krg_node(export_for_krg: Export, krg: Node) -> None:
    done = krg.json("import", "stix", str(export_for_krg.path))
    assert done["rejections"] == []
    assert done["created"] == len(FOR_KRG) + 1  # and the place of "green to krg"
    seen = {r["title"]: r for r in krg.json("reports", "list", "--as", "krg-analyst")}
    assert set(seen) == FOR_KRG - {"green to the asayish"}
    asayish = {r["title"] for r in krg.json("reports", "list", "--as", "asayish-analyst")}
    assert asayish == FOR_KRG - {"red to krg"}
    green = seen["green to krg"]
    assert green["originator"] == "joc"
    assert green["received_from"] == f"file:{export_for_krg.path.name}"
    assert (green["tlp"], green["releasable_to"], green["grade"]) == ("green", ["krg"], "B2")
    assert len(green["places"]) == 1
    assert seen["amber to krg and jcc"]["releasable_to"] == ["jcc", "krg"]
    refused(krg.run("reports", "mark", green["id"], "--tlp", "red", check=False), "read-only")

    again = krg.json("import", "stix", str(export_for_krg.path))
    assert (again["created"], again["updated"], again["rejected"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", ("not JSON",)),
        ('["a", "list"]', ("not a STIX bundle",)),
        (
            '{"type": "report", "id": "report--5d0c3f7e-9c2a-4f1e-8b6d-1a2b3c4d5e6f"}',
            ("not a STIX bundle",),
        ),
        (
            '{"type": "bundle", "id": "bundle--5d0c3f7e-9c2a-4f1e-8b6d-1a2b3c4d5e6f",'
            ' "objects": {}}',
            ("not a list",),
        ),
        ("", ("not JSON",)),
    ],
    ids=["not-json", "a-list", "not-a-bundle", "objects-not-a-list", "empty"],
)
def test_a_malformed_file_is_refused_whole(
    krg: Node, tmp_path: Path, content: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    refused(
        krg.run("import", "stix", str(path), "--json", check=False), *words, "nothing was stored"
    )
    assert krg.rows() == 0


def test_a_bundle_with_bad_objects_imports_the_good_ones(
    export_for_krg: Export, krg: Node, tmp_path: Path
) -> None:
    good = export_for_krg.bundle["objects"]
    report = next(o for o in good if o["type"] == "report" and o["name"] == "amber to krg and jcc")
    unmarked = {**report, "id": "report--0b0e9a52-5c1e-4d0b-9a57-7d1f0c2a3e41", "name": "unmarked"}
    unmarked["object_marking_refs"] = [
        r for r in report["object_marking_refs"] if "55d920b0" not in r
    ]
    not_for_krg = {
        **report,
        "id": "report--1b0e9a52-5c1e-4d0b-9a57-7d1f0c2a3e41",
        "name": "jcc only",
    }
    not_for_krg["object_marking_refs"] = [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    ]
    bad = [
        {**report, "id": "report--not-a-uuid"},
        {**report, "id": "report--2b0e9a52-5c1e-4d0b-9a57-7d1f0c2a3e41", "modified": "yesterday"},
        {**report, "id": "malware--3b0e9a52-5c1e-4d0b-9a57-7d1f0c2a3e41", "type": "malware"},
        unmarked,
        not_for_krg,
        "just a string",
    ]
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps({**export_for_krg.bundle, "objects": [*good, *bad]}))
    done = krg.json("import", "stix", str(path))
    assert done["created"] == len(FOR_KRG) + 1
    assert done["rejected"] == len(bad)
    reasons = {r["id"]: r["reason"] for r in done["rejections"]}
    assert len(done["rejections"]) == len(bad)
    assert "not a STIX identifier" in reasons["report--not-a-uuid"]
    assert "modified" in reasons["report--2b0e9a52-5c1e-4d0b-9a57-7d1f0c2a3e41"]
    assert "malware" in reasons["malware--3b0e9a52-5c1e-4d0b-9a57-7d1f0c2a3e41"]
    assert "no TLP marking" in reasons[unmarked["id"]]
    assert "not releasable to krg" in reasons[not_for_krg["id"]]
    assert "JSON object" in reasons[""]
    titles = {r["title"] for r in krg.json("reports", "list", "--as", "krg-analyst")}
    assert titles == FOR_KRG - {"green to the asayish"}


# --- versions and tombstones that cross on the way ------------------------------------------------

T1 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
T2 = T1 + timedelta(hours=1)
NARROWED = T2 - timedelta(microseconds=1)
"""How tansiq dates the tombstone of a narrowing: just before the new version."""
RELAYED = "report--4d2f6b0e-8a51-4c1e-9f0a-2b7c5d3e1a90"


def _version(to: set[str], modified: datetime) -> list[dict[str, Any]]:
    """joc's report RELAYED released to `to`, as of `modified`, with its marking definition."""
    marking = Marking(Tlp.AMBER, "joc", frozenset(to))
    draft = ReportDraft(title="relayed report", text="", published=T1)
    bodies = stix.report_objects(
        draft, report_id=RELAYED, created=T1, modified=modified, marking=marking
    )
    definition = stix.releasability_marking(to)
    assert definition is not None
    return [definition, *bodies]


JCC_KEY = SigningKey.generate()
"""jcc's node key: the relay's tombstones below are signed with it, and krg pins it."""


def _tombstone(to: set[str], modified: datetime) -> list[dict[str, Any]]:
    """What jcc passes on when it loses sight of RELAYED: its copy, revoked as of `modified`,
    signed by jcc."""
    definition, report = _version(to, T1)
    stone = {**report, "revoked": True, "modified": stix.stix_time(modified)}
    return [definition, sign_as(stone, "jcc", JCC_KEY)]


def _import(node: Node, path: Path, objects: list[dict[str, Any]], peer: str) -> Any:
    path.write_bytes(stix.dumps(stix.bundle(objects)))
    return node.json("import", "stix", str(path), "--peer", peer)


def _relayed(node: Node) -> list[tuple[str, list[str]]]:
    listed = node.json("reports", "list", "--as", "krg-analyst")
    return [(r["title"], r["releasable_to"]) for r in listed if r["id"] == RELAYED]


def test_a_relayed_tombstone_for_a_version_already_held_changes_nothing(
    krg: Node, tmp_path: Path
) -> None:
    """joc narrows a report from krg+jcc to krg: krg holds the new version when jcc, which lost
    sight of it, passes on the tombstone it got (dated just before the new version). krg is
    still entitled to its copy and keeps it."""
    krg.run("peers", "key", "jcc", JCC_KEY.public())
    _import(krg, tmp_path / "v1.json", _version({"krg", "jcc"}, T1), "joc")
    _import(krg, tmp_path / "v2.json", _version({"krg"}, T2), "joc")
    assert _relayed(krg) == [("relayed report", ["krg"])]
    path = tmp_path / "tombstone.json"
    path.write_bytes(stix.dumps(stix.bundle(_tombstone({"krg", "jcc"}, NARROWED))))
    done = krg.run("import", "stix", str(path), "--peer", "jcc", "--json", check=False)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0
    assert (json.loads(done.stdout)["withdrawn"], json.loads(done.stdout)["rejected"]) == (0, 0)
    assert _relayed(krg) == [("relayed report", ["krg"])]


def test_a_copy_hidden_by_a_relayed_tombstone_comes_back_with_the_new_version(
    krg: Node, tmp_path: Path
) -> None:
    """The same crossing the other way round: jcc's tombstone arrives first and hides krg's
    copy (fail closed: jcc can no longer vouch for it), then joc's new version, released to
    krg, shows it again."""
    krg.run("peers", "key", "jcc", JCC_KEY.public())
    _import(krg, tmp_path / "v1.json", _version({"krg", "jcc"}, T1), "joc")
    hidden = _import(krg, tmp_path / "tombstone.json", _tombstone({"krg", "jcc"}, NARROWED), "jcc")
    assert hidden["withdrawn"] == 1
    assert _relayed(krg) == []
    path = tmp_path / "v2.json"
    path.write_bytes(stix.dumps(stix.bundle(_version({"krg"}, T2))))
    done = krg.run("import", "stix", str(path), "--peer", "joc", "--json", check=False)
    assert "Traceback" not in done.stderr, done.stderr
    back = json.loads(done.stdout)
    assert (back["updated"], back["rejected"]) == (1, 0), back
    assert _relayed(krg) == [("relayed report", ["krg"])]


# --- sync ----------------------------------------------------------------------------------------


def test_sync_with_a_peer_that_does_not_answer(krg: Node) -> None:
    krg.run("peers", "add", "joc", "--url", f"http://127.0.0.1:{free_port()}/", "--token", "tq_x")
    for args in (("sync", "joc"), ("sync",), ("sync", "joc", "--json")):
        refused(krg.run(*args, check=False), "peer joc", "127.0.0.1")
    refused(krg.run("sync", "jcc", check=False), "unknown peer 'jcc'")


@pytest.fixture
def joc_serving(joc: Node, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tansiq", "serve", "--db", joc.db, "--port", str(port)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"tansiq serve exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, "tansiq serve did not start"
            try:
                if httpx.get(f"{url}api/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sync_with_a_wrong_token_names_401(joc: Node, krg: Node, joc_serving: str) -> None:
    krg.run("peers", "add", "joc", "--url", joc_serving, "--token", "tq_not-the-token")
    refused(krg.run("sync", "joc", check=False), "peer joc", "401")
    krg.run("peers", "add", "joc", "--url", joc_serving, "--token", joc.tokens["krg-node"])
    done = krg.json("sync", "joc")
    assert (done["peer"], done["rejected"]) == ("joc", 0)


# --- signing keys --------------------------------------------------------------------------------


def _pin_of(node: Node, peer: str) -> tuple[str | None, str | None]:
    listed = {p["peer"]: p for p in node.json("peers", "list")}
    return listed[peer]["public_key"], listed[peer]["key_pinned_by"]


def test_node_key_prints_the_partner_and_the_key_made_by_init(joc: Node) -> None:
    shown = joc.json("node", "key")
    assert shown["partner"] == "joc"
    assert shown["public_key"].startswith("ed25519:")
    plain = joc.run("node", "key")
    assert plain.stdout == f"joc {shown['public_key']}\n"
    assert f"tansiq peers key joc {shown['public_key']}" in plain.stderr
    assert joc.json("init")["public_key"] == shown["public_key"], "init keeps the key it made"


def test_peers_add_and_peers_key_pin_a_key_given_out_of_band(joc: Node, krg: Node) -> None:
    key = joc.json("node", "key")["public_key"]
    url = f"http://127.0.0.1:{free_port()}/"
    added = krg.json("peers", "add", "joc", "--url", url, "--token", "tq_x", "--public-key", key)
    assert added == {"peer": "joc", "created": True, "key_pinned": True}
    assert _pin_of(krg, "joc") == (key, "admin")
    other = SigningKey.generate().public()
    assert krg.json("peers", "key", "joc", other)["changed"] is True
    assert _pin_of(krg, "joc") == (other, "admin")
    assert krg.json("peers", "key", "joc", other)["changed"] is False
    pins = [e for e in krg.json("audit", "list") if e["action"] == "pin-key"]
    assert [(e["subject"], e["detail"]["key"], e["detail"]["previous"]) for e in pins] == [
        ("joc", key, None),
        ("joc", other, key),
    ]
    refused(krg.run("peers", "key", "joc", "ed25519:c2hvcnQ", check=False), "not 32 bytes")
    refused(krg.run("peers", "key", "joc", "ssh-ed25519 AAAA", check=False), "ed25519:<base64url>")
    refused(krg.run("peers", "key", "mossad", other, check=False), "no peer or partner 'mossad'")
    assert _pin_of(krg, "joc") == (other, "admin")


def test_the_first_sync_pins_the_peers_key_and_a_changed_key_is_refused(
    joc: Node, krg: Node, joc_serving: str
) -> None:
    key = joc.json("node", "key")["public_key"]
    krg.run("peers", "add", "joc", "--url", joc_serving, "--token", joc.tokens["krg-node"])
    assert _pin_of(krg, "joc") == (None, None)
    report = joc.json(
        "reports", "add", "--title", "pinned", "--tlp", "amber", "--releasable-to", "krg"
    )
    assert krg.json("sync", "joc")["created"] == 1
    assert _pin_of(krg, "joc") == (key, "first-use")

    joc.run("reports", "withdraw", report["id"])
    impostor = SigningKey.generate().public()
    krg.run("peers", "key", "joc", impostor)  # as if joc had answered with this key before
    refused(
        krg.run("sync", "joc", check=False),
        f"peer joc now signs with {key}",
        f"tansiq peers key joc {key}",
    )
    assert [r["title"] for r in krg.json("reports", "list", "--as", "krg-analyst")] == ["pinned"]
    refusals = [e for e in krg.json("audit", "list") if e["action"] == "refuse-key"]
    assert [(e["subject"], e["detail"]["pinned"]) for e in refusals] == [("joc", impostor)]

    krg.run("peers", "key", "joc", key)
    done = krg.json("sync", "joc")
    assert (done["withdrawn"], done["rejected"]) == (1, 0), done
    assert krg.json("reports", "list", "--as", "krg-analyst") == []


def test_a_peer_named_after_another_partner_is_refused(
    joc: Node, krg: Node, joc_serving: str
) -> None:
    krg.run("peers", "add", "jcc", "--url", joc_serving, "--token", joc.tokens["krg-node"])
    refused(krg.run("sync", "jcc", check=False), "answers as the node of partner 'joc'")
    assert _pin_of(krg, "jcc") == (None, None)


def test_an_unsigned_tombstone_in_a_file_is_refused(krg: Node, tmp_path: Path) -> None:
    _import(krg, tmp_path / "v1.json", _version({"krg", "jcc"}, T1), "joc")
    definition, report = _version({"krg", "jcc"}, T1)
    forged = {**report, "revoked": True, "modified": stix.stix_time(T2)}
    done = _import(krg, tmp_path / "forged.json", [definition, forged], "joc")
    assert (done["withdrawn"], done["rejected"]) == (0, 1)
    (rejection,) = done["rejections"]
    assert "unsigned tombstone; it must be signed by joc" in rejection["reason"]
    assert _relayed(krg) == [("relayed report", ["jcc", "krg"])]
