"""`tansiq checkpoints add|import|list|close|verify`, run as a user runs them (SYNTHETIC data:
see tests/test_checkpoints.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq.store.database import reading
from tansiq.store.schema import audit_log
from tansiq.store.schema_checkpoints import checkpoint_audience, checkpoints
from tests.cli.runner import tansiq
from tests.nodes import setup_node

ROAD = [
    "--name",
    "Kirkuk-Tikrit road km 12 (synthetic)",
    "--unit",
    "Synthetic 8th Bde, 2nd Bn",
    "--lat",
    "35.37",
    "--lon",
    "44.30",
    "--from",
    "2026-11-01",
]
NOON = "2026-11-25T12:00:00+03:00"
NIGHT = "2026-11-25T02:00:00+03:00"


@pytest.fixture
def node(engine: Engine, db_url: str) -> str:
    setup_node(engine)
    return db_url


def state(engine: Engine) -> tuple[list[Any], list[Any], int]:
    with reading(engine) as conn:
        rows = conn.execute(sa.select(checkpoints).order_by(checkpoints.c.id)).all()
        audience = conn.execute(sa.select(checkpoint_audience)).all()
        entries = conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()
    return [tuple(r) for r in rows], sorted(tuple(r) for r in audience), int(entries)


def verify(db: str, who: str, *args: str) -> dict[str, Any]:
    done = tansiq("checkpoints", "verify", "--as", who, "--json", *args, db=db)
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_add_then_verify_by_day_and_by_night(node: str) -> None:
    added = tansiq(
        "checkpoints",
        "add",
        *ROAD,
        "--to",
        "2026-12-31",
        "--hours",
        "06:00-18:00",
        "--releasable-to",
        "krg",
        "--as",
        "joc-watch",
        "--json",
        db=node,
    )
    record = json.loads(added.stdout)
    assert record["partner"] == "joc"
    assert record["valid_from"] == "2026-10-31T21:00:00.000Z"  # the day starts in Iraq time
    assert record["valid_to"] == "2026-12-31T21:00:00.000Z"  # and ends there
    assert (record["hours"], record["hours_zone"]) == ("06:00-18:00", "UTC+03:00")
    assert record["releasable_to"] == ["krg"]

    day = tansiq(
        "checkpoints", "verify", "--lat", "35.371", "--lon", "44.301", "--at", NOON,
        "--as", "krg-analyst", db=node,
    )  # fmt: skip
    night = verify(node, "krg-analyst", "--lat", "35.371", "--lon", "44.301", "--at", NIGHT)

    assert day.stdout.startswith("VERIFIED: registered checkpoint 'Kirkuk-Tikrit road km 12")
    assert night["verified"] is False
    assert night["nearest"]["reasons"] == ["outside-hours"]


def test_the_plain_add_prints_the_id_and_list_shows_it(node: str) -> None:
    added = tansiq("checkpoints", "add", *ROAD, "--as", "joc-analyst", db=node)
    listed = json.loads(
        tansiq("checkpoints", "list", "--json", "--as", "joc-watch", db=node).stdout
    )
    hidden = json.loads(
        tansiq("checkpoints", "list", "--json", "--as", "krg-analyst", db=node).stdout
    )
    table = tansiq("checkpoints", "list", "--as", "joc-watch", db=node)

    assert added.stdout.strip() == str(listed[0]["id"])
    assert [c["name"] for c in listed] == ["Kirkuk-Tikrit road km 12 (synthetic)"]
    assert hidden == []  # released to nobody: joc's alone
    assert "Synthetic" in table.stdout


def test_close_then_it_no_longer_verifies(node: str) -> None:
    checkpoint_id = tansiq("checkpoints", "add", *ROAD, "--as", "joc-analyst", db=node).stdout
    closed = tansiq(
        "checkpoints", "close", checkpoint_id.strip(), "--at", "2026-11-20T00:00:00Z",
        "--as", "joc-analyst", "--json", db=node,
    )  # fmt: skip
    answer = verify(node, "joc-watch", "--lat", "35.37", "--lon", "44.30", "--at", NOON)
    in_force = tansiq("checkpoints", "list", "--at", NOON, "--json", "--as", "joc-watch", db=node)

    assert json.loads(closed.stdout)["closed_at"] == "2026-11-20T00:00:00.000Z"
    assert answer["nearest"]["reasons"] == ["closed"]
    assert json.loads(in_force.stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lat", "44.30", "--lon", "35.37"], "lat: 44.3 is not in Iraq or near it"),
        (["--lon", "-44.30"], "lon: -44.3 is not in Iraq or near it"),
        (["--from", "2026-11-01T06:00:00"], "from: a date-time needs a zone"),
        (["--from", "1 Nov"], "from: not an ISO date-time"),
        (["--to", "2026-10-01"], "to: 2026-10-01T21:00:00+00:00 is not after from"),
        (["--hours", "6-18"], "hours: expected HH:MM-HH:MM"),
        (["--kind", "flying"], "kind: unknown 'flying'"),
        (["--tlp", "purple"], "unknown TLP level 'purple'"),
        (["--releasable-to", "kgr"], "releasable_to: unknown partner 'kgr'"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    node: str, engine: Engine, args: list[str], message: str
) -> None:
    before = state(engine)
    done = tansiq("checkpoints", "add", *ROAD, *args, "--as", "joc-analyst", db=node, check=False)
    assert done.returncode == 1
    assert f"error: {message}" in done.stderr
    assert "Traceback" not in done.stderr
    assert state(engine) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tolerance-m", "10"], "tolerance_m: must be 25 to 5,000 metres"),
        (["--tolerance-m", "6000"], "tolerance_m: must be 25 to 5,000 metres"),
        (["--at", "2026-11-25 02:00"], "at: a date-time needs a zone"),
        (["--lat", "0"], "lat: 0.0 is not in Iraq or near it"),
    ],
)
def test_a_bad_verify_names_the_field(node: str, args: list[str], message: str) -> None:
    base = ["--lat", "35.37", "--lon", "44.30", "--at", NOON]
    done = tansiq(
        "checkpoints", "verify", *base, *args, "--as", "krg-analyst", db=node, check=False
    )
    assert done.returncode == 1
    assert f"error: {message}" in done.stderr


def test_a_peer_account_may_not_register(node: str, engine: Engine) -> None:
    before = state(engine)
    done = tansiq("checkpoints", "add", *ROAD, "--as", "krg-node", db=node, check=False)
    assert "error: a peer account may not register or close checkpoints" in done.stderr
    assert state(engine) == before


HEADER = "name,unit,latitude,longitude,from,to,hours,kind,tlp,releasable_to"
GOOD = [
    "Kirkuk-Tikrit road km 12 (synthetic),Synthetic 8th Bde 2nd Bn,35.37,44.30,2026-11-01,,,"
    "fixed,,",
    "Taza junction (synthetic),Synthetic 8th Bde 3rd Bn,35.305,44.33,2026-11-01T06:00:00+03:00,"
    "2026-12-01,06:00-18:00,temporary,amber,krg",
]


def write_csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_import_writes_the_whole_file(node: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "joc.csv", HEADER, *GOOD)

    done = tansiq(
        "checkpoints", "import", str(path), "--releasable-to", "krg", "--as", "joc-analyst",
        "--json", db=node,
    )  # fmt: skip
    summary = json.loads(done.stdout)
    seen = json.loads(
        tansiq("checkpoints", "list", "--json", "--as", "krg-analyst", db=node).stdout
    )

    assert (summary["read"], summary["created"]) == (2, 2)
    by_name = {c["name"]: c for c in seen}
    assert by_name["Taza junction (synthetic)"]["kind"] == "mobile"
    assert by_name["Taza junction (synthetic)"]["hours"] == "06:00-18:00"
    assert by_name["Kirkuk-Tikrit road km 12 (synthetic)"]["releasable_to"] == ["krg"]
    again = tansiq("checkpoints", "import", str(path), "--as", "joc-analyst", db=node, check=False)
    assert "line 2: name: already registered" in again.stderr
    assert "line 3: name: already registered" in again.stderr


def test_import_is_all_or_nothing_with_every_bad_row_by_line_and_column(
    node: str, engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "joc.csv",
        HEADER,
        GOOD[0],
        "CP bad point (synthetic),Synthetic unit,44.30,35.37,2026-11-01,,,,,",
        "CP bad time (synthetic),Synthetic unit,35.30,44.30,2026-11-01T06:00,,25:00-06:00,,,",
        "CP bad period (synthetic),Synthetic unit,35.30,44.30,2026-11-02,2026-11-01,,,,kgr",
        GOOD[0],
        GOOD[1],
    )
    before = state(engine)

    done = tansiq("checkpoints", "import", str(path), "--as", "joc-analyst", db=node, check=False)

    assert done.returncode == 1
    for line in (
        "line 3: latitude: 44.3 is not in Iraq or near it",
        "line 4: from: a date-time needs a zone",
        "line 4: hours: not a time of day",
        "line 5: to: 2026-11-01T21:00:00+00:00 is not after from",
        "line 5: releasable_to: unknown partner 'kgr'",
        "line 6: name: 'Kirkuk-Tikrit road km 12 (synthetic)' from the same time is also on line 2",
    ):
        assert line in done.stderr, done.stderr
    assert "nothing was stored" in done.stderr
    assert state(engine) == before


def test_import_refuses_a_file_without_its_columns(node: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "joc.csv", "name,latitude,longitude", "x,35.3,44.3")
    done = tansiq("checkpoints", "import", str(path), "--as", "joc-analyst", db=node, check=False)
    assert "line 1: header: missing required column(s): unit" in done.stderr
