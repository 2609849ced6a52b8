"""Every route of a node, walked: who gets what.

- anonymous: 401 (a TAXII error body on TAXII, problem+json elsewhere) or, for a page, the
  login page; only the routes in PUBLIC answer without credentials;
- a user of a partner an object is not released to: 404 for the object (the same as for an
  object that does not exist) and lists, pages and bundles without it;
- its owner, and a partner it is released to: the object.

The table names every route the app has: a new route fails `test_every_route_is_classified`
until someone decides who may call it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.routing import Mount

from tansiq import positions
from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.sharing.taxii.collections import collection_id
from tansiq.store.database import writing
from tests.conftest import FROZEN_NOW
from tests.factories import make_position
from tests.nodes import Account, setup_node

PUBLIC = {
    ("GET", "/api/health"),
    ("GET", "/api/node"),  # the node's partner and public signing key, for peers to pin
    ("POST", "/api/session"),  # logging in
    ("DELETE", "/api/session"),  # logging out (a no-op without a session)
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/language"),  # the switch on the login page
    ("GET", "/docs"),
    ("GET", "/openapi.json"),
}
PAGES = {
    ("GET", "/"),
    ("GET", "/reports"),
    ("GET", "/reports/new"),
    ("POST", "/reports/new"),
    ("GET", "/reports/{stix_id}"),
    ("POST", "/reports/{stix_id}/withdraw"),
    ("GET", "/reports/inbox"),
    ("GET", "/incidents"),
    ("GET", "/incidents/{incident_id}"),
    ("GET", "/admin"),
    ("GET", "/admin/partners"),
    ("POST", "/admin/partners"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/token"),
    ("GET", "/admin/peers"),
    ("GET", "/admin/audit"),
    ("GET", "/operations"),
    ("GET", "/operations/new"),
    ("GET", "/operations/{operation_id}"),
    ("GET", "/approvals"),
    ("GET", "/conflicts"),
    ("GET", "/tasks"),
    ("GET", "/border"),
}

SECRET_TITLE = "JOC only: cell seen near Makhmour"
SHARED_TITLE = "For KRG: cell seen near Kirkuk"


def _routes(routes: list[Any]) -> set[tuple[str, str]]:
    """(method, path) of every route, through included routers at any depth."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found |= _routes(inner.routes)
        elif not isinstance(route, Mount):
            methods = getattr(route, "methods", None) or ()
            found |= {(m, route.path) for m in methods if m not in ("HEAD", "OPTIONS")}
    return found


@pytest.fixture
def node(
    engine: Engine, settings: Settings, locator: AreaLocator
) -> Iterator[tuple[TestClient, dict[str, Account], dict[str, str]]]:
    people = setup_node(engine)
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        ids = {
            "secret": _add(client, people, SECRET_TITLE, []),
            "shared": _add(client, people, SHARED_TITLE, ["krg"]),
        }
        yield client, people, ids


def _as(account: Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.token}"}


def _add(client: TestClient, people: dict[str, Account], title: str, to: list[str]) -> str:
    body = {
        "title": title,
        "text": "two vehicles",
        "tlp": "amber",
        "releasable_to": to,
        "places": [{"lat": 35.78, "lon": 43.58, "name": "Makhmour"}],
    }
    answer = client.post("/api/reports", json=body, headers=_as(people["joc-analyst"]))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


INTEL = collection_id("intel")
FILL = {
    "{incident_id}": "1",
    "{incident_id:int}": "1",
    "{name}": "adm1",
    "{cid}": INTEL,
    "{sid}": "0" * 8,
    "{rest:path}": "nothing-here",
    "{task_id}": "1",
    "{action}": "decline",
    "{checkpoint_id}": "1",
    "{operation_id}": "operation--00000000-0000-4000-8000-000000000000",
    "{conflict_id}": "1",
}


def _path(template: str, stix_id: str) -> str:
    path = template.replace("{stix_id}", stix_id).replace("{oid}", stix_id)
    for key, value in FILL.items():
        path = path.replace(key, value)
    return path


def _call(client: TestClient, method: str, path: str, **kwargs: Any) -> Any:
    return client.request(method, path, **kwargs)


def test_every_route_is_classified(node: Any) -> None:
    client, _, _ = node
    routes = _routes(client.app.routes)
    walked = PUBLIC | PAGES | set(PROTECTED)
    assert routes - walked == set(), "classify the new routes in this test"
    assert walked - routes == set(), "routes this test names that the app no longer has"


PROTECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/session"): {},
    ("PUT", "/api/session/language"): {"json": {"language": "ar"}},
    ("GET", "/api/incidents.geojson"): {},
    ("GET", "/api/incidents"): {},
    ("GET", "/api/incidents/{incident_id:int}"): {},
    ("GET", "/api/incidents.csv"): {},
    ("GET", "/api/incidents/viewport"): {"params": {"bbox": "38.7,29,48.6,37.4", "zoom": 6}},
    ("GET", "/api/areas"): {},
    ("GET", "/api/layers/{name}"): {},
    ("GET", "/api/locate"): {"params": {"lat": 35.4, "lon": 44.4}},
    ("GET", "/api/geocode"): {"params": {"q": "Car bomb in Mosul"}},
    ("GET", "/api/reports"): {},
    ("GET", "/api/reports.geojson"): {},
    ("GET", "/api/positions"): {},
    ("GET", "/api/positions.geojson"): {},
    ("GET", "/api/analysis/hotspots.geojson"): {},
    ("GET", "/api/analysis/risk.geojson"): {},
    ("GET", "/api/analysis/coverage.geojson"): {},
    ("GET", "/api/analysis/emerging.geojson"): {},
    ("GET", "/api/analysis/placement.geojson"): {},
    ("GET", "/api/objects/{stix_id}"): {},
    ("POST", "/api/reports"): {"json": {"title": "x", "tlp": "amber"}},
    ("POST", "/api/cells"): {"json": {"name": "x", "tlp": "amber"}},
    ("POST", "/api/comments"): {"json": {"kind": "note", "on": "{stix_id}", "text": "x"}},
    ("PATCH", "/api/reports/{stix_id}"): {"json": {"title": "changed"}},
    ("POST", "/api/objects/{stix_id}/marking"): {"json": {"tlp": "amber"}},
    ("POST", "/api/objects/{stix_id}/withdraw"): {},
    ("GET", "/api/stix/bundle"): {},
    ("GET", "/api/border/sectors"): {},
    ("GET", "/api/border/sectors.geojson"): {},
    ("POST", "/api/border/observations"): {
        "json": {
            "kind": "crossing-attempt",
            "lat": 34.4,
            "lon": 41.0,
            "observed_at": "2026-11-25T02:00:00Z",
        }
    },
    ("GET", "/api/border/observations"): {},
    ("GET", "/api/border/alerts"): {},
    ("GET", "/api/tasks"): {},
    ("POST", "/api/tasks"): {
        "json": {
            "source_kind": "report",
            "source_ref": "{stix_id}",
            "to_partner": "krg",
            "title": "x",
        }
    },
    ("GET", "/api/tasks/metrics"): {},
    ("GET", "/api/tasks/{task_id}"): {},
    ("POST", "/api/tasks/{task_id}/{action}"): {"json": {"reason": "x"}},
    ("GET", "/api/checkpoints"): {},
    ("GET", "/api/checkpoints.geojson"): {},
    ("POST", "/api/checkpoints"): {
        "json": {"name": "x", "unit": "x", "lat": 35.37, "lon": 44.3, "valid_from": "2026-11-01"}
    },
    ("POST", "/api/checkpoints/{checkpoint_id}/close"): {},
    ("GET", "/api/coordination/feed"): {},  # peer nodes' accounts only; 404 for people
    ("GET", "/api/conflicts/unacknowledged"): {},
    ("GET", "/api/checkpoints/verify"): {"params": {"lat": 35.37, "lon": 44.3}},
    ("POST", "/api/operations"): {
        "json": {
            "name": "x",
            "type": "raid",
            "lat": 35.4,
            "lon": 44.4,
            "radius_m": 100,
            "start": "2026-11-26T02:00:00Z",
            "end": "2026-11-26T06:00:00Z",
        }
    },
    ("GET", "/api/operations"): {},
    ("GET", "/api/operations.geojson"): {},
    ("GET", "/api/operations/{operation_id}"): {},
    ("PATCH", "/api/operations/{operation_id}"): {"json": {"name": "x"}},
    **{
        ("POST", f"/api/operations/{{operation_id}}/{action}"): {"json": {"reason": "x"}}
        for action in ("submit", "approve", "veto", "activate", "close", "cancel")
    },
    ("GET", "/api/conflicts"): {},
    ("POST", "/api/conflicts/{conflict_id}/ack"): {},
    **{
        (method, path + end): {}
        for method, path in (
            ("GET", "/taxii2"),
            ("GET", "/taxii2/exchange"),
            ("GET", "/taxii2/exchange/status/{sid}"),
            ("GET", "/taxii2/exchange/collections"),
            ("GET", "/taxii2/exchange/collections/{cid}"),
            ("GET", "/taxii2/exchange/collections/{cid}/objects"),
            ("POST", "/taxii2/exchange/collections/{cid}/objects"),
            ("GET", "/taxii2/exchange/collections/{cid}/manifest"),
            ("GET", "/taxii2/exchange/collections/{cid}/objects/{oid}"),
            ("DELETE", "/taxii2/exchange/collections/{cid}/objects/{oid}"),
            ("GET", "/taxii2/exchange/collections/{cid}/objects/{oid}/versions"),
        )
        for end in ("", "/")
    },
    **{(m, "/taxii2/{rest:path}"): {} for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
}


