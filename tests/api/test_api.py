"""The HTTP API in-process (httpx over the ASGI app), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store.database import writing
from tansiq.store.incidents import upsert_incidents
from tansiq.store.partners import add_partner
from tests.conftest import FROZEN_NOW
from tests.factories import make_row

PROBLEM = "application/problem+json"


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    rows = [
        make_row(source_id="k1", date_start=date(2016, 3, 1), date_end=date(2016, 3, 1)),
        make_row(source_id="k2", date_start=date(2017, 3, 1), date_end=date(2017, 3, 1)),
        make_row(
            source_id="b1",
            adm1_pcode="IQG02",
            adm2_pcode="IQG02Q01",
            adm3_pcode="IQG02Q01N01",
            disputed=False,
            latitude=30.5,
            longitude=47.8,
        ),
    ]
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", rows, FROZEN_NOW)
        add_partner(conn, "jcc", "Joint Coordination Centre", None, FROZEN_NOW)
        _, token = accounts.create_user(conn, "watch", "jcc", Role.WATCH, None, FROZEN_NOW)
    with TestClient(
        create_app(settings, engine=engine, locator=locator), raise_server_exceptions=False
    ) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def test_health_reports_the_incident_count(client: TestClient) -> None:
    answer = client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"
    assert answer.json()["incidents"] == 3


def test_incidents_geojson_filters_and_counts(client: TestClient) -> None:
    answer = client.get("/api/incidents.geojson", params={"area": "IQG13Q04", "from": "2017-01-01"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    assert body["type"] == "FeatureCollection"
    assert (body["total"], body["returned"]) == (1, 1)
    (feature,) = body["features"]
    assert feature["properties"]["source_id"] == "k2"
    assert feature["properties"]["date"] == "2017-03-01"
    assert feature["geometry"]["coordinates"] == [44.392, 35.468]


def test_limit_caps_what_is_returned_but_not_the_total(client: TestClient) -> None:
    body = client.get("/api/incidents.geojson", params={"limit": 1}).json()
    assert (body["total"], body["returned"], len(body["features"])) == (3, 1, 1)


def test_disputed_filter(client: TestClient) -> None:
    body = client.get("/api/incidents", params={"disputed": "true"}).json()
    assert body["total"] == 2
    assert {i["source_id"] for i in body["items"]} == {"k1", "k2"}


def test_incidents_list_pages(client: TestClient) -> None:
    first = client.get("/api/incidents", params={"limit": 2}).json()
    rest = client.get("/api/incidents", params={"limit": 2, "offset": 2}).json()
    ids = [i["source_id"] for i in first["items"] + rest["items"]]
    assert ids == ["k1", "k2", "b1"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"from": "2017-13-01"}, "from"),
        ({"from": "2017-02-01", "to": "2017-01-01"}, "empty"),
        ({"area": "Kirkuk"}, "pcode"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"disputed": "perhaps"}, "disputed"),
    ],
)
def test_bad_filters_are_400_problems(
    client: TestClient, params: dict[str, str], fragment: str
) -> None:
    answer = client.get("/api/incidents.geojson", params=params)
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["status"] == 400
    assert fragment in body["detail"]


def test_unknown_routes_and_layers_are_404_problems(client: TestClient) -> None:
    for path in ("/api/nothing-here", "/api/layers/atlantis"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == PROBLEM


def test_areas_lists_the_disputed_districts_with_arabic_names(client: TestClient) -> None:
    body = client.get("/api/areas", params={"level": 2, "disputed": "true"}).json()
    assert (body["total"], body["offset"]) == (14, 0)
    kirkuk = next(a for a in body["items"] if a["pcode"] == "IQG13Q04")
    assert (kirkuk["name_en"], kirkuk["name_ar"]) == ("Kirkuk", "كركوك")


def test_areas_come_a_page_at_a_time(client: TestClient) -> None:
    whole = client.get("/api/areas").json()
    assert whole["total"] == len(whole["items"]) == 413
    pages = [
        client.get("/api/areas", params={"limit": 100, "offset": n}).json()
        for n in range(0, 413, 100)
    ]
    assert [a["pcode"] for p in pages for a in p["items"]] == [a["pcode"] for a in whole["items"]]
    assert client.get("/api/areas", params={"limit": 0}).status_code == 400


@pytest.mark.parametrize(
    "name", ["adm1", "adm2", "adm3", "disputed", "kurdistan-region", "syria-border", "neighbours"]
)
def test_layers_are_geojson(client: TestClient, name: str) -> None:
    answer = client.get(f"/api/layers/{name}")
    assert answer.status_code == 200
    assert answer.json()["type"] == "FeatureCollection"
    assert answer.json()["features"]


def test_locate_names_the_three_levels(client: TestClient) -> None:
    body = client.get("/api/locate", params={"lat": 35.468, "lon": 44.392}).json()
    assert (body["adm1_pcode"], body["adm2_pcode"]) == ("IQG13", "IQG13Q04")
    assert body["disputed"] is True
    assert client.get("/api/locate", params={"lat": 95, "lon": 44}).status_code == 400


def test_health_on_an_uninitialised_database_is_503(
    bare_engine: Engine, settings: Settings
) -> None:
    with TestClient(create_app(settings, engine=bare_engine)) as c:
        answer = c.get("/api/health")
    assert answer.status_code == 503
    assert "tansiq init" in answer.json()["detail"]


def test_no_client_input_makes_a_500(client: TestClient) -> None:
    garbage = ["", "%00", "'; DROP TABLE incidents; --", "9" * 400, "2017-02-30", "IQG99Q99N99"]
    for value in garbage:
        for name in ("area", "from", "to", "limit", "disputed", "offset"):
            answer = client.get("/api/incidents", params={name: value})
            assert answer.status_code in (200, 400), (name, value, answer.text)


def test_an_unknown_area_is_a_clear_400(client: TestClient) -> None:
    answer = client.get("/api/incidents.geojson", params={"area": "IQG99Q01"})
    assert answer.status_code == 400
    assert "unknown area" in answer.json()["detail"]
