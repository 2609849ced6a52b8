"""The inbox quarantine: 202 + pending, nothing visible until stix2-validator passes it, then
stored or failed; batches, restarts, claims, and the app's own validator thread.

stix2-validator 3.3.2 errors (rejections) used here, which the cheap checks accept: a sighting
`count` below 0 ("count: -1 is less than the minimum of 0") and `last_seen` before
`first_seen`. A custom property without an extension is only a warning ({401}): it passes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.domain.markings import Marking, Tlp
from tansiq.domain.reports import CellDraft, Place, PlacedPlace, ReportDraft
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.sharing import exchange, stix
from tansiq.sharing.taxii import validator
from tansiq.store import quarantine
from tansiq.store.database import create_db_engine, reading, writing
from tansiq.store.schema import audit_log, stix_objects
from tests.conftest import FROZEN_NOW
from tests.taxii.conftest import (
    INBOX_URL,
    INTEL_URL,
    ROOT,
    TAXII,
    Node,
    make_cells,
    partner_sighting,
)
from tests.taxii.test_discovery import assert_taxii_error

KRG_TO_JOC = Marking(Tlp.GREEN, "krg", frozenset({"joc"}))
HAWIJA = PlacedPlace(
    Place(35.325, 43.766, "Hawija"), "IQG13", "IQG13Q02", "IQG13Q02N01", "Kirkuk", True
)


def sighting(of: str, **changes: Any) -> dict[str, Any]:
    return {**partner_sighting(of), **changes}


def krg_report() -> list[dict[str, Any]]:
    draft = ReportDraft(
        title="Checkpoint moved", text="quarantined", published=FROZEN_NOW, places=(HAWIJA,)
    )
    return stix.report_objects(
        draft,
        report_id=stix.new_id("report"),
        created=FROZEN_NOW,
        modified=FROZEN_NOW,
        marking=KRG_TO_JOC,
    )


def marking() -> dict[str, Any]:
    found = stix.releasability_marking({"joc"})
    assert found is not None
    return found


def status_of(response: httpx.Response) -> dict[str, Any]:
    """The status resource, checked as taxii2-client checks it."""
    assert response.status_code in (200, 202), response.text
    assert response.headers["content-type"] == TAXII
    body: dict[str, Any] = response.json()
    counts = [body["success_count"], body["failure_count"], body["pending_count"]]
    assert sum(counts) == body["total_count"]
    for name, count in zip(("successes", "failures", "pendings"), counts, strict=True):
        assert len(body.get(name, [])) == count
        assert (name in body) == (count > 0)  # no empty lists
    assert body["status"] == ("pending" if body["pending_count"] else "complete")
    return body


def ids(entries: list[dict[str, str]]) -> list[str]:
    return [e["id"] for e in entries]


def held(engine: Engine) -> int:
    with reading(engine) as conn:
        return quarantine.count(conn)


def stored(engine: Engine, stix_id: str) -> int:
    """Rows of `stix_id` in the object store, whoever may see them."""
    stmt = sa.select(sa.func.count()).where(stix_objects.c.stix_id == stix_id)
    with reading(engine) as conn:
        return int(conn.execute(stmt).scalar_one())


def api(node: Node, path: str, who: str = "joc-analyst", **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {node.people[who].token}"}
    return node.client.get(path, headers=headers, params=params)


# --- posting ------------------------------------------------------------------------------------


def test_an_inbox_post_answers_202_with_a_pending_status(node: Node) -> None:
    [cell] = make_cells(node, 1)
    seen = sighting(cell)
    unsupported = {**sighting(cell), "type": "malware", "id": stix.new_id("malware")}
    envelope = {"objects": [seen, 42, marking(), unsupported, seen]}
    posted = node.post(INBOX_URL + "objects/", envelope)
    assert posted.status_code == 202
    body = status_of(posted)
    assert (body["total_count"], body["success_count"]) == (5, 0)
    assert (body["failure_count"], body["pending_count"]) == (2, 3)
    assert ids(body["failures"]) == ["", unsupported["id"]]
    assert all(f["message"] for f in body["failures"])
    assert sorted(ids(body["pendings"])) == sorted([seen["id"], marking()["id"], seen["id"]])
    assert node.get(f"{ROOT}status/{body['id']}/", "krg-node").json() == body
    assert held(node.engine) == 3

    settled = status_of(node.settle(posted))
    assert (settled["success_count"], settled["failure_count"]) == (3, 2)
    assert settled["failures"] == body["failures"]
    assert held(node.engine) == 0


def test_an_envelope_the_cheap_checks_reject_whole_is_complete_at_once(node: Node) -> None:
    body = status_of(node.post(INBOX_URL + "objects/", {"objects": [42, {"type": "malware"}]}))
    assert (body["status"], body["failure_count"]) == ("complete", 2)
    assert held(node.engine) == 0


def test_intel_publishing_stays_synchronous(node: Node) -> None:
    cell = stix.cell_object(
        CellDraft(name="Published at once"),
        cell_id=stix.new_id("intrusion-set"),
        created=FROZEN_NOW,
        modified=FROZEN_NOW,
        marking=Marking(Tlp.GREEN, "joc", frozenset()),
    )
    body = status_of(node.post(INTEL_URL + "objects/", {"objects": [cell]}, "joc-analyst"))
    assert (body["status"], body["success_count"]) == ("complete", 1)
    assert held(node.engine) == 0


# --- nothing held is visible ------------------------------------------------------------------


def test_nothing_held_is_visible_anywhere_until_it_passes(node: Node) -> None:
    [cell] = make_cells(node, 1)
    report, location = krg_report()
    seen = sighting(cell)
    posted = node.post(INBOX_URL + "objects/", {"objects": [marking(), report, location, seen]})
    assert status_of(posted)["pending_count"] == 4

    for who in ("joc-analyst", "joc-watch", "krg-node"):
        assert_taxii_error(node.get(f"{INTEL_URL}objects/{report['id']}/", who), 404)
        listed = node.get(INTEL_URL + "objects/", who, limit=1000).json()
        manifest = node.get(INTEL_URL + "manifest/", who, limit=1000).json()
        for envelope in (listed, manifest):
            assert not {report["id"], location["id"], seen["id"]} & set(
                ids(envelope.get("objects", []))
            )
    assert api(node, "/api/reports").json()["total"] == 0
    assert api(node, "/api/reports", q="quarantined").json()["total"] == 0
    assert api(node, f"/api/objects/{report['id']}").status_code == 404
    assert all(stored(node.engine, o["id"]) == 0 for o in (report, location, seen))

    settled = status_of(node.settle(posted))
    assert (settled["status"], settled["success_count"]) == ("complete", 4)
    shown = node.get(f"{INTEL_URL}objects/{report['id']}/", "joc-watch").json()["objects"]
    assert shown == [report]
    assert node.get(f"{INTEL_URL}objects/{seen['id']}/", "joc-analyst").json()["objects"] == [seen]
    assert [r["id"] for r in api(node, "/api/reports").json()["items"]] == [report["id"]]
    assert api(node, "/api/reports", q="quarantined").json()["total"] == 1
    # Released to joc only: another partner's node still sees nothing of it.
    assert_taxii_error(node.get(f"{INTEL_URL}objects/{report['id']}/", "jcc-node"), 404)


# --- the validator's verdict ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"count": -1}, "count: -1 is less than the minimum of 0"),
        ({"last_seen": "2026-11-24T12:00:00.000Z"}, "must be later than or equal to"),
    ],
)
def test_what_the_validator_rejects_is_a_failure_and_stored_nowhere(
    node: Node, change: dict[str, Any], message: str
) -> None:
    [cell] = make_cells(node, 1)
    good, bad = sighting(cell), sighting(cell, **change)
    posted = node.post(INBOX_URL + "objects/", {"objects": [marking(), bad, good]})
    assert status_of(posted)["pending_count"] == 3

    body = status_of(node.settle(posted))
    assert (body["success_count"], body["failure_count"]) == (2, 1)
    [failure] = body["failures"]
    assert (failure["id"], failure["version"]) == (bad["id"], bad["modified"])
    assert failure["message"].startswith("stix2-validator: ")
    assert message in failure["message"]
    assert bad["id"] not in failure["message"]  # the id is in the entry already
    assert stored(node.engine, bad["id"]) == 0
    assert stored(node.engine, good["id"]) == 1
    assert held(node.engine) == 0


def test_warnings_do_not_fail_and_reference_objects_pass(node: Node) -> None:
    """TLP 2.0 marking definitions, our extension definitions and a custom property pass."""
    [cell] = make_cells(node, 1)
    support = [*stix.extension_objects(), *stix.TLP_OBJECTS, stix.partner_identity("krg", "KRG")]
    custom = sighting(cell, x_checked_by="krg desk")
    objects = [*support, marking(), custom]
    body = status_of(node.settle(node.post(INBOX_URL + "objects/", {"objects": objects})))
    assert (body["success_count"], body["failure_count"]) == (len(objects), 0)
    assert stored(node.engine, custom["id"]) == 1


# --- batches ----------------------------------------------------------------------------------


def test_a_big_envelope_is_applied_a_batch_per_transaction(node: Node) -> None:
    """The marking definition comes last in the envelope yet is stored before the batch of
    objects that use it; each batch is one `receive` (one audit entry), not one per object."""
    [cell] = make_cells(node, 1)
    sightings = [sighting(cell) for _ in range(60)]
    posted = node.post(INBOX_URL + "objects/", {"objects": [*sightings, marking()]})
    assert validator.drain(node.engine, node.clock(), batch=25) == 61
    body = status_of(node.get(f"{ROOT}status/{posted.json()['id']}/", "krg-node"))
    assert (body["success_count"], body["failure_count"]) == (61, 0)
    stmt = sa.select(sa.func.count()).where(audit_log.c.action == "receive")
    with reading(node.engine) as conn:
        assert conn.execute(stmt).scalar_one() == 3


def test_one_object_that_cannot_be_stored_does_not_block_the_queue(
    node: Node, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    [cell] = make_cells(node, 1)
    poison, good = sighting(cell), sighting(cell)
    real = exchange.receive

    def receive(conn: Any, source: Any, bodies: Any, now: Any) -> Any:
        if any(b["id"] == poison["id"] for b in bodies):
            raise RuntimeError("a bug meets an odd object")
        return real(conn, source, bodies, now)

    monkeypatch.setattr(exchange, "receive", receive)
    posted = node.post(INBOX_URL + "objects/", {"objects": [marking(), poison, good]})
    body = status_of(node.settle(posted))
    assert (body["success_count"], body["failure_count"]) == (2, 1)
    assert body["failures"] == [
        {"id": poison["id"], "version": poison["modified"], "message": validator.INTERNAL}
    ]
    assert held(node.engine) == 0
    assert "a bug meets an odd object" in caplog.text


# --- restarts and claims ----------------------------------------------------------------------


def test_held_objects_survive_a_restart(node: Node, settings: Settings) -> None:
    [cell] = make_cells(node, 1)
    seen = sighting(cell)
    posted = node.post(INBOX_URL + "objects/", {"objects": [marking(), seen]})
    node.engine.dispose()  # the server stops; the rows stay in the database
    again = create_db_engine(settings.db)
    try:
        assert held(again) == 2
        assert validator.drain(again, node.clock()) == 2
        assert stored(again, seen["id"]) == 1
    finally:
        again.dispose()
    body = status_of(node.get(f"{ROOT}status/{posted.json()['id']}/", "krg-node"))
    assert (body["status"], body["success_count"]) == ("complete", 2)


def test_a_dead_workers_claim_lapses_after_its_lease(node: Node) -> None:
    [cell] = make_cells(node, 1)
    node.post(INBOX_URL + "objects/", {"objects": [marking(), sighting(cell)]})
    with writing(node.engine) as conn:
        assert len(quarantine.claim(conn, "dead-worker", node.clock(), 10)) == 2
    assert node.drain() == 0  # claimed by a worker that may still be validating them
    node.clock.advance(seconds=quarantine.LEASE.total_seconds() + 1)
    assert node.drain() == 2
    assert held(node.engine) == 0


def test_a_late_worker_applies_nothing_another_has_taken(node: Node) -> None:
    [cell] = make_cells(node, 1)
    node.post(INBOX_URL + "objects/", {"objects": [marking(), sighting(cell)]})
    with writing(node.engine) as conn:
        slow = quarantine.claim(conn, "slow", node.clock(), 10)
    node.clock.advance(seconds=quarantine.LEASE.total_seconds() + 1)
    assert node.drain() == 2  # the lease lapsed: another worker took and applied them
    with writing(node.engine) as conn:
        assert quarantine.take(conn, "slow", [row.seq for row in slow]) == set()


def test_a_stopping_worker_gives_its_claim_back(node: Node) -> None:
    [cell] = make_cells(node, 1)
    node.post(INBOX_URL + "objects/", {"objects": [marking(), sighting(cell)]})
    stop = threading.Event()
    stop.set()
    assert validator.drain_batch(node.engine, node.clock(), 10, stop) == 0
    assert held(node.engine) == 2
    assert node.drain() == 2  # no lease to wait for


# --- who sees the status -----------------------------------------------------------------------


def test_a_status_belongs_to_the_posting_partner_while_pending_and_after(node: Node) -> None:
    [cell] = make_cells(node, 1)
    posted = node.post(INBOX_URL + "objects/", {"objects": [marking(), sighting(cell)]})
    url = f"{ROOT}status/{posted.json()['id']}/"
    for _ in ("pending", "complete"):
        assert node.get(url, "krg-node").status_code == 200
        assert node.get(url, "krg-analyst").status_code == 200  # same partner
        assert_taxii_error(node.get(url, "jcc-node"), 404)
        assert_taxii_error(node.get(url, "joc-analyst"), 404)
        node.drain()


# --- the app's own validator thread -------------------------------------------------------------


def validator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tansiq-validator" and t.is_alive()]


def wait_complete(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = client.get(url, headers=headers).json()
        if body["status"] == "complete":
            return body
        time.sleep(0.05)
    raise AssertionError(f"{url} still pending")


@pytest.fixture
def serving(node: Node, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    """A second app on the node's database that runs its validator thread, as `serve` does."""
    app = create_app(settings, engine=node.engine, locator=locator)
    app.state.clock = node.clock
    with TestClient(app, raise_server_exceptions=False) as client:
        assert len(validator_threads()) == 1
        yield client
    assert validator_threads() == []


def test_the_app_validates_in_the_background_and_stops_cleanly(
    node: Node, serving: TestClient
) -> None:
    [cell] = make_cells(node, 1)
    headers = node.headers("krg-node", **{"Content-Type": TAXII})
    content = stix.dumps({"objects": [marking(), sighting(cell)]})
    posted = serving.post(INBOX_URL + "objects/", content=content, headers=headers)
    assert posted.status_code == 202
    body = wait_complete(serving, f"{ROOT}status/{posted.json()['id']}/", headers)
    assert (body["success_count"], body["failure_count"]) == (2, 0)


def test_the_app_picks_up_what_was_held_before_it_started(
    node: Node, settings: Settings, locator: AreaLocator
) -> None:
    [cell] = make_cells(node, 1)
    posted = node.post(INBOX_URL + "objects/", {"objects": [marking(), sighting(cell)]})
    app = create_app(settings, engine=node.engine, locator=locator)
    app.state.clock = node.clock
    for _ in range(2):  # started and stopped more than once, no thread left behind
        with TestClient(app) as client:
            url = f"{ROOT}status/{posted.json()['id']}/"
            wait_complete(client, url, node.headers("krg-node"))
        assert validator_threads() == []
    assert held(node.engine) == 0
