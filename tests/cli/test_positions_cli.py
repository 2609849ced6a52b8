"""`tansiq positions demo` as a user runs it: the tansiq entry point (tests/cli/runner.py) on a real
database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tansiq.domain.markings import person_viewer
from tansiq.domain.positions import PositionFilter
from tansiq.store.database import create_db_engine, reading
from tansiq.store.partners import partner_parents
from tansiq.store.positions import find_positions
from tests.cli.test_cli import tansiq


@pytest.mark.slow
def test_positions_demo_loads_once_and_the_node_partner_sees_both_sides(db_url: str) -> None:
    tansiq("init", "--partner", "jcc", db=db_url)

    first = json.loads(tansiq("positions", "demo", "--json", db=db_url).stdout)
    again = json.loads(tansiq("positions", "demo", "--json", db=db_url).stdout)

    assert first["created"] > 10
    assert again == {"created": 0, "updated": 0, "unchanged": first["created"]}
    engine = create_db_engine(db_url)
    with reading(engine) as conn:
        jcc = person_viewer("jcc", partner_parents(conn))
        seen = find_positions(conn, jcc, PositionFilter())
    engine.dispose()
    assert {row["partner_code"] for row in seen} == {"joc", "krg"}
    assert len(seen) == first["created"]
    assert all(row["synthetic"] and "(synthetic)" in row["name"] for row in seen)


def test_positions_demo_needs_an_initialised_database(tmp_path: Path) -> None:
    done = tansiq("positions", "demo", db=f"sqlite:///{tmp_path}/none.db", check=False)

    assert done.returncode == 1
    assert "tansiq init" in done.stderr