def _with_id(kwargs: dict[str, Any], stix_id: str) -> dict[str, Any]:
    json = kwargs.get("json")
    if isinstance(json, dict):
        json = {k: (stix_id if v == "{stix_id}" else v) for k, v in json.items()}
        return {**kwargs, "json": json}
    return kwargs


# The three walks below change nothing (no credentials), so each asks all its routes of one
# node: a node per route cost a minute of the suite. Every route's failure is listed.


def test_anonymous_callers_get_401(node: Any) -> None:
    client, _, ids = node
    wrong = []
    for method, template in sorted(PROTECTED):
        client.cookies.clear()
        kwargs = _with_id(PROTECTED[(method, template)], ids["secret"])
        answer = _call(client, method, _path(template, ids["secret"]), **kwargs)
        media = answer.headers.get("content-type", "")
        if template.startswith("/taxii2"):
            right_body = media.startswith("application/taxii+json") and (
                answer.json().get("http_status") == "401"
            )
        else:
            right_body = media == "application/problem+json"
        if answer.status_code != 401 or not right_body or ids["secret"] in answer.text:
            wrong.append(f"{method} {template}: {answer.status_code} {media} {answer.text[:200]}")
    assert wrong == []


def test_anonymous_browsers_are_sent_to_log_in(node: Any) -> None:
    client, _, _ = node
    wrong = []
    for method, template in sorted(PAGES):
        client.cookies.clear()
        answer = _call(client, method, _path(template, "report--x"), headers=ORIGIN)
        location = answer.headers.get("location", "")
        if answer.status_code != 303 or not location.startswith("/login?next="):
            wrong.append(f"{method} {template}: {answer.status_code} {location}")
    assert wrong == []


ORIGIN = {"Origin": "http://testserver"}


@pytest.mark.parametrize("outsider", ["krg-analyst", "jcc-analyst"])
def test_a_report_page_not_released_to_a_partner_is_not_found_for_its_people(
    node: Any, outsider: str
) -> None:
    client, people, ids = node
    who = _as(people[outsider])

    page = client.get(f"/reports/{ids['secret']}", headers=who)
    missing = client.get(f"/reports/{NO_SUCH_ID}", headers=who)
    withdraw = client.post(f"/reports/{ids['secret']}/withdraw", headers={**who, **ORIGIN})

    assert page.status_code == missing.status_code == 404
    # The same page as for a report that does not exist (bar the address asked for).
    assert page.text.replace(ids["secret"], "ID") == missing.text.replace(NO_SUCH_ID, "ID")
    assert withdraw.status_code == 404
    owner = client.get(f"/reports/{ids['secret']}", headers=_as(people["joc-analyst"]))
    assert SECRET_TITLE in owner.text


def test_public_routes_answer_without_credentials(node: Any) -> None:
    client, _, ids = node
    wrong = []
    for method, template in sorted(PUBLIC):
        client.cookies.clear()
        answer = _call(client, method, template)
        refused = answer.status_code == 401 and template not in ("/api/session", "/login")
        if answer.status_code >= 500 or refused or ids["secret"] in answer.text:
            wrong.append(f"{method} {template}: {answer.status_code}")
    assert wrong == []


OBJECT_ROUTES = [
    ("GET", "/api/objects/{stix_id}"),
    ("PATCH", "/api/reports/{stix_id}"),
    ("POST", "/api/objects/{stix_id}/marking"),
    ("POST", "/api/objects/{stix_id}/withdraw"),
    ("POST", "/api/comments"),
]


