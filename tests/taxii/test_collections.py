"""Which collections each caller sees, with which rights, and the 403/404 they get otherwise."""

from __future__ import annotations

import uuid

import pytest

from tansiq.domain.markings import NAMESPACE, Tlp
from tansiq.sharing.taxii.collections import INBOX, INTEL, WITHDRAWALS, collection_id
from tests.taxii.conftest import (
    INBOX_URL,
    INTEL_URL,
    ROOT,
    TAXII,
    WITHDRAWALS_URL,
    Node,
    make_cells,
)
from tests.taxii.test_discovery import assert_taxii_error

RIGHTS = {
    # caller: {collection: (can_read, can_write)}; a missing collection is invisible
    "joc-analyst": {"intel": (True, True), "inbox": (False, True), "withdrawals": (True, False)},
    "joc-approver": {"intel": (True, True), "inbox": (False, True), "withdrawals": (True, False)},
    "joc-watch": {"intel": (True, False), "withdrawals": (True, False)},
    "krg-node": {"intel": (True, False), "inbox": (False, True), "withdrawals": (True, False)},
    "jcc-node": {"intel": (True, False), "inbox": (False, True), "withdrawals": (True, False)},
    "krg-analyst": {"intel": (True, False), "inbox": (False, True), "withdrawals": (True, False)},
}
NAMES = {INTEL.id: "intel", INBOX.id: "inbox", WITHDRAWALS.id: "withdrawals"}
URLS = {"intel": INTEL_URL, "inbox": INBOX_URL, "withdrawals": WITHDRAWALS_URL}


def test_collection_ids_are_the_same_on_every_node() -> None:
    assert INTEL.id == str(uuid.uuid5(NAMESPACE, "collection:intel")) == collection_id("intel")
    assert len({INTEL.id, INBOX.id, WITHDRAWALS.id}) == 3


@pytest.mark.parametrize("who", sorted(RIGHTS))
def test_each_caller_lists_its_collections_sorted_by_id(node: Node, who: str) -> None:
    response = node.get(ROOT + "collections", who)
    assert response.json() == node.get(ROOT + "collections/", who).json()
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII
    listed = response.json()["collections"]
    assert [c["id"] for c in listed] == sorted(c["id"] for c in listed)
    seen = {NAMES[c["id"]]: (c["can_read"], c["can_write"]) for c in listed}
    assert seen == RIGHTS[who]
    for c in listed:
        assert c["title"]
        assert c["media_types"] == ["application/stix+json;version=2.1"]
        assert c["id"] in URLS[NAMES[c["id"]]]


@pytest.mark.parametrize("who", sorted(RIGHTS))
def test_one_collection_is_shown_only_to_those_who_see_it(node: Node, who: str) -> None:
    for name, url in URLS.items():
        response = node.get(url, who)
        if name not in RIGHTS[who]:
            assert_taxii_error(response, 404)
            continue
        assert response.status_code == 200
        body = response.json()
        assert (body["can_read"], body["can_write"]) == RIGHTS[who][name]
        assert node.get(url.rstrip("/"), who).json() == body


def test_an_unknown_collection_is_404(node: Node) -> None:
    assert_taxii_error(node.get(f"{ROOT}collections/not-a-collection/"), 404)
    assert_taxii_error(node.get(f"{ROOT}collections/not-a-collection/objects/"), 404)


def test_reading_the_inbox_is_403_for_writers_and_404_for_others(node: Node) -> None:
    for endpoint in ["objects/", "manifest/", "objects/x--1/", "objects/x--1/versions/"]:
        assert_taxii_error(node.get(INBOX_URL + endpoint, "krg-node"), 403)
        assert_taxii_error(node.get(INBOX_URL + endpoint, "joc-watch"), 404)


def test_delete_answers_by_rights(node: Node) -> None:
    [cell] = make_cells(node, 1, Tlp.GREEN, frozenset({"krg", "jcc"}))
    for who, name, status in [
        ("joc-watch", "inbox", 404),  # not visible
        ("joc-watch", "intel", 403),  # (T, F)
        ("krg-node", "intel", 403),  # (T, F)
        ("joc-analyst", "withdrawals", 403),  # (T, F)
        ("joc-analyst", "inbox", 403),  # (F, T)
        ("krg-node", "inbox", 403),  # (F, T)
    ]:
        assert_taxii_error(node.delete(f"{URLS[name]}objects/{cell}/", who), status)
    assert node.get(f"{INTEL_URL}objects/{cell}/").status_code == 200
    assert node.delete(f"{INTEL_URL}objects/{cell}/", "joc-analyst").status_code == 200


def test_posting_without_write_rights(node: Node) -> None:
    for who, name, status in [
        ("joc-watch", "inbox", 404),
        ("joc-watch", "intel", 403),
        ("krg-node", "intel", 403),
        ("jcc-node", "withdrawals", 403),
        ("joc-analyst", "withdrawals", 403),
    ]:
        assert_taxii_error(node.post(URLS[name] + "objects/", {"objects": []}, who), status)
