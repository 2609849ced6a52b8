"""The coordination feed: a node's footprints reach its peer nodes' registries, and nobody else.

The peer is a second node in-process (its own SQLite file and app, served through the test
client); the pulling node runs on each backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely.geometry import Point
from sqlalchemy.engine import Engine

from tansiq import accounts, positions
from tansiq.api.app import create_app
from tansiq.domain import feed
from tansiq.domain.deconfliction import Footprint, FootprintKind
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.geo.reference import areas
from tansiq.settings import Settings, sqlite_url
from tansiq.sharing import coordination
from tansiq.store import audit, footprints, migrate
from tansiq.store import coordination as outbox
from tansiq.store.areas import load_areas
from tansiq.store.database import create_db_engine, reading, writing
from tansiq.store.peers import add_peer, find_peer, require_peer
from tansiq.store.schema_coordination import coordination_outbox
from tests.conftest import FROZEN_NOW
from tests.factories import make_position
from tests.nodes import Account, setup_node

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@dataclass
class PeerNode:
    engine: Engine
    client: TestClient
    people: dict[str, Account]
    joc_token: str


@pytest.fixture
def krg(tmp_path: Path, locator: AreaLocator) -> Iterator[PeerNode]:
    """krg's node, with an account for joc's node to pull with."""
    url = sqlite_url(tmp_path / "krg.db")
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    with writing(engine) as conn:
        load_areas(conn, areas())
    people = setup_node(engine, "krg")
    with writing(engine) as conn:
        _, token = accounts.create_user(conn, "joc-node", "joc", Role.PEER, None, FROZEN_NOW)
    app = create_app(Settings(db=url), engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield PeerNode(engine, client, people, token)
    engine.dispose()


@pytest.fixture
def joc(engine: Engine) -> Engine:
    setup_node(engine, "joc")
    return engine


def _pull(joc: Engine, krg: PeerNode) -> coordination.PullSummary:
    with writing(joc) as conn:
        if find_peer(conn, "krg") is None:
            add_peer(conn, "krg", "http://testserver/", krg.joc_token, FROZEN_NOW)
        peer = require_peer(conn, "krg")
    return coordination.pull(joc, peer, cast(httpx.Client, krg.client), lambda: T0, limit=2)


def _krg_post(krg: PeerNode, locator: AreaLocator, name: str, **kw: object) -> int:
    values: dict[str, Any] = {"latitude": 35.47, "longitude": 44.41, **kw}
    draft = make_position(partner="krg", name=name, **values)
    with writing(krg.engine) as conn:
        positions.save(conn, locator, [draft], "test", T0)
        found = conn.execute(sa.text("SELECT id FROM positions WHERE name = :n"), {"n": name})
        return int(found.scalar_one())


def _feed(krg: PeerNode, token: str, after: int = 0) -> tuple[int, dict[str, object]]:
    answer = krg.client.get(
        "/api/coordination/feed",
        params={"after": after},
        headers={"Authorization": f"Bearer {token}"},
    )
    return answer.status_code, answer.json()


def test_a_peer_node_reads_the_feed_and_nobody_else_does(
    krg: PeerNode, locator: AreaLocator
) -> None:
    ref = _krg_post(krg, locator, "Post 7 (synthetic)")
    status, page = _feed(krg, krg.joc_token)
    assert status == 200
    entries = page["entries"]
    assert isinstance(entries, list)
    assert [(e["topic"], e["key"]) for e in entries] == [("footprint", f"position:{ref}")]
    body = entries[0]["body"]
    assert (body["owner"], body["buffer_m"]) == ("krg", footprints.POSITION_BUFFER_M)
    assert "name" not in body
    assert "Post 7" not in str(page)
    for person in ("krg-analyst", "joc-analyst", "jcc-analyst"):
        status, problem = _feed(krg, krg.people[person].token)
        assert status == 404, person
        assert "footprint" not in str(problem)


def test_only_the_latest_change_of_a_thing_stays_in_the_outbox(
    krg: PeerNode, locator: AreaLocator
) -> None:
    ref = _krg_post(krg, locator, "Post 8 (synthetic)")
    _krg_post(krg, locator, "Post 8 (synthetic)", latitude=35.5)
    with writing(krg.engine) as conn:
        footprints.remove(conn, FootprintKind.POSITION, str(ref))
    _, page = _feed(krg, krg.joc_token)
    entries = page["entries"]
    assert isinstance(entries, list)
    assert [(e["key"], e["body"]) for e in entries] == [(f"position:{ref}", None)]


def test_pulled_footprints_join_the_registry_under_their_origin(
    joc: Engine, krg: PeerNode, locator: AreaLocator
) -> None:
    refs = [_krg_post(krg, locator, f"Post {n} (synthetic)") for n in range(5)]
    first = _pull(joc, krg)
    assert (first.applied, first.rejected, first.missing) == (5, 0, False)
    with reading(joc) as conn:
        got = footprints.get(conn, FootprintKind.POSITION, str(refs[0]), origin="krg")
        assert got is not None
        assert (got.owner, got.origin) == ("krg", "krg")
        assert footprints.get(conn, FootprintKind.POSITION, str(refs[0])) is None
    again = _pull(joc, krg)
    assert (again.applied, again.rejected) == (0, 0)
    with writing(krg.engine) as conn:
        footprints.remove(conn, FootprintKind.POSITION, str(refs[1]))
    assert _pull(joc, krg).applied == 1
    with reading(joc) as conn:
        assert footprints.get(conn, FootprintKind.POSITION, str(refs[1]), origin="krg") is None
        assert footprints.get(conn, FootprintKind.POSITION, str(refs[2]), origin="krg")


def test_what_is_pulled_is_not_sent_on(joc: Engine, krg: PeerNode, locator: AreaLocator) -> None:
    """A peer's footprints are the peer's to send: this node's outbox carries its own only."""
    _krg_post(krg, locator, "Post 9 (synthetic)")
    _pull(joc, krg)
    with reading(joc) as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(coordination_outbox)).scalar() == 0
        )