@pytest.mark.parametrize(("method", "template"), OBJECT_ROUTES)
@pytest.mark.parametrize("outsider", ["krg-analyst", "asayish-analyst", "jcc-analyst"])
def test_an_object_not_released_to_a_partner_is_not_found_for_its_people(
    node: Any, method: str, template: str, outsider: str
) -> None:
    client, people, ids = node
    kwargs = _with_id(PROTECTED[(method, template)], ids["secret"])
    path = _path(template, ids["secret"])

    answer = _call(client, method, path, headers=_as(people[outsider]), **kwargs)

    assert answer.status_code == 404, answer.text
    missing = _call(
        client,
        method,
        _path(template, NO_SUCH_ID),
        headers=_as(people[outsider]),
        **_with_id(PROTECTED[(method, template)], NO_SUCH_ID),
    )
    assert missing.status_code == 404
    # The same answer as for an object that does not exist: nothing says it does.
    assert answer.json()["detail"].replace(ids["secret"], "ID") == missing.json()["detail"].replace(
        NO_SUCH_ID, "ID"
    )


NO_SUCH_ID = "report--00000000-0000-4000-8000-000000000000"


LISTS: list[tuple[str, dict[str, Any]]] = [
    ("/api/reports", {}),
    ("/api/reports.geojson", {}),
    ("/api/stix/bundle", {}),
    ("/reports", {}),
]


@pytest.mark.parametrize(("path", "params"), LISTS)
def test_lists_show_an_object_to_its_owner_and_its_audience_only(
    node: Any, path: str, params: dict[str, Any]
) -> None:
    client, people, ids = node

    def seen(user: str) -> set[str]:
        answer = client.get(path, params=params, headers=_as(people[user]))
        assert answer.status_code == 200, answer.text
        return {
            key
            for key in ("secret", "shared")
            if ids[key] in answer.text
            or (
                path == "/reports"
                and {"secret": SECRET_TITLE, "shared": SHARED_TITLE}[key] in answer.text
            )
        }

    assert seen("joc-analyst") == {"secret", "shared"}
    assert seen("joc-watch") == {"secret", "shared"}
    assert seen("krg-analyst") == {"shared"}
    assert seen("asayish-analyst") == {"shared"}  # a part of krg
    assert seen("jcc-analyst") == set()


def test_the_owner_and_the_audience_get_the_object(node: Any) -> None:
    client, people, ids = node

    def status(user: str, key: str) -> int:
        path = f"/api/objects/{ids[key]}"
        return int(client.get(path, headers=_as(people[user])).status_code)

    assert status("joc-analyst", "secret") == 200
    assert status("joc-analyst", "shared") == 200
    assert status("krg-analyst", "shared") == 200
    assert status("krg-analyst", "secret") == 404


TAXII_OBJECT = "/taxii2/exchange/collections/{cid}/objects/{oid}/"


@pytest.mark.parametrize(
    "template",
    [TAXII_OBJECT, TAXII_OBJECT + "versions/"],
)
def test_a_peer_gets_over_taxii_only_what_is_released_to_its_partner(
    node: Any, template: str
) -> None:
    client, people, ids = node
    peer = _as(people["krg-node"])
    accept = {"Accept": "application/taxii+json;version=2.1"}

    hidden = client.get(_path(template, ids["secret"]), headers={**peer, **accept})
    shown = client.get(_path(template, ids["shared"]), headers={**peer, **accept})
    other = client.get(
        _path(template, ids["shared"]), headers={**_as(people["jcc-node"]), **accept}
    )

    assert hidden.status_code == 404
    assert shown.status_code == 200
    assert other.status_code == 404
    listing = client.get(
        f"/taxii2/exchange/collections/{INTEL}/objects/", headers={**peer, **accept}
    )
    assert ids["shared"] in listing.text
    assert ids["secret"] not in listing.text
    manifest = client.get(
        f"/taxii2/exchange/collections/{INTEL}/manifest/", headers={**peer, **accept}
    )
    assert ids["shared"] in manifest.text
    assert ids["secret"] not in manifest.text


@pytest.mark.parametrize("path", ["/api/positions", "/api/positions.geojson"])
def test_positions_show_to_their_partner_and_audience_only(node: Any, path: str) -> None:
    client, people, _ = node
    with writing(client.app.state.engine) as conn:
        drafts = [
            make_position(name=SECRET_TITLE),
            make_position(name=SHARED_TITLE, releasable_to=frozenset({"krg"})),
        ]
        positions.save(conn, client.app.state.locator, drafts, "test", FROZEN_NOW)

    def seen(user: str) -> set[str]:
        answer = client.get(path, headers=_as(people[user]))
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == sum(t in answer.text for t in (SECRET_TITLE, SHARED_TITLE))
        return {title for title in (SECRET_TITLE, SHARED_TITLE) if title in answer.text}

    assert seen("joc-analyst") == seen("joc-watch") == {SECRET_TITLE, SHARED_TITLE}
    assert seen("krg-analyst") == seen("asayish-analyst") == {SHARED_TITLE}
    assert seen("jcc-analyst") == set()
