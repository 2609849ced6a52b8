"""`tansiq border` as people run it: sectors, assign, rules, CSV import (all or nothing), alerts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tansiq.store.database import create_db_engine, reading
from tansiq.store.schema_border import border_observations
from tests.cli.runner import tansiq
from tests.store.test_border import near

HEADER = "kind,lat,lon,observed_at,text,ref,releasable_to\n"


@pytest.fixture
def node(db_url: str) -> str:
    tansiq("init", "--partner", "joc", db=db_url)
    tansiq("partners", "add", "krg", "--name", "KRG", db=db_url)
    tansiq("users", "add", "ali", "--partner", "joc", "--role", "watch", db=db_url)
    tansiq("users", "add", "rebin", "--partner", "krg", "--role", "analyst", db=db_url)
    return db_url


def _json(*args: str, db: str) -> Any:
    return json.loads(tansiq(*args, "--json", db=db).stdout)


def _row(sector: str, at: str, ref: str, kind: str = "crossing-attempt", east: float = 0.02) -> str:
    lat, lon = near(sector, east)
    return f"{kind},{lat},{lon},{at},seen,{ref},krg\n"


def _stored(db: str) -> int:
    engine = create_db_engine(db)
    with reading(engine) as conn:
        count = int(
            conn.execute(sa.select(sa.func.count()).select_from(border_observations)).scalar_one()
        )
    engine.dispose()
    return count


def test_sectors_init_list_and_assign(node: str) -> None:
    first = _json("border", "sectors", "init", db=node)
    again = _json("border", "sectors", "init", db=node)
    assigned = _json(
        "border", "assign", "IQG15Q07-01", "--unit", "1st Border Rgt", "--partner", "krg", db=node
    )
    listed = _json("border", "sectors", db=node)

    assert first == {"created": 32, "sectors": 32}
    assert again == {"created": 0, "sectors": 32}
    assert assigned["partner"] == "krg"
    assert all(10 <= s["length_km"] <= 20 for s in listed)
    sinjar = next(s for s in listed if s["id"] == "IQG15Q07-01")
    assert (sinjar["unit"], sinjar["partner"], sinjar["district"]) == (
        "1st Border Rgt",
        "krg",
        "IQG15Q07",
    )
    refused = tansiq(
        "border",
        "assign",
        "IQG15Q07-01",
        "--unit",
        "x",
        "--partner",
        "krg",
        "--as",
        "rebin",
        db=node,
        check=False,
    )
    assert refused.returncode == 1
    assert "only administrators and approvers" in refused.stderr


def test_a_file_with_bad_rows_is_rejected_whole_naming_line_and_column(
    node: str, tmp_path: Path
) -> None:
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER
        + _row("IQG15Q07-01", "2026-11-25T01:00:00Z", "a")
        + _row("IQG15Q07-01", "2026-11-25T01:10:00", "b")  # line 3: no zone
        + "smuggling,34.4,41.0,2026-11-25T01:00:00Z,x,c,\n"  # line 4: kind
        + "patrol-report,36.32,41.87,2026-11-25T01:20:00Z,Sinjar town,d,\n"  # line 5: far in
        + "crossing-attempt,abc,41.0,2026-11-25T01:00:00Z,x,e,nobody\n"  # line 6: lat, partner
    )

    done = tansiq("border", "import", str(path), "--as", "ali", db=node, check=False)

    assert done.returncode == 1
    assert "4 invalid row(s); nothing was stored" in done.stderr
    for expected in (
        "line 3: observed_at:",
        "line 4: kind: unknown observation kind 'smuggling'",
        "line 5: lat/lon:",
        "line 6: lat:",
        "line 6: releasable_to: unknown partner(s): nobody",
    ):
        assert expected in done.stderr
    assert _stored(node) == 0


def test_import_raises_an_alert_once_and_alerts_show_to_the_partner(
    node: str, tmp_path: Path
) -> None:
    tansiq("border", "sectors", "init", db=node)
    tansiq("border", "assign", "IQG15Q07-01", "--unit", "1st Rgt", "--partner", "krg", db=node)
    rule = _json(
        "border",
        "rules",
        "add",
        "--count",
        "3",
        "--hours",
        "2",
        "--kind",
        "crossing-attempt",
        db=node,
    )
    path = tmp_path / "obs.csv"
    path.write_text(
        HEADER
        + "".join(_row("IQG15Q07-01", f"2026-11-25T0{h}:00:00Z", f"r{h}") for h in range(1, 5))
    )

    summary = _json("border", "import", str(path), "--as", "ali", db=node)
    again = _json("border", "import", str(path), "--as", "ali", db=node)

    assert summary["stored"] == 4
    assert len(summary["alerts"]) == 1
    assert again == {"read": 4, "stored": 0, "alerts": []}
    (alert,) = _json("border", "alerts", "--as", "rebin", db=node)
    assert (alert["sector"], alert["observations"], alert["partner"]) == ("IQG15Q07-01", 4, "krg")
    assert _json("border", "alerts", "--as", "ali", db=node) == []
    assert len(_json("border", "observations", "--as", "rebin", db=node)) == 4  # released to krg
    assert _json("border", "observations", "--sector", "IQG15Q07-02", "--as", "ali", db=node) == []
    (task,) = _json("tasks", "list", "--as", "rebin", db=node)
    assert task["source_kind"] == "border-alert"
    assert _json("border", "rules", "list", db=node) == [
        {"id": rule["id"], "count": 3, "hours": 2.0, "kind": "crossing-attempt", "sector": None}
    ]
    tansiq("border", "rules", "remove", str(rule["id"]), db=node)
    assert _json("border", "rules", "list", db=node) == []
