"""A TAXII node in-process: the app over the test database, its people, a settable clock.

No validator thread runs here: what partners post to the inbox stays pending until a test calls
`node.drain()` (or `node.settle(response)`), so nothing depends on timing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.domain.markings import Marking, Tlp
from tansiq.domain.reports import CellDraft, Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.sharing import exchange, stix
from tansiq.sharing.exchange import Release
from tansiq.sharing.taxii import validator
from tansiq.sharing.taxii.collections import INBOX, INTEL, WITHDRAWALS
from tansiq.store.database import writing
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node

TAXII = "application/taxii+json;version=2.1"
ROOT = "/taxii2/exchange/"
INTEL_URL = f"{ROOT}collections/{INTEL.id}/"
INBOX_URL = f"{ROOT}collections/{INBOX.id}/"
WITHDRAWALS_URL = f"{ROOT}collections/{WITHDRAWALS.id}/"
PASSWORD = "correct horse battery staple"


@dataclass
class Clock:
    now: datetime = FROZEN_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Node:
    """The people of a joc node and a client that speaks TAXII as any of them."""

    engine: Engine
    client: TestClient
    clock: Clock
    people: dict[str, Account]
    audience: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        headers = {"Accept": TAXII, **extra}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.people[who].token}"
        return headers

    def get(self, path: str, who: str | None = "joc-analyst", **params: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(who), params=params)

    def post(
        self, path: str, envelope: Any, who: str = "krg-node", **headers: str
    ) -> httpx.Response:
        content = envelope if isinstance(envelope, bytes) else stix.dumps(envelope)
        sent = self.headers(who, **{"Content-Type": TAXII, **headers})
        return self.client.post(path, content=content, headers=sent)

    def delete(self, path: str, who: str = "joc-analyst") -> httpx.Response:
        return self.client.delete(path, headers=self.headers(who))

    def principal(self, who: str) -> accounts.Principal:
        return self.people[who].principal

    def drain(self) -> int:
        """Validate and store everything quarantined, as the background validator would."""
        return validator.drain(self.engine, self.clock())

    def settle(self, posted: httpx.Response, who: str = "krg-node") -> httpx.Response:
        """Drain the quarantine, then the status of `posted` (a 202 from Add Objects) again."""
        assert posted.status_code == 202, posted.text
        self.drain()
        return self.get(f"{ROOT}status/{posted.json()['id']}/", who)


def basic(name: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()


@pytest.fixture
def node(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[Node]:
    people = setup_node(engine)
    with writing(engine) as conn:
        user, token = accounts.create_user(
            conn, "joc-approver", "joc", Role.APPROVER, PASSWORD, FROZEN_NOW
        )
        people["joc-approver"] = Account(accounts.principal(conn, user), token)
    clock = Clock()
    app = create_app(settings, engine=engine, locator=locator, background_validation=False)
    app.state.clock = clock
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Node(engine, client, clock, people)


# --- seeding -------------------------------------------------------------------------------------


def make_cells(
    node: Node, count: int, tlp: Tlp = Tlp.GREEN, to: frozenset[str] = frozenset({"krg"})
) -> list[str]:
    """`count` cells by the joc analyst, in one transaction; their ids in date_added order."""
    actor = node.principal("joc-analyst")
    with writing(node.engine) as conn:
        return [
            exchange.create_cell(
                conn, actor, CellDraft(name=f"Cell {i}"), Release(tlp, to), node.clock()
            )
            for i in range(count)
        ]


def partner_sighting(
    of: str, by: str = "krg", to: frozenset[str] = frozenset({"joc"})
) -> dict[str, Any]:
    """A partner's sighting of `of`, GREEN and releasable to `to`."""
    return stix.sighting_object(
        sighting_id=stix.new_id("sighting"),
        sighting_of_ref=of,
        first_seen=FROZEN_NOW,
        last_seen=FROZEN_NOW,
        count=1,
        created=FROZEN_NOW,
        modified=FROZEN_NOW,
        marking=Marking(Tlp.GREEN, by, to),
    )


def sighting_envelope(of: str, by: str = "krg", to: frozenset[str] = frozenset({"joc"})) -> Any:
    """A partner's sighting of `of`, with the releasability marking it needs."""
    return {"objects": [stix.releasability_marking(to), partner_sighting(of, by, to)]}
