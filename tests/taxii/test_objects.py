"""Get Objects, manifests, one object, its versions: paging, filters, headers, releasability."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from stix2validator import (  # type: ignore[import-untyped]
    ValidationOptions,
    validate_instance,
)

from tansiq.domain.markings import Marking, Tlp, identity_id
from tansiq.sharing import exchange, signing, stix
from tansiq.sharing.exchange import Release
from tansiq.sharing.taxii.collections import INTEL
from tansiq.sharing.taxii.filters import taxii_time
from tansiq.store import audit, objects
from tansiq.store.database import reading, writing
from tests.taxii.conftest import INTEL_URL, TAXII, WITHDRAWALS_URL, Node, make_cells
from tests.taxii.test_discovery import assert_taxii_error

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
FIRST, LAST = "x-taxii-date-added-first", "x-taxii-date-added-last"


def walk(node: Node, path: str, who: str = "krg-node", **params: Any) -> Iterator[httpx.Response]:
    """Every page of a listing, following `next`, checking the paging contract on the way."""
    token = None
    for _ in range(1000):
        response = node.get(path, who, **params, **({"next": token} if token else {}))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == TAXII
        yield response
        body = response.json()
        if not body["more"]:
            assert "next" not in body
            return
        token = body["next"]
    raise AssertionError("paging did not end")


def listed(response: httpx.Response) -> list[str]:
    return [o["id"] for o in response.json().get("objects", [])]


def shown(ids: list[str]) -> list[str]:
    """Without the releasability marking definitions the store also serves."""
    return [i for i in ids if not i.startswith("marking-definition--")]


@pytest.mark.parametrize("endpoint", ["objects/", "manifest/"])
def test_paging_returns_every_object_once_in_date_added_order(node: Node, endpoint: str) -> None:
    cells = make_cells(node, 300)
    seen: list[str] = []
    last_added = ""
    for page in walk(node, INTEL_URL + endpoint, limit=37):
        ids = listed(page)
        assert 0 < len(ids) <= 37
        first, last = page.headers[FIRST], page.headers[LAST]
        assert TIMESTAMP.fullmatch(first)
        assert TIMESTAMP.fullmatch(last)
        assert last_added < first <= last
        if endpoint == "manifest/":
            added = [o["date_added"] for o in page.json()["objects"]]
            assert added == sorted(added)
            assert (added[0], added[-1]) == (first, last)
        last_added = last
        seen += ids
    assert len(seen) == len(set(seen))
    assert shown(seen) == cells


def test_default_limit_and_cap(node: Node) -> None:
    make_cells(node, 30)
    settings = node.client.app.state.settings  # type: ignore[attr-defined]
    node.client.app.state.settings = settings.model_copy(  # type: ignore[attr-defined]
        update={"taxii_default_limit": 7, "taxii_max_limit": 12}
    )
    default = node.get(INTEL_URL + "objects/").json()
    assert len(default["objects"]) == 7
    assert default["more"] is True
    assert default["next"]
    assert len(node.get(INTEL_URL + "objects/", limit=500).json()["objects"]) == 12
    assert len(node.get(INTEL_URL + "manifest/", limit=500).json()["objects"]) == 12


def test_added_after_is_exclusive_and_compares_date_added(node: Node) -> None:
    cells = make_cells(node, 5)
    everything = node.get(INTEL_URL + "manifest/", **{"match[type]": "intrusion-set"})
    entries = everything.json()["objects"]
    assert [e["id"] for e in entries] == cells
    after = node.get(
        INTEL_URL + "objects/",
        added_after=entries[1]["date_added"],
        **{"match[type]": "intrusion-set"},
    )
    assert listed(after) == cells[2:]
    assert after.headers[FIRST] == entries[2]["date_added"]
    assert after.headers[LAST] == entries[-1]["date_added"]


def test_next_and_added_after_together_apply_both(node: Node) -> None:
    cells = make_cells(node, 6)
    query = {"match[type]": "intrusion-set"}
    entries = node.get(INTEL_URL + "manifest/", **query).json()["objects"]
    first = node.get(INTEL_URL + "objects/", limit=2, **query).json()
    later = node.get(
        INTEL_URL + "objects/",
        limit=2,
        next=first["next"],
        added_after=entries[3]["date_added"],
        **query,
    )
    assert listed(later) == cells[4:6]


def test_an_empty_page_omits_the_objects_list(node: Node) -> None:
    response = node.get(INTEL_URL + "objects/", **{"match[type]": "report"})
    assert response.status_code == 200
    assert response.json() == {"more": False}


MALFORMED = [
    {"limit": "0"},
    {"limit": "-3"},
    {"limit": "ten"},
    {"limit": "1.5"},
    {"added_after": "yesterday"},
    {"added_after": "2025-13-01T00:00:00Z"},
    {"added_after": "2025-01-01"},
    {"match[version]": "2025-01-01"},
    {"match[version]": "first,last"},
    {"next": "not-a-token"},
    {"next": "ZZZ.YYY"},
    {"next": "€.€"},
]


def test_malformed_parameters_are_400(node: Node) -> None:
    [cell] = make_cells(node, 1)
    for endpoint in ["objects/", "manifest/", f"objects/{cell}/", f"objects/{cell}/versions/"]:
        for params in MALFORMED:
            if endpoint.endswith("versions/") and "match[version]" in params:
                continue  # not a filter of that endpoint
            assert_taxii_error(node.get(INTEL_URL + endpoint, **params), 400)


def _next(node: Node, path: str, who: str = "krg-node", **params: Any) -> str:
    body = node.get(path, who, limit=1, **params).json()
    assert body["more"] is True
    token: str = body["next"]
    return token


def test_a_tampered_next_is_400(node: Node) -> None:
    make_cells(node, 3)
    token = _next(node, INTEL_URL + "objects/")
    payload, mac = token.split(".")
    forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + mac
    body = assert_taxii_error(node.get(INTEL_URL + "objects/", "krg-node", next=forged), 400)
    assert "next" in body["description"]
    assert_taxii_error(node.get(INTEL_URL + "objects/", "krg-node", next=token + "x"), 400)


@pytest.mark.parametrize(
    ("path", "who", "params"),
    [
        ("objects/", "krg-node", {"match[type]": "intrusion-set"}),  # other filters
        ("objects/", "krg-node", {"match[version]": "all"}),
        ("manifest/", "krg-node", {}),  # other endpoint
        ("objects/", "jcc-node", {}),  # other caller
        (f"{WITHDRAWALS_URL}objects/", "krg-node", {}),  # other collection
    ],
)
def test_a_next_from_another_request_is_400(
    node: Node, path: str, who: str, params: dict[str, str]
) -> None:
    make_cells(node, 3, to=frozenset({"krg", "jcc"}))
    token = _next(node, INTEL_URL + "objects/")
    url = path if path.startswith("/") else INTEL_URL + path
    assert_taxii_error(node.get(url, who, next=token, **params), 400)


def test_a_next_survives_a_change_of_limit(node: Node) -> None:
    cells = make_cells(node, 4)
    token = _next(node, INTEL_URL + "objects/", **{"match[type]": "intrusion-set"})
    rest = node.get(
        INTEL_URL + "objects/", "krg-node", next=token, limit=10, **{"match[type]": "intrusion-set"}
    )
    assert listed(rest) == cells[1:]


def test_match_id_and_type_are_comma_lists_and_unknown_fields_are_ignored(node: Node) -> None:
    cells = make_cells(node, 4)
    ids = node.get(INTEL_URL + "objects/", **{"match[id]": f"{cells[2]},{cells[0]}"})
    assert listed(ids) == [cells[0], cells[2]]
    types = node.get(INTEL_URL + "objects/", **{"match[type]": "report,intrusion-set"})
    assert listed(types) == cells
    anded = node.get(INTEL_URL + "objects/", **{"match[type]": "report", "match[id]": cells[0]})
    assert listed(anded) == []
    unknown = node.get(INTEL_URL + "objects/", **{"match[colour]": "red", "colour": "blue"})
    assert shown(listed(unknown)) == cells


def test_match_spec_version(node: Node) -> None:
    cells = make_cells(node, 2)
    current = node.get(INTEL_URL + "objects/", **{"match[spec_version]": "2.1"})
    assert shown(listed(current)) == cells
    old = node.get(INTEL_URL + "objects/", **{"match[spec_version]": "2.0"})
    assert "objects" not in old.json()


def _edited_twice(node: Node) -> tuple[str, list[str]]:
    """A cell with three versions; its id and the versions' modified times, oldest first."""
    [cell] = make_cells(node, 1)
    actor = node.principal("joc-analyst")
    for name in ("Renamed once", "Renamed twice"):
        node.clock.advance(minutes=5)
        with writing(node.engine) as conn:
            exchange.edit(conn, actor, cell, {"name": name}, node.clock())
    versions = node.get(f"{INTEL_URL}objects/{cell}/versions/").json()["versions"]
    return cell, versions


