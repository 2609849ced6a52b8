"""Sync from a peer that answers badly: a clear PeerUnavailable naming what was wrong, nothing
stored from the bad page, the cursor where it was, and never an endless loop.

The peer here is a small HTTP server on loopback that answers what a broken or hostile node
might; the sync under test is the real one (its fetcher and reader processes included).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq.errors import PeerUnavailable
from tansiq.sharing import sync
from tansiq.sharing.signing import SigningKey
from tansiq.store import peers
from tansiq.store.database import reading, writing
from tansiq.store.schema import stix_objects
from tests.conftest import FROZEN_NOW
from tests.nodes import setup_node

Answer = tuple[int, dict[str, str], bytes]
"""Status, headers and body of one answer to a page request."""

KEY = SigningKey.generate().public()
LAST = "2026-01-01T00:00:00.000001Z"


def _envelope(**fields: Any) -> bytes:
    return orjson.dumps(fields)


SCENARIOS: dict[str, tuple[Callable[[], Answer], str]] = {
    "not JSON": (lambda: (200, {}, b"<html>busy</html>"), "answered, but not with JSON"),
    "not an envelope": (lambda: (200, {}, b"[1, 2, 3]"), "not an envelope"),
    "objects not a list": (lambda: (200, {}, _envelope(objects={})), "not an envelope"),
    "bad header": (
        lambda: (200, {"X-TAXII-Date-Added-Last": "yesterday"}, _envelope(objects=[])),
        "bad X-TAXII-Date-Added-Last",
    ),
    "more but no way on": (lambda: (200, {}, _envelope(more=True)), "gave no way to page on"),
    "same page again and again": (
        lambda: (200, {"X-TAXII-Date-Added-Last": LAST}, _envelope(more=True, objects=[])),
        "does not move on",
    ),
    "refused": (lambda: (401, {}, _envelope(title="no", description="bad token")), "401"),
}


class _Peer(BaseHTTPRequestHandler):
    answer: Callable[[], Answer]
    pages_asked = 0

    def do_GET(self) -> None:
        if self.path.startswith("/api/node"):
            self._send(200, {}, orjson.dumps({"partner": "krg", "public_key": KEY}))
            return
        type(self).pages_asked += 1
        self._send(*type(self).answer())

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/taxii+json;version=2.1")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def bad_peer() -> Iterator[tuple[type[_Peer], str]]:
    handler = type("Peer", (_Peer,), {"pages_asked": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_a_bad_answer_stops_the_sync_with_its_reason_and_stores_nothing(
    engine: Engine, bad_peer: tuple[type[_Peer], str], scenario: str
) -> None:
    handler, url = bad_peer
    handler.answer, reason = SCENARIOS[scenario]
    setup_node(engine, "joc")
    with writing(engine) as conn:
        peers.add_peer(conn, "krg", url, "a-token", FROZEN_NOW)
        peer = peers.require_peer(conn, "krg")
        held = _count(conn)

    with httpx.Client(timeout=10) as client, pytest.raises(PeerUnavailable) as raised:
        sync.sync_peer(engine, peer, client, lambda: FROZEN_NOW, page_size=100)

    assert reason in str(raised.value)
    assert "peer krg" in str(raised.value)
    assert handler.pages_asked <= 3  # stopped, not looping
    with reading(engine) as conn:
        assert _count(conn) == held
        assert peers.cursor(conn, "krg", "intel") is None


def _count(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(stix_objects)).scalar_one())