def _bad(key: str, body: dict[str, object] | None) -> outbox.Change:
    return outbox.Change(feed.FOOTPRINT, key, body, outbox.EVERY_PEER)


def test_bad_rows_are_rejected_with_their_reason_and_the_rest_applied(
    joc: Engine, krg: PeerNode, locator: AreaLocator
) -> None:
    good = Footprint(
        FootprintKind.OPERATION, "op-1", "krg", Point(44.4, 35.5), 500.0, T0, T0, timedelta(0)
    )
    record = feed.footprint_record(good)
    with writing(krg.engine) as conn:
        outbox.append(
            conn,
            [
                _bad("operation:op-2", {**record, "ref": "op-2", "area": "POINT (44 nonsense)"}),
                _bad("operation:op-3", {**record, "ref": "op-3", "owner": "joc"}),
                _bad("operation:op-4", {**record, "ref": "op-4", "start": "yesterday"}),
                _bad("operation:op-5", {**record, "ref": "other"}),
                _bad("satellite:op-6", {**record, "ref": "op-6"}),
                _bad("operation:op-1", record),
            ],
        )
    pulled = _pull(joc, krg)
    assert (pulled.applied, pulled.rejected) == (1, 5)
    reasons = [r["reason"] for r in pulled.rejections]
    assert "not valid WKT" in reasons[0]
    assert "owned by 'joc'" in reasons[1]
    assert "ISO 8601" in reasons[2]
    assert "another key" in reasons[3]
    assert "unknown footprint kind" in reasons[4]
    with reading(joc) as conn:
        assert footprints.get(conn, FootprintKind.OPERATION, "op-1", origin="krg") is not None
        assert footprints.get(conn, FootprintKind.OPERATION, "op-3", origin="krg") is None
        rejected = [e for e in audit.entries(conn) if e.action == "reject-coordination"]
    assert len(rejected) == 5


def test_a_peer_without_a_feed_is_skipped(joc: Engine, krg: PeerNode) -> None:
    """An older tansiq answers 404 there: the sync goes on, saying nothing was pulled."""
    with writing(joc) as conn:
        add_peer(conn, "krg", "http://testserver/older/", krg.joc_token, FROZEN_NOW)
        peer = require_peer(conn, "krg")
    summary = coordination.pull(joc, peer, cast(httpx.Client, krg.client), lambda: T0)
    assert summary.missing
    assert summary.applied == 0