def test_versions_lists_every_version_oldest_first(node: Node) -> None:
    cell, versions = _edited_twice(node)
    assert len(versions) == 3
    assert [stix.parse_stix_time(v) for v in versions] == sorted(
        stix.parse_stix_time(v) for v in versions
    )
    response = node.get(f"{INTEL_URL}objects/{cell}/versions", "krg-node")
    assert response.json() == {"more": False, "versions": versions}
    assert TIMESTAMP.fullmatch(response.headers[FIRST])
    assert response.headers[FIRST] < response.headers[LAST]


def test_versions_pages_with_next(node: Node) -> None:
    cell, versions = _edited_twice(node)
    pages = list(walk(node, f"{INTEL_URL}objects/{cell}/versions/", limit=2))
    assert [v for p in pages for v in p.json()["versions"]] == versions
    assert pages[0].json()["next"]


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({}, [2]),
        ({"match[version]": "last"}, [2]),
        ({"match[version]": "first"}, [0]),
        ({"match[version]": "all"}, [0, 1, 2]),
    ],
)
def test_match_version_on_one_object(
    node: Node, match: dict[str, str], expected: list[int]
) -> None:
    cell, versions = _edited_twice(node)
    response = node.get(f"{INTEL_URL}objects/{cell}/", **match)
    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body["objects"]] == [cell] * len(expected)
    modified = [stix.parse_stix_time(o["modified"]) for o in body["objects"]]
    assert modified == [stix.parse_stix_time(versions[i]) for i in expected]
    assert TIMESTAMP.fullmatch(response.headers[FIRST])


