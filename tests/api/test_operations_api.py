"""Operations over HTTP: the two-key flow, 404 for what is not released, problem+json for bad
input and illegal moves (nothing changed), the map's GeoJSON, and conflicts on need-to-know."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts, positions
from tansiq.api.app import create_app
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tests.conftest import FROZEN_NOW
from tests.factories import make_position
from tests.nodes import setup_node

PROBLEM = "application/problem+json"
MISSING = "operation--00000000-0000-4000-8000-000000000000"
RAID = {
    "name": "Raid on the Wadi al-Shay hideout",
    "type": "raid",
    "lat": 35.468,
    "lon": 44.392,
    "radius_m": 300,
    "start": "2026-11-26T02:00:00Z",
    "end": "2026-11-26T06:00:00Z",
    "units": ["8th Division, 2nd Battalion"],
    "releasable_to": ["krg"],
}


@pytest.fixture
def tokens(engine: Engine) -> dict[str, str]:
    found = {name: account.token for name, account in setup_node(engine).items()}
    with writing(engine) as conn:
        for name, partner in (("joc-approver", "joc"), ("krg-approver", "krg")):
            _, token = accounts.create_user(conn, name, partner, Role.APPROVER, None, FROZEN_NOW)
            found[name] = token
    return found


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


class Api:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def __call__(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture
def api(client: TestClient, tokens: dict[str, str]) -> Api:
    return Api(client, tokens)


def add(api: Api, who: str = "joc-analyst", **changes: Any) -> dict[str, Any]:
    answer = api(who, "POST", "/api/operations", json={**RAID, **changes})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_two_keys_over_http(api: Api) -> None:
    op = add(api)
    path = f"/api/operations/{op['id']}"
    assert (op["state"], op["version"], op["sides_needed"]) == ("draft", 1, ["joc", "krg"])
    assert api("joc-analyst", "POST", f"{path}/submit").json() == {
        "id": op["id"],
        "state": "pending-approval",
    }
    assert api("joc-approver", "POST", f"{path}/approve").json()["state"] == "pending-approval"
    assert api("krg-approver", "POST", f"{path}/approve", json={}).json()["state"] == "approved"
    shown = api("krg-analyst", "GET", path).json()
    assert [a["validity"] for a in shown["approvals"]] == ["valid", "valid"]
    assert shown["hash"] == op["hash"]

    edited = api("joc-analyst", "PATCH", path, json={"end": "2026-11-26T07:00:00Z"}).json()
    assert (edited["changed"], edited["state"], edited["version"]) == (True, "draft", 2)
    assert [a["validity"] for a in edited["approvals"]] == ["void", "void"]
    same = api("joc-analyst", "PATCH", path, json={"end": "2026-11-26T10:00:00+03:00"}).json()
    assert (same["changed"], same["version"]) == (False, 2)

    api("joc-analyst", "POST", f"{path}/submit")
    vetoed = api("krg-approver", "POST", f"{path}/veto", json={"reason": "our patrol"})
    assert vetoed.json()["state"] == "vetoed"
    assert api("joc-analyst", "POST", f"{path}/cancel").json()["state"] == "cancelled"


def test_break_glass_over_http(api: Api) -> None:
    op = add(api)
    path = f"/api/operations/{op['id']}"
    api("joc-analyst", "POST", f"{path}/submit")
    no_reason = api("joc-approver", "POST", f"{path}/activate", json={"break_glass": True})
    assert no_reason.status_code == 400
    assert no_reason.json()["detail"] == "reason: a break-glass activation needs a reason"
    done = api(
        "joc-approver", "POST", f"{path}/activate", json={"break_glass": True, "reason": "now"}
    )
    assert done.json() == {"id": op["id"], "state": "active"}
    assert api("krg-analyst", "GET", path).json()["break_glass"] is True


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": None, "lon": None, "radius_m": None}, "wkt"),
        ({"lat": None, "lon": None, "radius_m": None, "wkt": "POLYGON ((1 2"}, "wkt"),
        ({"wkt": "POLYGON ((44 35, 45 35, 45 36, 44 35))"}, "wkt"),
        ({"radius_m": -1}, "radius_m"),
        ({"lat": 135}, "lat/lon"),
        ({"type": "ambush"}, "type"),
        ({"start": "2026-11-26T02:00:00"}, "start"),
        ({"end": "2026-11-25T02:00:00Z"}, "end"),
        ({"start": "soon"}, "start"),
        ({"name": ""}, "name"),
        ({"tlp": "purple"}, "unknown TLP"),
        ({"releasable_to": ["nobody"]}, "releasable_to"),
        ({"units": "one"}, "units"),
        ({"subjects": ["intrusion-set--00000000-0000-4000-8000-000000000000"]}, "no such object"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_stores_nothing(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    answer = api("joc-analyst", "POST", "/api/operations", json={**RAID, **changes})
    assert answer.status_code in (400, 404), answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert field in answer.json()["detail"]
    assert api("joc-analyst", "GET", "/api/operations").json() == {"total": 0, "items": []}


def test_a_move_the_state_does_not_allow_is_a_409_and_changes_nothing(api: Api) -> None:
    op = add(api)
    path = f"/api/operations/{op['id']}"
    for who, action in (
        ("joc-approver", "approve"),
        ("joc-analyst", "activate"),
        ("joc-analyst", "close"),
    ):
        answer = api(who, "POST", f"{path}/{action}")
        assert answer.status_code == 409, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["detail"].startswith("state: cannot ")
    assert api("joc-analyst", "GET", path).json()["state"] == "draft"
    bad = api("joc-analyst", "PATCH", path, json={"wkt": "LINESTRING (44 35, 45 36)"})
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("width_m:")
    assert api("joc-analyst", "GET", path).json()["version"] == 1


ROUTES = [
    ("GET", ""),
    ("PATCH", ""),
    *[("POST", f"/{a}") for a in ("submit", "approve", "veto", "activate", "close", "cancel")],
]


@pytest.mark.parametrize("who", ["krg-analyst", "krg-approver", "jcc-analyst"])
def test_an_operation_not_released_is_not_found_on_every_route(api: Api, who: str) -> None:
    op = add(api, releasable_to=[])["id"]
    for method, end in ROUTES:
        kwargs: dict[str, Any] = {"json": {"name": "x"} if method == "PATCH" else {"reason": "x"}}
        hidden = api(who, method, f"/api/operations/{op}{end}", **kwargs)
        absent = api(who, method, f"/api/operations/{MISSING}{end}", **kwargs)
        assert hidden.status_code == absent.status_code == 404, (method, end, hidden.text)
        assert hidden.json()["detail"].replace(op, "ID") == absent.json()["detail"].replace(
            MISSING, "ID"
        )
    for path in ("/api/operations", "/api/operations.geojson"):
        assert op not in api(who, "GET", path).text
    assert op in api("joc-watch", "GET", "/api/operations").text


def test_the_map_gets_geojson_of_visible_operations(api: Api) -> None:
    shared = add(api)["id"]
    corridor = add(
        api,
        name="Convoy",
        type="escort",
        lat=None,
        lon=None,
        radius_m=None,
        wkt="LINESTRING (44.0 36.19, 44.39 35.47)",
        width_m=400,
        releasable_to=[],
    )["id"]
    mine = api("joc-analyst", "GET", "/api/operations.geojson")
    assert mine.headers["content-type"] == "application/geo+json"
    features = {f["id"]: f for f in mine.json()["features"]}
    assert features[shared]["geometry"] == {"type": "Point", "coordinates": [44.392, 35.468]}
    assert features[shared]["properties"]["extent_m"] == 300.0
    assert features[shared]["properties"]["buffer_m"] == 1000.0
    assert features[corridor]["geometry"]["type"] == "LineString"
    theirs = api("krg-analyst", "GET", "/api/operations.geojson").json()
    assert [f["id"] for f in theirs["features"]] == [shared]


PLAN_WORDS = ("Wadi al-Shay", "8th Division", "44.392", "35.468", "raid", "2026-11-26T0")


def test_conflicts_over_http_tell_whom_to_call_not_the_plan(
    api: Api, engine: Engine, locator: AreaLocator
) -> None:
    with writing(engine) as conn:
        post = make_position(partner="krg", name="Peshmerga post 7", latitude=35.47, longitude=44.4)
        positions.save(conn, locator, [post], "test", FROZEN_NOW)
    op = add(api)["id"]
    api("joc-analyst", "POST", f"/api/operations/{op}/submit")

    krg = api("krg-analyst", "GET", "/api/conflicts")
    assert krg.status_code == 200
    (conflict,) = krg.json()["conflicts"]
    assert conflict["other"][0]["partner"] == "joc"
    assert conflict["other"][0]["contact"] == "JOC joint operations room duty officer"
    for word in (*PLAN_WORDS, op):
        assert word not in krg.text
    joc = api("joc-analyst", "GET", "/api/conflicts")
    for word in ("Peshmerga post 7", "35.47", "44.4,"):
        assert word not in joc.text
    assert api("jcc-analyst", "POST", f"/api/conflicts/{conflict['id']}/ack").status_code == 404
    acked = api("krg-analyst", "POST", f"/api/conflicts/{conflict['id']}/ack").json()
    assert acked["yours"][0]["acknowledged"] is True
    assert acked["status"] == "open"  # joc has not acknowledged yet
    assert (
        api("joc-analyst", "POST", f"/api/conflicts/{conflict['id']}/ack").json()["status"]
        == "acknowledged"
    )
    assert api("krg-analyst", "POST", "/api/conflicts/x/ack").status_code == 400


def _unacknowledged(api: Api, who: str) -> int:
    answer = api(who, "GET", "/api/conflicts/unacknowledged")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def test_the_header_alert_counts_own_conflicts_without_a_disclosure(
    api: Api, engine: Engine, locator: AreaLocator
) -> None:
    with writing(engine) as conn:
        post = make_position(partner="krg", name="Peshmerga post 8", latitude=35.47, longitude=44.4)
        positions.save(conn, locator, [post], "test", FROZEN_NOW)
    op = add(api)["id"]
    api("joc-analyst", "POST", f"/api/operations/{op}/submit")
    with reading(engine) as conn:
        before = len(audit.entries(conn))

    counts = {
        who: _unacknowledged(api, who) for who in ("joc-analyst", "krg-analyst", "jcc-analyst")
    }

    assert counts == {"joc-analyst": 1, "krg-analyst": 1, "jcc-analyst": 0}
    with reading(engine) as conn:
        assert len(audit.entries(conn)) == before  # a count is not a disclosure
    (conflict,) = api("krg-analyst", "GET", "/api/conflicts").json()["conflicts"]
    api("krg-analyst", "POST", f"/api/conflicts/{conflict['id']}/ack")
    assert (_unacknowledged(api, "krg-analyst"), _unacknowledged(api, "joc-analyst")) == (0, 1)
