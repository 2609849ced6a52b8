"""Joint operations between two real nodes, joc's and krg's, driven as their officers drive them.

Each node is a `tansiq serve` process on its own database (krg's on PostgreSQL when the suite
has one) and pulls the other with `tansiq sync`. What crosses: an operation goes to the
partners it is released to and only its planning node changes it; each node's approvers sign
on their own node and the decision travels back; deconfliction pointers (footprints) go to
every peer, so a conflict is found on both nodes, and each side is told only that it exists
and whom to call.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tansiq.settings import sqlite_url
from tests.conftest import _pg_drop, _pg_schema_url, _pg_server
from tests.multinode.conftest import Node, parallel

pytestmark = pytest.mark.slow

APPROVERS = {"joc": "joc-approver", "krg": "krg-approver"}
PLANNER = "joc-analyst"
KIRKUK = ("35.468", "44.392")  # Kirkuk city: a disputed district
TIKRIT = ("34.600", "43.680")  # Tikrit: not disputed (joc's own zone)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Node]]:
    base = tmp_path_factory.mktemp("pair")
    server = _pg_server()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    krg_db = _pg_schema_url(server, schema) if server else sqlite_url(base / "krg.db")
    pair = {
        "joc": Node("joc", sqlite_url(base / "joc.db"), base / "joc"),
        "krg": Node("krg", krg_db, base / "krg"),
    }
    try:
        parallel(Node.open_shell, pair.values())
        parallel(Node.setup, pair.values())
        for node in pair.values():
            for partner, user in APPROVERS.items():
                node.run("users", "add", user, "--partner", partner, "--role", "approver")
        parallel(Node.start, pair.values())
        for node in pair.values():
            other = pair["krg" if node.code == "joc" else "joc"]
            token = other.tokens[node.code]
            node.run("peers", "add", other.code, "--url", other.url, "--token", token)
        yield pair
    finally:
        for node in pair.values():
            node.stop()
        if server:
            _pg_drop(server, schema)


def _sync(nodes: dict[str, Node], *order: str) -> None:
    """Each named node pulls the other, in this order."""
    for code in order:
        pulled = nodes[code].sync("krg" if code == "joc" else "joc")
        assert pulled["coordination"]["rejected"] == 0, pulled


def _window(days: int) -> tuple[str, str]:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return start.isoformat(), (start + timedelta(hours=4)).isoformat()


def _plan(joc: Node, name: str, where: tuple[str, str], *extra: str, days: int = 3) -> str:
    start, end = _window(days)
    made = joc.json(
        "ops", "add", "--name", name, "--lat", where[0], "--lon", where[1],
        "--radius-m", "400", "--start", start, "--end", end, "--type", "raid",
        "--unit", "SYNTHETIC 1st Battalion", "--as", PLANNER, *extra,
    )  # fmt: skip
    return str(made["id"])


def _submitted(nodes: dict[str, Node], name: str) -> str:
    """A joc raid in Kirkuk, released to krg, submitted on joc's node and pulled by krg's."""
    op = _plan(nodes["joc"], name, KIRKUK, "--releasable-to", "krg")
    assert nodes["joc"].json("ops", "submit", op, "--as", PLANNER)["state"] == "pending-approval"
    _sync(nodes, "krg")
    return op


def _show(node: Node, op: str, who: str) -> dict[str, Any]:
    found: dict[str, Any] = node.json("ops", "show", op, "--as", who)
    return found


def _decide(node: Node, op: str, action: str, *extra: str) -> dict[str, Any]:
    found: dict[str, Any] = node.json("ops", action, op, "--as", APPROVERS[node.code], *extra)
    return found


def _valid_sides(shown: dict[str, Any]) -> set[str]:
    return {a["side"] for a in shown["approvals"] if a["validity"] == "valid"}


def test_an_operation_in_a_disputed_district_needs_both_keys(nodes: dict[str, Node]) -> None:
    joc, krg = nodes["joc"], nodes["krg"]
    op = _submitted(nodes, "Raid on a cell in Kirkuk (synthetic)")
    copy = _show(krg, op, APPROVERS["krg"])
    planned = _show(joc, op, PLANNER)
    assert (copy["state"], copy["hash"]) == ("pending-approval", planned["hash"])
    assert copy["sides_needed"] == ["joc", "krg"]

    _decide(krg, op, "approve")
    _sync(nodes, "joc")
    assert _show(joc, op, PLANNER)["state"] == "pending-approval"  # one key is not enough
    assert _decide(joc, op, "approve")["state"] == "approved"
    _sync(nodes, "krg")

    for node, who in ((joc, PLANNER), (krg, APPROVERS["krg"])):
        shown = _show(node, op, who)
        assert shown["state"] == "approved", node.code
        assert _valid_sides(shown) == {"joc", "krg"}, node.code
    joc.run("ops", "activate", op, "--as", PLANNER)
    _sync(nodes, "krg")
    assert _show(krg, op, APPROVERS["krg"])["state"] == "active"


def test_only_the_planning_node_changes_an_operation(nodes: dict[str, Node]) -> None:
    op = _submitted(nodes, "Raid planned by joc only (synthetic)")
    krg = nodes["krg"]
    start, end = _window(5)
    for args in (
        ("edit", op, "--start", start, "--end", end),
        ("activate", op, "--break-glass", "--reason", "not ours"),
        ("cancel", op),
    ):
        done = krg.run("ops", *args, "--as", "joc-analyst", check=False)
        assert done.returncode == 1, args
        assert "planned on joc's node" in done.stderr
    assert _show(krg, op, APPROVERS["krg"])["version"] == 1


def test_an_edit_voids_both_keys_on_both_nodes(nodes: dict[str, Node]) -> None:
    joc, krg = nodes["joc"], nodes["krg"]
    op = _submitted(nodes, "Raid to be moved (synthetic)")
    _decide(krg, op, "approve")
    _sync(nodes, "joc")
    assert _decide(joc, op, "approve")["state"] == "approved"
    start, end = _window(4)
    joc.run("ops", "edit", op, "--start", start, "--end", end, "--as", PLANNER)
    _sync(nodes, "krg")

    for node, who in ((joc, PLANNER), (krg, APPROVERS["krg"])):
        shown = _show(node, op, who)
        assert (shown["state"], shown["version"]) == ("draft", 2), node.code
        assert _valid_sides(shown) == set(), node.code
        assert {a["validity"] for a in shown["approvals"]} == {"void"}, node.code
    refused = krg.run("ops", "approve", op, "--as", APPROVERS["krg"], check=False)
    assert refused.returncode == 1


def test_a_veto_on_the_other_node_stops_the_operation(nodes: dict[str, Node]) -> None:
    joc, krg = nodes["joc"], nodes["krg"]
    op = _submitted(nodes, "Raid krg vetoes (synthetic)")
    reason = "our unit is already in that quarter tonight"
    assert _decide(krg, op, "veto", "--reason", reason)["state"] == "vetoed"
    _sync(nodes, "joc")

    shown = _show(joc, op, PLANNER)
    assert shown["state"] == "vetoed"
    assert [(v["side"], v["reason"]) for v in shown["vetoes"]] == [("krg", reason)]
    refused = joc.run("ops", "activate", op, "--as", PLANNER, check=False)
    assert refused.returncode == 1


def test_break_glass_is_recorded_and_the_other_side_reviews_it(nodes: dict[str, Node]) -> None:
    joc, krg = nodes["joc"], nodes["krg"]
    op = _submitted(nodes, "Raid launched on one key (synthetic)")
    reason = "hostages moved within the hour"
    activated = _decide(joc, op, "activate", "--break-glass", "--reason", reason)
    assert activated["state"] == "active"
    _sync(nodes, "krg")

    copy = _show(krg, op, APPROVERS["krg"])
    assert (copy["state"], copy["break_glass"]) == ("active", True)
    tasks = krg.json("tasks", "list", "--as", "krg-analyst")
    items = tasks["items"] if isinstance(tasks, dict) else tasks
    reviews = [t for t in items if t["source_ref"] == op]
    assert len(reviews) == 1
    assert reviews[0]["to_partner"] == "krg"
    assert "break-glass" in reviews[0]["title"]


def _conflicts(node: Node, who: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = node.json("ops", "conflicts", "--as", who)["conflicts"]
    return found


def test_a_conflict_is_found_on_both_nodes_and_tells_each_side_only_whom_to_call(
    nodes: dict[str, Node], tmp_path: Path
) -> None:
    joc, krg = nodes["joc"], nodes["krg"]
    post = "KRG liaison post by the Tikrit bridge (synthetic)"
    lat, lon = "34.6030", "43.6830"  # 350 m from the raid's centre
    csv = tmp_path / "posts.csv"
    csv.write_text(f"partner,kind,name,lat,lon,radius_m\nkrg,checkpoint,{post},{lat},{lon},500\n")
    krg.run("positions", "import", str(csv))
    name = "Raid on a safe house in Tikrit (synthetic)"
    op = _plan(joc, name, TIKRIT)  # not released to krg: its plan stays joc's
    assert joc.json("ops", "submit", op, "--as", PLANNER)["state"] == "pending-approval"
    _sync(nodes, "joc", "krg")

    on_joc = [c for c in _conflicts(joc, PLANNER) if c["yours"][0]["ref"] == op]
    on_krg = [c for c in _conflicts(krg, "krg-analyst") if c["other"][0]["partner"] == "joc"]
    assert len(on_joc) == 1
    assert len(on_krg) == 1
    assert on_joc[0]["other"][0]["partner"] == "krg"
    assert on_joc[0]["other"][0]["contact"]
    assert on_krg[0]["yours"][0]["kind"] == "position"
    assert on_krg[0]["other"][0]["contact"]
    joc_told, krg_told = json.dumps(on_joc), json.dumps(on_krg)
    for secret in (post, lat, lon, "Tikrit bridge"):
        assert secret not in joc_told
    for secret in (name, op, "43.68", "34.6", "raid", "Battalion"):
        assert secret not in krg_told
    hidden = krg.run("ops", "show", op, "--as", "krg-analyst", check=False)
    assert hidden.returncode == 1
    for node in (joc, krg):
        assert _conflicts(node, "jcc-analyst") == []

    joc.run("ops", "ack", str(on_joc[0]["id"]), "--as", PLANNER)
    krg.run("ops", "ack", str(on_krg[0]["id"]), "--as", "krg-analyst")
    assert _conflicts(joc, PLANNER)[0]["yours"][0]["acknowledged"] is True


def test_both_audit_chains_verify(nodes: dict[str, Node]) -> None:
    for node in nodes.values():
        done = node.run("audit", "verify", check=False)
        assert done.returncode == 0, done.stdout + done.stderr
