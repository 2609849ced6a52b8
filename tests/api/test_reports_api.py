"""Reports over HTTP: tokens, roles, releasability on every answer, problem+json on every error."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq.api.app import create_app
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading
from tests.nodes import Account, setup_node

PROBLEM = "application/problem+json"


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine, locator), raise_server_exceptions=False) as c:
        yield c


def _as(people: dict[str, Account], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {people[name].token}"}


def _add(client: TestClient, people: dict[str, Account], **body: Any) -> str:
    payload = {"title": "ISIS cell near Tuz Khurmatu", "text": "seen", **body}
    answer = client.post("/api/reports", json=payload, headers=_as(people, "joc-analyst"))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_no_token_is_401_with_a_challenge(client: TestClient) -> None:
    for answer in (
        client.get("/api/reports"),
        client.get("/api/reports", headers={"Authorization": "Bearer tq_wrong"}),
        client.get("/api/reports", headers={"Authorization": "Basic !!!"}),
    ):
        assert answer.status_code == 401
        assert answer.headers["content-type"] == PROBLEM
        assert "Bearer" in answer.headers["www-authenticate"]


def test_basic_login_with_the_token(client: TestClient, people: dict[str, Account]) -> None:
    secret = base64.b64encode(f"krg-analyst:{people['krg-analyst'].token}".encode()).decode()
    answer = client.get("/api/reports", headers={"Authorization": f"Basic {secret}"})
    assert answer.status_code == 200


def test_a_report_reaches_exactly_its_audience(
    client: TestClient, people: dict[str, Account], engine: Engine
) -> None:
    report = _add(
        client,
        people,
        tlp="amber",
        releasable_to=["krg"],
        grade="B2",
        places=[{"lat": 35.47, "lon": 44.39, "name": "Kirkuk"}],
        lang="en",
    )
    mine = client.get(f"/api/objects/{report}", headers=_as(people, "krg-analyst")).json()
    assert mine["grade"] == "B2"
    assert mine["confidence"] == 70
    assert mine["releasable_to"] == ["krg"]
    assert mine["originator"] == "joc"
    assert mine["places"][0]["administrative_area"] == "IQ-KI"
    hidden = client.get(f"/api/objects/{report}", headers=_as(people, "jcc-analyst"))
    missing = client.get(
        "/api/objects/report--00000000-0000-4000-8000-000000000000",
        headers=_as(people, "jcc-analyst"),
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(report, "X") == missing.json()["detail"].replace(
        "report--00000000-0000-4000-8000-000000000000", "X"
    )
    listing = client.get("/api/reports?q=Tuz", headers=_as(people, "jcc-analyst")).json()
    assert listing["total"] == 0
    assert listing["items"] == []
    with reading(engine) as conn:
        actions = [e.action for e in audit.entries(conn)]
    assert "read" in actions
    assert "write" in actions


def test_marking_and_withdrawing_over_http(client: TestClient, people: dict[str, Account]) -> None:
    report = _add(client, people, tlp="green", releasable_to=["krg", "jcc"])
    analyst = _as(people, "joc-analyst")
    answer = client.post(
        f"/api/objects/{report}/marking",
        headers=analyst,
        json={"tlp": "amber", "releasable_to": ["krg"]},
    )
    assert answer.status_code == 204
    assert (
        client.get(f"/api/objects/{report}", headers=_as(people, "jcc-analyst")).status_code == 404
    )
    assert client.get("/api/reports", headers=_as(people, "krg-analyst")).json()["total"] == 1
    assert client.post(f"/api/objects/{report}/withdraw", headers=analyst).status_code == 204
    assert client.get("/api/reports", headers=_as(people, "krg-analyst")).json()["total"] == 0


def test_roles_and_read_only_copies(client: TestClient, people: dict[str, Account]) -> None:
    report = _add(client, people, tlp="amber", releasable_to=["krg"])
    watch = client.post("/api/reports", json={"title": "x"}, headers=_as(people, "joc-watch"))
    assert watch.status_code == 403
    assert watch.headers["content-type"] == PROBLEM
    foreign = client.patch(
        f"/api/reports/{report}", json={"title": "mine now"}, headers=_as(people, "krg-analyst")
    )
    assert foreign.status_code == 403
    note = client.post(
        "/api/comments",
        headers=_as(people, "krg-analyst"),
        json={
            "kind": "note",
            "on": report,
            "text": "we agree",
            "tlp": "amber",
            "releasable_to": ["joc"],
        },
    )
    assert note.status_code == 201
    notes = client.get("/api/reports?type=note", headers=_as(people, "joc-analyst")).json()
    assert notes["items"][0]["originator"] == "krg"


@pytest.mark.parametrize(
    "body",
    [
        {"title": ""},
        {"title": "x", "tlp": "purple"},
        {"title": "x", "grade": "G9"},
        {"title": "x", "releasable_to": ["nobody"]},
        {"title": "x", "places": [{"lat": 95, "lon": 44}]},
        {"title": "x", "lang": "fr"},
        {"title": "x", "cells": ["intrusion-set--00000000-0000-4000-8000-000000000000"]},
    ],
)
def test_bad_reports_are_client_errors_and_store_nothing(
    client: TestClient, people: dict[str, Account], body: dict[str, Any]
) -> None:
    answer = client.post("/api/reports", json=body, headers=_as(people, "joc-analyst"))
    assert 400 <= answer.status_code < 500
    assert answer.headers["content-type"] == PROBLEM
    assert client.get("/api/reports", headers=_as(people, "joc-analyst")).json()["total"] == 0


def test_the_reports_page_shows_only_what_the_reader_may_see(
    client: TestClient, people: dict[str, Account]
) -> None:
    _add(client, people, title="For KRG: تحرك خلية قرب مخمور", tlp="amber", releasable_to=["krg"])
    _add(client, people, title="JOC only", tlp="amber")
    assert client.get("/reports", follow_redirects=False).status_code == 303  # to /login
    page = client.get("/reports", headers=_as(people, "krg-analyst"))
    assert page.status_code == 200
    assert "تحرك خلية قرب مخمور" in page.text
    assert "JOC only" not in page.text
    assert "1 report<" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_a_nul_in_the_text_is_stored_and_searchable_on_both_backends(
    client: TestClient, people: dict[str, Account]
) -> None:
    """PostgreSQL's text cannot hold NUL: the title and search columns drop it, the object keeps
    it (found by schemathesis as a 500 on PostgreSQL)."""
    report = _add(client, people, title="Cell\x00 near Kirkuk", text="moved\x00 at dawn")
    shown = client.get(f"/api/objects/{report}", headers=_as(people, "joc-analyst"))
    assert shown.status_code == 200
    record = shown.json()
    assert (record["title"], record["text"]) == ("Cell near Kirkuk", "moved\x00 at dawn")
    found = client.get("/api/reports", params={"q": "at dawn"}, headers=_as(people, "joc-analyst"))
    assert [r["id"] for r in found.json()["items"]] == [report]


def test_a_place_at_the_south_pole_is_stored_not_a_server_error(
    client: TestClient, people: dict[str, Account]
) -> None:
    """Found by schemathesis: the locator's projection sent the pole to infinity (a 500)."""
    report = _add(client, people, title="Far away", places=[{"lat": -90.0, "lon": 0.0}])
    shown = client.get(f"/api/objects/{report}", headers=_as(people, "joc-analyst"))
    assert shown.status_code == 200


def test_a_report_without_places_lists_none(client: TestClient, people: dict[str, Account]) -> None:
    """An empty id list once selected any one object as the report's "place"."""
    _add(client, people, title="Another report first")
    report = _add(client, people, title="No place")
    shown = client.get(f"/api/objects/{report}", headers=_as(people, "joc-analyst"))
    assert shown.json()["places"] == []
