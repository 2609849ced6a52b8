"""Add Objects and statuses: 202 + status, partial acceptance, duplicates, 400/406/413/415.

Inbox posts are pending until the quarantine is drained (`node.settle`); tests/taxii/
test_quarantine.py covers the pending state itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tansiq.domain.markings import Marking, Tlp
from tansiq.domain.reports import CellDraft
from tansiq.sharing import stix
from tests.conftest import FROZEN_NOW
from tests.taxii.conftest import (
    INBOX_URL,
    INTEL_URL,
    ROOT,
    TAXII,
    Node,
    make_cells,
    sighting_envelope,
)
from tests.taxii.test_discovery import assert_taxii_error


def assert_status(response: httpx.Response, success: int, failure: int = 0) -> dict[str, Any]:
    """A complete status whose counts add up and whose lists match them."""
    assert response.status_code in (200, 202), response.text
    assert response.headers["content-type"] == TAXII
    body: dict[str, Any] = response.json()
    assert body["status"] == "complete"
    assert (body["success_count"], body["failure_count"], body["pending_count"]) == (
        success,
        failure,
        0,
    )
    assert body["total_count"] == success + failure
    for name, count in (("successes", success), ("failures", failure), ("pendings", 0)):
        assert len(body.get(name, [])) == count
        assert name in body or count == 0
    return body


def stored_ids(node: Node) -> list[str]:
    """Everything the node holds, as its own watch officer sees it."""
    body = node.get(INTEL_URL + "manifest/", "joc-watch", limit=1000).json()
    return [o["id"] for o in body.get("objects", [])]


def test_a_partner_posts_a_sighting_to_the_inbox(node: Node) -> None:
    [cell] = make_cells(node, 1)
    envelope = sighting_envelope(cell)
    response = node.post(INBOX_URL + "objects/", envelope)
    assert response.status_code == 202
    body = assert_status(node.settle(response), success=2)
    sighting = envelope["objects"][1]
    assert {"id": sighting["id"], "version": sighting["modified"]} in body["successes"]
    assert sighting["id"] in stored_ids(node)
    mine = node.get(f"{INTEL_URL}objects/{sighting['id']}/", "joc-analyst").json()
    assert mine["objects"] == [sighting]


@pytest.mark.parametrize("slash", ["/", ""])
def test_the_status_is_for_the_poster_only_and_for_24_hours(node: Node, slash: str) -> None:
    [cell] = make_cells(node, 1)
    posted = node.post(INBOX_URL + "objects", sighting_envelope(cell)).json()
    url = f"{ROOT}status/{posted['id']}{slash}"
    assert node.get(url, "krg-node").json() == posted
    assert node.get(url, "krg-analyst").json() == posted  # same partner
    assert_taxii_error(node.get(url, "jcc-node"), 404)
    assert_taxii_error(node.get(url, "joc-analyst"), 404)
    node.clock.advance(hours=23, minutes=59)
    assert node.get(url, "krg-node").status_code == 200
    node.clock.advance(minutes=2)
    assert_taxii_error(node.get(url, "krg-node"), 404)


def test_an_unknown_status_is_404(node: Node) -> None:
    assert_taxii_error(node.get(f"{ROOT}status/00000000-0000-4000-8000-000000000000/"), 404)


def test_an_exact_duplicate_succeeds_and_keeps_its_date_added(node: Node) -> None:
    [cell] = make_cells(node, 1)
    envelope = sighting_envelope(cell)
    assert_status(node.settle(node.post(INBOX_URL + "objects/", envelope)), success=2)
    before = node.get(INTEL_URL + "manifest/", "joc-watch").json()["objects"]
    node.clock.advance(hours=1)
    assert_status(node.settle(node.post(INBOX_URL + "objects/", envelope)), success=2)
    after = node.get(INTEL_URL + "manifest/", "joc-watch").json()["objects"]
    assert after == before


def test_rejected_objects_are_failures_beside_the_accepted(node: Node) -> None:
    [cell] = make_cells(node, 1)
    envelope = sighting_envelope(cell)
    unsupported = {**envelope["objects"][1], "type": "malware", "id": stix.new_id("malware")}
    not_released = sighting_envelope(cell, to=frozenset({"jcc"}))["objects"][1]
    envelope["objects"] += [unsupported, 42, not_released]
    posted = node.post(INBOX_URL + "objects/", envelope)
    body = assert_status(node.settle(posted), success=2, failure=3)
    assert all(f["message"] for f in body["failures"])
    assert {f["id"] for f in body["failures"]} >= {unsupported["id"], not_released["id"]}
    assert not_released["id"] not in stored_ids(node)


def test_an_empty_envelope_is_an_empty_status(node: Node) -> None:
    assert_status(node.post(INBOX_URL + "objects/", {"objects": []}), success=0)


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"[]", b'{"objects": {}}', b'{"more": false}', b'"objects"'],
)
def test_a_body_that_is_not_an_envelope_is_400_and_stores_nothing(node: Node, body: bytes) -> None:
    make_cells(node, 1)
    before = stored_ids(node)
    assert_taxii_error(node.post(INBOX_URL + "objects/", body), 400)
    assert stored_ids(node) == before


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/plain", "application/taxii+json;version=2.0", "application/xml"],
)
def test_other_content_types_are_415(node: Node, content_type: str) -> None:
    [cell] = make_cells(node, 1)
    response = node.post(
        INBOX_URL + "objects/", sighting_envelope(cell), **{"Content-Type": content_type}
    )
    assert_taxii_error(response, 415)


def test_taxii_content_types_with_or_without_version_are_accepted(node: Node) -> None:
    [cell] = make_cells(node, 1)
    for content_type in ("application/taxii+json", "application/taxii+json; version=2.1"):
        envelope = sighting_envelope(cell)
        response = node.post(INBOX_URL + "objects/", envelope, **{"Content-Type": content_type})
        assert_status(node.settle(response), success=2)


def test_a_post_without_content_type_or_accept_is_refused(node: Node) -> None:
    headers = {"Authorization": f"Bearer {node.people['krg-node'].token}"}
    no_type = node.client.post(
        INBOX_URL + "objects/", content=b'{"objects": []}', headers={**headers, "Accept": TAXII}
    )
    assert_taxii_error(no_type, 415)
    no_accept = node.client.post(
        INBOX_URL + "objects/",
        content=b'{"objects": []}',
        headers={**headers, "Content-Type": TAXII, "Accept": ""},
    )
    assert_taxii_error(no_accept, 406)


def _limit_to(node: Node, size: int) -> None:
    state = node.client.app.state  # type: ignore[attr-defined]
    state.settings = state.settings.model_copy(update={"taxii_max_content_length": size})


def _padded(size: int) -> bytes:
    """An envelope of exactly `size` bytes."""
    shell = b'{"objects": [], "x_padding": ""}'
    return shell[:-2] + b" " * (size - len(shell)) + shell[-2:]


def test_a_body_at_max_content_length_is_accepted_and_one_byte_more_is_413(node: Node) -> None:
    _limit_to(node, 2048)
    assert root_limit(node) == 2048
    assert_status(node.post(INBOX_URL + "objects/", _padded(2048)), success=0)
    assert_taxii_error(node.post(INBOX_URL + "objects/", _padded(2049)), 413)


def root_limit(node: Node) -> int:
    limit: int = node.get(ROOT).json()["max_content_length"]
    return limit


def test_a_chunked_body_over_the_limit_is_413(node: Node) -> None:
    _limit_to(node, 2048)

    def chunks() -> Iterator[bytes]:
        yield b'{"objects": [], "x_padding": "'
        for _ in range(10):
            yield b" " * 500
        yield b'"}'

    headers = node.headers("krg-node", **{"Content-Type": TAXII})
    response = node.client.post(INBOX_URL + "objects/", content=chunks(), headers=headers)
    assert_taxii_error(response, 413)


def test_a_body_longer_than_it_declares_is_413(node: Node) -> None:
    _limit_to(node, 2048)
    headers = node.headers("krg-node", **{"Content-Type": TAXII, "Content-Length": "100"})
    response = node.client.post(INBOX_URL + "objects/", content=_padded(4096), headers=headers)
    assert_taxii_error(response, 413)


def _own_cell(by: str, to: frozenset[str]) -> dict[str, Any]:
    return stix.cell_object(
        CellDraft(name="Posted cell"),
        cell_id=stix.new_id("intrusion-set"),
        created=FROZEN_NOW,
        modified=FROZEN_NOW,
        marking=Marking(Tlp.GREEN, by, to),
    )


def test_the_nodes_analysts_publish_to_intel(node: Node) -> None:
    cell = _own_cell("joc", frozenset({"krg"}))
    envelope = {"objects": [stix.releasability_marking({"krg"}), cell]}
    assert_status(node.post(INTEL_URL + "objects/", envelope, "joc-analyst"), success=2)
    seen = node.get(f"{INTEL_URL}objects/{cell['id']}/", "krg-node").json()["objects"]
    assert [o["id"] for o in seen] == [cell["id"]]
    assert_taxii_error(node.get(f"{INTEL_URL}objects/{cell['id']}/", "jcc-node"), 404)


def test_publishing_another_partners_object_is_a_failure(node: Node) -> None:
    cell = _own_cell("krg", frozenset({"joc"}))
    envelope = {"objects": [stix.releasability_marking({"joc"}), cell]}
    body = assert_status(node.post(INTEL_URL + "objects/", envelope, "joc-analyst"), 1, 1)
    assert body["failures"][0]["id"] == cell["id"]
    assert cell["id"] not in stored_ids(node)


def test_a_received_object_cannot_be_deleted_here(node: Node) -> None:
    [cell] = make_cells(node, 1)
    envelope = sighting_envelope(cell)
    assert_status(node.settle(node.post(INBOX_URL + "objects/", envelope)), success=2)
    sighting = envelope["objects"][1]["id"]
    assert_taxii_error(node.delete(f"{INTEL_URL}objects/{sighting}/"), 403)
    assert node.get(f"{INTEL_URL}objects/{sighting}/").status_code == 200