def test_match_version_by_timestamps(node: Node) -> None:
    cell, versions = _edited_twice(node)
    wanted = f"{versions[0]},{versions[2]}"
    body = node.get(f"{INTEL_URL}objects/", **{"match[version]": wanted, "match[id]": cell}).json()
    assert [o["modified"] for o in body["objects"]] == [versions[0], versions[2]]
    everything = node.get(f"{INTEL_URL}manifest/", **{"match[version]": "all", "match[id]": cell})
    assert [o["version"] for o in everything.json()["objects"]] == versions


def test_one_object_pages_with_next(node: Node) -> None:
    cell, _versions = _edited_twice(node)
    pages = list(walk(node, f"{INTEL_URL}objects/{cell}/", limit=1, **{"match[version]": "all"}))
    assert [listed(p) for p in pages] == [[cell]] * 3


def test_an_unknown_object_is_404(node: Node) -> None:
    missing = "intrusion-set--00000000-0000-4000-8000-000000000000"
    assert_taxii_error(node.get(f"{INTEL_URL}objects/{missing}/"), 404)
    assert_taxii_error(node.get(f"{INTEL_URL}objects/{missing}/versions/"), 404)


# --- releasability ---------------------------------------------------------------------------


def _released(node: Node) -> dict[str, str]:
    """Objects by label, each released to a different audience."""
    found = {}
    for label, tlp, to in [
        ("to-krg", Tlp.GREEN, {"krg"}),
        ("joc-only", Tlp.AMBER, set()),
        ("to-jcc", Tlp.GREEN, {"jcc"}),
        ("red-to-krg", Tlp.RED, {"krg"}),
    ]:
        [found[label]] = make_cells(node, 1, tlp, frozenset(to))
    note = stix.note_object(
        note_id=stix.new_id("note"),
        content="Seen with the joc-only cell",
        object_refs=[found["joc-only"]],
        created=node.clock(),
        modified=node.clock(),
        marking=Marking(Tlp.GREEN, "joc", frozenset({"krg"})),
    )
    with writing(node.engine) as conn:
        found["note-on-hidden"] = exchange.add_comment(
            conn,
            node.principal("joc-analyst"),
            note,
            Release(Tlp.GREEN, frozenset({"krg"})),
            node.clock(),
        )
    return found


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("krg-node", {"to-krg", "red-to-krg"}),
        ("jcc-node", {"to-jcc"}),
        ("joc-watch", {"to-krg", "joc-only", "to-jcc", "red-to-krg", "note-on-hidden"}),
    ],
)
def test_a_partner_never_sees_what_is_not_released_to_it(
    node: Node, who: str, visible: set[str]
) -> None:
    labelled = _released(node)
    expected = [i for label, i in labelled.items() if label in visible]
    for endpoint in ("objects/", "manifest/"):
        pages = list(walk(node, INTEL_URL + endpoint, who, limit=2))
        assert shown([i for p in pages for i in listed(p)]) == expected
    for label, stix_id in labelled.items():
        for tail in ("", "versions/"):
            response = node.get(f"{INTEL_URL}objects/{stix_id}/{tail}", who)
            assert response.status_code == (200 if label in visible else 404)


