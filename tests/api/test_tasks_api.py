"""Tasks over HTTP: raise, move, list, metrics; who sees what; problem+json errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tests.nodes import Account, setup_node

PROBLEM = "application/problem+json"


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine, locator), raise_server_exceptions=False) as c:
        yield c


def _call(
    client: TestClient, people: dict[str, Account], who: str, method: str, path: str, **kw: Any
) -> Any:
    headers = {"Authorization": f"Bearer {people[who].token}"}
    return client.request(method, path, headers=headers, **kw)


def _report(client: TestClient, people: dict[str, Account], to: list[str]) -> str:
    body = {"title": "Cell near Sinjar", "tlp": "amber", "releasable_to": to}
    answer = _call(client, people, "joc-analyst", "POST", "/api/reports", json=body)
    return str(answer.json()["id"])


def _task(client: TestClient, people: dict[str, Account], report: str, **extra: Any) -> Any:
    body = {"source_kind": "report", "source_ref": report, "to_partner": "krg", "title": "Check"}
    return _call(client, people, "joc-analyst", "POST", "/api/tasks", json={**body, **extra})


def test_a_task_round_trip(client: TestClient, people: dict[str, Account]) -> None:
    created = _task(client, people, _report(client, people, ["krg"]), ack_within="1h")
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]

    for action in ("ack", "start"):
        moved = _call(client, people, "krg-analyst", "POST", f"/api/tasks/{task_id}/{action}")
        assert moved.status_code == 200, moved.text
    done = _call(
        client,
        people,
        "krg-analyst",
        "POST",
        f"/api/tasks/{task_id}/done",
        json={"feedback": "two arrested"},
    )
    seen = _call(client, people, "joc-analyst", "GET", f"/api/tasks/{task_id}").json()

    assert done.json()["state"] == seen["state"] == "done"
    assert seen["feedback"] == "two arrested"
    listing = _call(client, people, "krg-analyst", "GET", "/api/tasks", params={"state": "done"})
    assert listing.json()["total"] == 1
    metrics = _call(client, people, "joc-analyst", "GET", "/api/tasks/metrics").json()
    assert metrics["partners"][0]["partner"] == "krg"
    assert metrics["partners"][0]["share_done"] == 1.0


def test_a_third_partner_sees_nothing(client: TestClient, people: dict[str, Account]) -> None:
    task_id = _task(client, people, _report(client, people, ["krg"])).json()["id"]

    one = _call(client, people, "jcc-analyst", "GET", f"/api/tasks/{task_id}")
    missing = _call(client, people, "jcc-analyst", "GET", "/api/tasks/99999")
    moved = _call(client, people, "jcc-analyst", "POST", f"/api/tasks/{task_id}/ack")
    listing = _call(client, people, "jcc-analyst", "GET", "/api/tasks").json()
    metrics = _call(client, people, "jcc-analyst", "GET", "/api/tasks/metrics").json()

    assert one.status_code == missing.status_code == moved.status_code == 404
    assert one.json()["detail"].replace(str(task_id), "N") == missing.json()["detail"].replace(
        "99999", "N"
    )
    assert listing == {"total": 0, "items": []}
    assert metrics == {"partners": []}


@pytest.mark.parametrize(
    ("extra", "status", "words"),
    [
        ({"ack_within": "soon"}, 400, "ack_within"),
        ({"to_partner": "nobody"}, 400, "unknown partner"),
        ({"source_kind": "operation"}, 400, "source_kind"),
        ({"title": ""}, 400, "title"),
    ],
)
def test_bad_input_is_a_problem(
    client: TestClient, people: dict[str, Account], extra: dict[str, Any], status: int, words: str
) -> None:
    answer = _task(client, people, _report(client, people, ["krg"]), **extra)

    assert answer.status_code == status
    assert answer.headers["content-type"] == PROBLEM
    assert words in answer.text


def test_refusals(client: TestClient, people: dict[str, Account]) -> None:
    unreleased = _task(client, people, _report(client, people, []))
    task_id = _task(client, people, _report(client, people, ["krg"])).json()["id"]
    by_issuer = _call(client, people, "joc-analyst", "POST", f"/api/tasks/{task_id}/ack")
    too_soon = _call(client, people, "krg-analyst", "POST", f"/api/tasks/{task_id}/done")
    no_reason = _call(client, people, "krg-analyst", "POST", f"/api/tasks/{task_id}/decline")
    unknown = _call(client, people, "krg-analyst", "POST", f"/api/tasks/{task_id}/finish")

    assert unreleased.status_code == 400
    assert "not released to krg" in unreleased.text
    assert by_issuer.status_code == 403
    assert too_soon.status_code == 409  # the task's state does not allow it
    assert "cannot close as done a task that is open" in too_soon.text
    assert no_reason.status_code == 400
    assert "reason" in no_reason.text
    assert unknown.status_code == 400
    for answer in (unreleased, by_issuer, too_soon, no_reason, unknown):
        assert answer.headers["content-type"] == PROBLEM
