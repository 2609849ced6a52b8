"""`tansiq ops` as the issue writes it: add, submit, approve, veto, activate, close, show, list,
conflicts, ack, escalate; bad input refused with the field named and nothing stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tansiq import accounts, positions
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.store.database import writing
from tests.cli.runner import tansiq
from tests.conftest import FROZEN_NOW
from tests.factories import make_position
from tests.nodes import setup_node

START, END = "2026-11-26T02:00:00Z", "2026-11-26T06:00:00+03:00"
POLYGON = "POLYGON ((44.38 35.46, 44.40 35.46, 44.40 35.48, 44.38 35.48, 44.38 35.46))"


@pytest.fixture
def db(engine: Engine, db_url: str) -> str:
    setup_node(engine)
    with writing(engine) as conn:
        for name, partner in (("joc-approver", "joc"), ("krg-approver", "krg")):
            accounts.create_user(conn, name, partner, Role.APPROVER, None, FROZEN_NOW)
    return db_url


def ops(db: str, *args: str, check: bool = True) -> Any:
    done = tansiq("ops", *args, db=db, check=check)
    if not check:
        return done
    return json.loads(done.stdout) if "--json" in args else done.stdout.strip()


def add_kirkuk_raid(db: str, *more: str) -> dict[str, Any]:
    return dict(
        ops(
            db, "add", "--name", "Raid on the Wadi al-Shay hideout",
            "--lat", "35.468", "--lon", "44.392", "--radius-m", "300",
            "--start", START, "--end", END, "--type", "raid", "--json",
            "--as", "joc-analyst", "--releasable-to", "krg", "--unit", "8th Division", *more,
        )
    )  # fmt: skip


def test_the_issues_commands_plan_approve_run_and_close_an_operation(db: str) -> None:
    added = add_kirkuk_raid(db)
    op = added["id"]
    assert op.startswith("operation--")
    assert (added["state"], added["version"], added["sides_needed"]) == ("draft", 1, ["joc", "krg"])
    assert added["start"] == "2026-11-26T02:00:00Z"
    assert added["end"] == "2026-11-26T03:00:00Z"  # +03:00 kept in UTC

    assert ops(db, "submit", op, "--as", "joc-analyst") == f"{op} pending-approval"
    assert ops(db, "approve", op, "--as", "joc-approver") == f"{op} pending-approval"
    approved = ops(db, "approve", op, "--as", "krg-approver", "--json")
    assert approved == {"id": op, "state": "approved"}
    shown = ops(db, "show", op, "--as", "krg-approver", "--json")
    assert shown["hash"] == added["hash"]
    assert [(a["side"], a["validity"]) for a in shown["approvals"]] == [
        ("joc", "valid"),
        ("krg", "valid"),
    ]
    assert ops(db, "activate", op, "--as", "joc-analyst") == f"{op} active"
    assert ops(db, "close", op, "--as", "joc-analyst", "--reason", "done") == f"{op} closed"
    listed = ops(db, "list", "--as", "krg-analyst", "--json")
    assert [(o["id"], o["state"]) for o in listed] == [(op, "closed")]
    text = ops(db, "show", op, "--as", "joc-analyst")
    assert "state closed, version 1" in text


def test_a_polygon_planned_at_the_console_and_a_corridor(db: str) -> None:
    patrol = ops(
        db, "add", "--name", "Laylan patrol", "--wkt", POLYGON, "--start", START,
        "--end", "2026-11-26T08:00:00Z", "--type", "patrol",
    )  # fmt: skip
    assert patrol.startswith("operation--")
    corridor = ops(
        db, "add", "--name", "Convoy escort", "--wkt", "LINESTRING (44.0 36.19, 44.39 35.47)",
        "--width-m", "400", "--start", START, "--end", END, "--type", "escort", "--json",
    )  # fmt: skip
    assert corridor["area"] == {
        "kind": "corridor",
        "wkt": "LINESTRING (44 36.19, 44.39 35.47)",
        "extent_m": 200.0,
    }
    assert corridor["owner"] == "joc"  # the node's partner, for its administrator


def test_an_edit_voids_the_approvals_and_a_veto_needs_a_reason(db: str) -> None:
    op = add_kirkuk_raid(db)["id"]
    ops(db, "submit", op, "--as", "joc-analyst")
    ops(db, "approve", op, "--as", "joc-approver")
    edited = ops(db, "edit", op, "--name", "Raid, second plan", "--as", "joc-analyst", "--json")
    assert edited == {"id": op, "state": "draft", "version": 2, "changed": True, "voided": 1}
    shown = ops(db, "show", op, "--as", "joc-analyst", "--json")
    assert [a["validity"] for a in shown["approvals"]] == ["void"]
    ops(db, "submit", op, "--as", "joc-analyst")
    refused = ops(db, "veto", op, "--as", "krg-approver", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: reason: a veto needs a reason"
    vetoed = ops(db, "veto", op, "--as", "krg-approver", "--reason", "our patrol is there")
    assert vetoed == f"{op} vetoed"


def test_break_glass_from_the_command_line(db: str) -> None:
    op = add_kirkuk_raid(db)["id"]
    ops(db, "submit", op, "--as", "joc-analyst")
    refused = ops(db, "activate", op, "--break-glass", "--as", "joc-approver", check=False)
    assert refused.stderr.strip() == "error: reason: a break-glass activation needs a reason"
    done = ops(
        db, "activate", op, "--break-glass", "--reason", "hostages moved tonight",
        "--as", "joc-approver", "--json",
    )  # fmt: skip
    assert done == {"id": op, "state": "active", "break_glass": True}
    told = ops(db, "conflicts", "--as", "krg-analyst", "--json")
    assert [(n["owner"], n["kind"]) for n in told["notices"]] == [("joc", "break-glass")]
    tasks = json.loads(tansiq("tasks", "list", "--as", "krg-analyst", "--json", db=db).stdout)
    assert any(op in json.dumps(t) for t in tasks)


def test_escalate_sweeps_passed_deadlines(db: str) -> None:
    op = add_kirkuk_raid(db)["id"]
    ops(db, "submit", op, "--as", "joc-analyst")
    assert ops(db, "escalate") == "nothing to escalate"
    later = (datetime.now(UTC) + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    raised = ops(db, "escalate", "--at", later, "--json")
    assert [(e["operation"], e["side"], e["level"]) for e in raised] == [
        (op, "joc", 1),
        (op, "krg", 1),
    ]
    assert ops(db, "show", op, "--as", "joc-analyst", "--json")["state"] == "pending-approval"


def test_conflicts_are_listed_whom_to_call_and_acknowledged(
    db: str, engine: Engine, locator: AreaLocator
) -> None:
    with writing(engine) as conn:
        post = make_position(partner="krg", name="Peshmerga post 7", latitude=35.47, longitude=44.4)
        positions.save(conn, locator, [post], "test", FROZEN_NOW)
    op = add_kirkuk_raid(db)["id"]
    ops(db, "submit", op, "--as", "joc-analyst")
    krg = ops(db, "conflicts", "--as", "krg-analyst", "--json")["conflicts"]
    assert [c["other"][0]["partner"] for c in krg] == ["joc"]
    assert "Wadi" not in json.dumps(krg)
    assert op not in json.dumps(krg)
    shown = ops(db, "show", op, "--as", "joc-analyst", "--json")
    (conflict,) = shown["conflicts"]
    assert (
        conflict["other"][0]["contact"]
        == "KRG Ministry of Peshmerga Affairs operations room duty officer"
    )
    number = str(conflict["id"])
    assert ops(db, "ack", number, "--as", "joc-analyst") == f"conflict {number} open"
    assert ops(db, "ack", number, "--as", "krg-analyst") == f"conflict {number} acknowledged"
    text = ops(db, "conflicts", "--as", "joc-analyst")
    assert f"{number} [acknowledged] space-time" in text
    assert "call KRG Ministry" in text


AREA = ["--wkt", POLYGON]
WINDOW = ["--start", START, "--end", END]
RAID = ["--type", "raid"]
NO_CELL = "intrusion-set--00000000-0000-4000-8000-000000000000"
BAD_INPUT = [
    ([*WINDOW, *RAID], "wkt: give the area"),
    ([*AREA, "--lat", "35", *WINDOW, *RAID], "wkt: give --wkt"),
    (["--lat", "35.4", "--lon", "44.3", *WINDOW, *RAID], "lat/lon: a point area needs"),
    (["--wkt", "POLYGON ((44 35, 45 35", *WINDOW, *RAID], "wkt: not well-formed WKT"),
    (["--wkt", "LINESTRING (44 35, 45 36)", *WINDOW, *RAID], "width_m: a route corridor"),
    ([*AREA, *WINDOW, "--type", "ambush"], "type: unknown operation type"),
    ([*AREA, "--start", "tomorrow", "--end", END, *RAID], "start: 'tomorrow' is not"),
    ([*AREA, "--start", END, "--end", START, *RAID], "end: the window ends before it starts"),
    ([*AREA, *WINDOW, *RAID, "--releasable-to", "isis"], "releasable_to: unknown partner"),
    ([*AREA, *WINDOW, *RAID, "--subject", NO_CELL], "no such object"),
    (["--lat", "35.4", "--lon", "44.3", "--radius-m", "-5", *WINDOW, *RAID], "radius_m: must be"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_names_the_field_and_stores_nothing(
    db: str, args: list[str], message: str
) -> None:
    done = ops(db, "add", "--name", "x", *args, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: {message}"), done.stderr
    assert ops(db, "list", "--json") == []


def test_an_operation_not_released_to_a_user_is_no_such_operation(db: str) -> None:
    op = ops(
        db, "add", "--name", "JOC only", "--wkt", POLYGON, "--start", START, "--end", END,
        "--type", "raid", "--as", "joc-analyst",
    )  # fmt: skip
    missing = "operation--00000000-0000-4000-8000-000000000000"
    for command in (["show"], ["approve"], ["submit"], ["cancel"]):
        hidden = ops(db, *command, op, "--as", "krg-approver", check=False)
        absent = ops(db, *command, missing, "--as", "krg-approver", check=False)
        assert hidden.returncode == absent.returncode == 1
        assert hidden.stderr.replace(op, "ID") == absent.stderr.replace(missing, "ID")
    assert ops(db, "list", "--as", "krg-analyst", "--json") == []