def test_headers_count_only_what_the_partner_sees(node: Node) -> None:
    labelled = _released(node)
    everything = node.get(INTEL_URL + "manifest/", "joc-watch").json()["objects"]
    added = {e["id"]: e["date_added"] for e in everything}
    response = node.get(INTEL_URL + "objects/", "jcc-node", **{"match[type]": "intrusion-set"})
    assert listed(response) == [labelled["to-jcc"]]
    assert response.headers[FIRST] == response.headers[LAST] == added[labelled["to-jcc"]]


def test_a_deleted_object_is_gone_and_tombstoned_for_its_readers(node: Node) -> None:
    cells = make_cells(node, 3)
    response = node.delete(f"{INTEL_URL}objects/{cells[1]}/")
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII
    assert_taxii_error(node.get(f"{INTEL_URL}objects/{cells[1]}/", "krg-node"), 404)
    assert_taxii_error(node.get(f"{INTEL_URL}objects/{cells[1]}/versions/", "krg-node"), 404)
    manifest = node.get(INTEL_URL + "manifest/", "krg-node")
    assert shown(listed(manifest)) == [cells[0], cells[2]]
    stones = node.get(WITHDRAWALS_URL + "objects/", "krg-node").json()["objects"]
    assert [(s["id"], s["revoked"]) for s in stones] == [(cells[1], True)]
    assert listed(node.get(WITHDRAWALS_URL + "objects/", "jcc-node")) == []
    one = node.get(f"{WITHDRAWALS_URL}objects/{cells[1]}/", "krg-node")
    assert listed(one) == [cells[1]]
    assert_taxii_error(node.delete(f"{INTEL_URL}objects/{cells[1]}"), 404)


def test_tombstones_are_served_signed_by_the_key_the_node_announces(node: Node) -> None:
    cells = make_cells(node, 2)
    assert node.delete(f"{INTEL_URL}objects/{cells[0]}/").status_code == 200
    announced = node.client.get("/api/node").json()
    assert announced["partner"] == "joc"
    listing = node.get(WITHDRAWALS_URL + "objects/", "krg-node").json()["objects"]
    one = node.get(f"{WITHDRAWALS_URL}objects/{cells[0]}/", "krg-node").json()["objects"]
    for stone in (*listing, *one):
        (signature,) = signing.signatures(stone)
        assert signature.signer == identity_id("joc")
        form = signing.canonical(stone)
        assert signing.verifies(form, signature, announced["public_key"])
        results = validate_instance(stone, ValidationOptions(version="2.1"))
        assert results.is_valid, [str(e) for e in results.errors]
    assert listing == one
    for intel in node.get(INTEL_URL + "objects/", "krg-node").json()["objects"]:
        assert stix.SIGNATURE_EXTENSION_ID not in intel.get("extensions", {}), "only tombstones"


def test_deleting_what_is_not_there_is_404(node: Node) -> None:
    missing = "intrusion-set--00000000-0000-4000-8000-000000000000"
    assert_taxii_error(node.delete(f"{INTEL_URL}objects/{missing}/"), 404)
    [hidden] = make_cells(node, 1, Tlp.AMBER, frozenset())
    assert_taxii_error(node.delete(f"{INTEL_URL}objects/{hidden}/", "krg-analyst"), 403)


# --- audit -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "action"), [("krg-node", "share"), ("joc-analyst", "read")])
def test_each_page_served_is_one_audit_entry(node: Node, who: str, action: str) -> None:
    cells = make_cells(node, 3)
    response = node.get(INTEL_URL + "objects/", who, **{"match[type]": "intrusion-set"}, limit=2)
    with reading(node.engine) as conn:
        [entry] = audit.latest(conn, 1)
    assert (entry.actor, entry.action, entry.subject) == (who, action, INTEL.id)
    assert entry.detail == {"count": 2, "ids": cells[:2]}
    assert listed(response) == cells[:2]
    assert response.headers[FIRST] == taxii_time(_date_added(node, cells[0]))


def _date_added(node: Node, stix_id: str) -> int:
    with reading(node.engine) as conn:
        row = objects.current(conn, stix_id)
    assert row is not None
    return row.date_added
