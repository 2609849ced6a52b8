"""taxii2-client 2.3.0 (the OASIS client) against a real `tansiq serve`, as a partner would use it.

The database is prepared in Python (partners, people, cells), then served by a separate process
on a free loopback port, exactly as `tansiq serve` runs in deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages

from tansiq.domain.markings import Tlp
from tansiq.domain.reports import CellDraft, ReportDraft
from tansiq.geo.reference import areas
from tansiq.settings import sqlite_url
from tansiq.sharing import exchange
from tansiq.sharing.exchange import Release
from tansiq.sharing.taxii.collections import INBOX, INTEL
from tansiq.store import migrate
from tansiq.store.areas import load_areas
from tansiq.store.database import create_db_engine, writing
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node
from tests.servers import serving
from tests.taxii.conftest import sighting_envelope

pytestmark = pytest.mark.slow

CELLS = 45


@dataclass(frozen=True)
class LiveNode:
    url: str
    people: dict[str, Account]
    cells: list[str]
    report: str

    def server(self, who: str) -> Server:
        return Server(f"{self.url}/taxii2/", user=who, password=self.people[who].token)

    def collection(self, who: str, name: str) -> Collection:
        [found] = [c for c in self.root(who).collections if c.title == name]
        return found

    def root(self, who: str) -> ApiRoot:
        root: ApiRoot = self.server(who).default
        return root


def _prepare(db: str) -> tuple[dict[str, Account], list[str], str]:
    engine = create_db_engine(db)
    try:
        migrate.upgrade(engine)
        with writing(engine) as conn:
            load_areas(conn, areas())
        people = setup_node(engine)
        actor = people["joc-analyst"].principal
        release = Release(Tlp.GREEN, frozenset({"krg"}))
        with writing(engine) as conn:
            cells = [
                exchange.create_cell(conn, actor, CellDraft(name=f"Cell {i}"), release, FROZEN_NOW)
                for i in range(CELLS)
            ]
            exchange.edit(conn, actor, cells[0], {"name": "Cell 0, renamed"}, FROZEN_NOW)
            draft = ReportDraft(title="To withdraw", text="", published=FROZEN_NOW)
            report = exchange.create_report(conn, actor, draft, release, FROZEN_NOW)
        return people, cells, report
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveNode]:
    db = sqlite_url(Path(tmp_path_factory.mktemp("taxii")) / "node.db")
    people, cells, report = _prepare(db)
    with serving(db) as url:
        yield LiveNode(url, people, cells, report)


def test_discovery_and_api_root(live: LiveNode) -> None:
    server = live.server("krg-node")
    assert server.title
    assert [r.url for r in server.api_roots] == [f"{live.url}/taxii2/exchange/"]
    assert server.default.url == f"{live.url}/taxii2/exchange/"
    assert "application/taxii+json;version=2.1" in server.default.versions
    assert server.default.max_content_length > 0


def test_collections_as_a_partner_node(live: LiveNode) -> None:
    found = {c.title: (c.can_read, c.can_write) for c in live.root("krg-node").collections}
    assert found == {
        "Intelligence": (True, False),
        "Inbox": (False, True),
        "Withdrawals": (True, False),
    }
    assert live.collection("krg-node", "Intelligence").id == INTEL.id


@pytest.mark.parametrize("endpoint", ["get_objects", "get_manifest"])
def test_as_pages_reads_everything_once(live: LiveNode, endpoint: str) -> None:
    intel = live.collection("krg-node", "Intelligence")
    pages = list(as_pages(getattr(intel, endpoint), per_request=7, type="intrusion-set"))
    ids = [o["id"] for page in pages for o in page.get("objects", [])]
    assert len(pages) == -(-CELLS // 7)
    assert ids == live.cells[1:] + live.cells[:1]  # the edited cell is now the newest


def test_one_object_and_its_versions(live: LiveNode) -> None:
    intel = live.collection("krg-node", "Intelligence")
    first = live.cells[0]
    envelope = intel.get_object(first)
    assert [o["name"] for o in envelope["objects"]] == ["Cell 0, renamed"]
    versions = intel.object_versions(first)["versions"]
    assert len(versions) == 2
    everything = intel.get_object(first, version="all")
    assert [o["modified"] for o in everything["objects"]] == versions


def test_a_partner_adds_a_sighting_and_polls_its_status(live: LiveNode) -> None:
    inbox = live.collection("krg-node", "Inbox")
    assert inbox.id == INBOX.id
    status = inbox.add_objects(sighting_envelope(live.cells[1]), wait_for_completion=True)
    assert (status.status, status.success_count, status.failure_count) == ("complete", 2, 0)
    # taxii2-client polls {root}/status/{id} without the trailing slash.
    url = urljoin(inbox.url, f"../../status/{status.id}")
    again = Status(url, user="krg-node", password=live.people["krg-node"].token)
    assert again.total_count == 2
    sighting = sighting_envelope(live.cells[1])["objects"][1]["type"]
    seen = live.collection("joc-analyst", "Intelligence").get_objects(type=sighting)
    assert len(seen["objects"]) == 1


def test_the_owner_deletes_an_object(live: LiveNode) -> None:
    intel = live.collection("joc-analyst", "Intelligence")
    assert intel.can_write
    target = live.report
    intel.delete_object(target)
    with pytest.raises(requests.HTTPError) as raised:
        live.collection("krg-node", "Intelligence").get_object(target)
    assert raised.value.response.status_code == 404
    withdrawals = live.collection("krg-node", "Withdrawals")
    assert [o["id"] for o in withdrawals.get_objects()["objects"]] == [target]
