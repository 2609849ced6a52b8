"""The incident downloads: `/api/incidents.csv` and `/api/incidents.geojson?export=true`."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.api.incidents import ROWS_PER_CHUNK, csv_chunks
from tansiq.domain.reports import Role
from tansiq.exports import RECORD_FIELDS
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store.database import writing
from tansiq.store.incidents import upsert_incidents
from tansiq.store.partners import add_partner
from tests.conftest import FROZEN_NOW
from tests.factories import make_row

PROBLEM = "application/problem+json"
BOM = b"\xef\xbb\xbf"
ARABIC_HEADLINE = "اشتباك مسلح قرب سنجار، وسقوط قتلى"
QUOTED_DETAIL = 'Reuters, "AFP"\nsecond line'
HOSTILE = {
    "headline": '=HYPERLINK("http://evil.example","click")',
    "actor1": "+9647701234567",
    "actor2": "@SUM(A1:A9)",
    "place": "-2+3",
    "sub_type": "\tcmd",
}
PAGE_CAP = 2


def _rows() -> list[tuple[Any, ...]]:
    return [
        make_row(source_id="k1", date_start=date(2016, 3, 1), date_end=date(2016, 3, 1)),
        make_row(
            source_id="k2",
            date_start=date(2017, 3, 1),
            date_end=date(2017, 3, 2),
            fatalities=None,
            precision=None,
            **HOSTILE,
        ),
        make_row(
            source_id="s1",
            date_start=date(2017, 6, 4),
            date_end=date(2017, 6, 4),
            latitude=36.32,
            longitude=41.87,
            place="سنجار",
            headline=ARABIC_HEADLINE,
            source_detail=QUOTED_DETAIL,
            adm1_pcode="IQG15",
            adm2_pcode="IQG15Q07",
            adm3_pcode="IQG15Q07N03",
            syria_border_district=True,
        ),
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


@pytest.fixture
def client(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", _rows(), FROZEN_NOW)
        add_partner(conn, "jcc", "Joint Coordination Centre", None, FROZEN_NOW)
        _, token = accounts.create_user(conn, "watch", "jcc", Role.WATCH, None, FROZEN_NOW)
    capped = Settings(db=settings.db, incidents_page_limit=PAGE_CAP)
    app = create_app(capped, engine=engine, locator=locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def table(content: bytes) -> list[dict[str, str]]:
    """A CSV download as a spreadsheet program reads it: UTF-8 with its BOM removed."""
    assert content.startswith(BOM)
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def as_cell(value: Any) -> str:
    """What a JSON record's value becomes in the CSV (booleans as Python writes them)."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return str(value)


def all_items(client: TestClient, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every JSON record for the filter, walking the API's pages (capped at PAGE_CAP)."""
    items: list[dict[str, Any]] = []
    for offset in itertools.count(0, PAGE_CAP):
        page = client.get("/api/incidents", params={**params, "offset": offset}).json()
        items += page["items"]
        if offset + PAGE_CAP >= page["total"]:
            return items
    raise AssertionError("unreachable")


FILTERS = [{}, {"area": "IQG13Q04"}, {"disputed": "true"}, {"from": "2017-01-01"}]


@pytest.mark.parametrize("params", FILTERS)
def test_csv_rows_are_the_json_records_of_the_same_filter(
    client: TestClient, params: dict[str, str]
) -> None:
    answer = client.get("/api/incidents.csv", params=params)

    assert answer.status_code == 200
    expected = [{k: as_cell(v) for k, v in item.items()} for item in all_items(client, params)]
    assert table(answer.content) == expected
    assert len(expected) == client.get("/api/incidents", params=params).json()["total"]


def test_csv_is_an_excel_ready_attachment_with_a_header(client: TestClient) -> None:
    answer = client.get("/api/incidents.csv", params={"area": "IQG13Q04", "from": "2016-01-01"})

    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = answer.headers["content-disposition"]
    assert disposition == 'attachment; filename="incidents_IQG13Q04_2016-01-01_to_end.csv"'
    assert answer.content.startswith(BOM + b"id,source,source_id,date,")
    header = next(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert tuple(header) == RECORD_FIELDS


def test_cells_a_spreadsheet_would_run_as_formulas_are_defused(client: TestClient) -> None:
    (row,) = table(
        client.get("/api/incidents.csv", params={"from": "2017-03-01", "to": "2017-03-31"}).content
    )

    for name, value in HOSTILE.items():
        assert row[name] == "'" + value
    assert (row["fatalities"], row["precision"]) == ("", "")
    assert row["latitude"] == "35.468"  # numbers are written as numbers


def test_arabic_commas_quotes_and_line_breaks_survive(client: TestClient) -> None:
    answer = client.get("/api/incidents.csv", params={"area": "IQG15"})

    assert ARABIC_HEADLINE.encode() in answer.content
    assert b'"Reuters, ""AFP""\nsecond line"' in answer.content  # RFC 4180 quoting
    (row,) = table(answer.content)
    assert (row["headline"], row["place"]) == (ARABIC_HEADLINE, "سنجار")
    assert row["source_detail"] == QUOTED_DETAIL
    assert answer.content.count(b"\r\n") == 2  # CRLF after the header and after the row


def test_a_download_streams_past_the_page_limit_in_one_read(
    engine: Engine, client: TestClient
) -> None:
    """More rows than several chunks and far more than the page cap, through a real app."""
    many = [
        make_row(
            source_id=f"m{n}",
            date_start=date(2010, 1, 1) + timedelta(days=n % 400),
            date_end=date(2010, 1, 1) + timedelta(days=n % 400),
        )
        for n in range(2 * ROWS_PER_CHUNK + 500)
    ]
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", many, FROZEN_NOW)

    rows = table(client.get("/api/incidents.csv", params={"to": "2015-12-31"}).content)
    collection = client.get(
        "/api/incidents.geojson", params={"to": "2015-12-31", "export": "true"}
    ).json()

    assert len(rows) == len({r["source_id"] for r in rows}) == len(many)
    assert [(r["date"], int(r["id"])) for r in rows] == sorted(
        (r["date"], int(r["id"])) for r in rows
    )
    assert collection["returned"] == collection["total"] == len(many)
    assert len(collection["features"]) == len(many)


def test_csv_chunks_are_produced_while_records_are_still_being_read() -> None:
    """A million-row export never holds more than a chunk: the first chunk arrives after
    one chunk's worth of records has been read."""
    record = dict.fromkeys(RECORD_FIELDS, "x")
    read = 0

    def million() -> Iterator[dict[str, Any]]:
        nonlocal read
        for _ in range(1_000_000):
            read += 1
            yield record

    chunks = csv_chunks(million())
    header_and_first = next(chunks)

    assert read == ROWS_PER_CHUNK
    assert header_and_first.count(b"\r\n") == ROWS_PER_CHUNK + 1
    assert len(next(chunks)) < 100 * ROWS_PER_CHUNK


def test_geojson_export_returns_every_match_beyond_the_page_cap(client: TestClient) -> None:
    capped = client.get("/api/incidents.geojson").json()
    export = client.get("/api/incidents.geojson", params={"export": "true", "disputed": "true"})

    assert (capped["total"], capped["returned"]) == (4, PAGE_CAP)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/geo+json")
    assert export.headers["content-disposition"] == (
        'attachment; filename="incidents_disputed.geojson"'
    )
    body = export.json()
    assert (body["type"], body["total"], body["returned"]) == ("FeatureCollection", 3, 3)
    ids = [f["properties"]["source_id"] for f in body["features"]]
    assert ids == [i["source_id"] for i in all_items(client, {"disputed": "true"})]
    sinjar = next(f for f in body["features"] if f["properties"]["source_id"] == "s1")
    assert sinjar["properties"]["headline"] == ARABIC_HEADLINE
    assert sinjar["geometry"]["coordinates"] == [41.87, 36.32]


def test_an_empty_export_is_still_a_valid_file(client: TestClient) -> None:
    params = {"from": "2030-01-01"}

    csv_answer = client.get("/api/incidents.csv", params=params)
    geojson = client.get("/api/incidents.geojson", params={**params, "export": "true"}).json()

    assert table(csv_answer.content) == []
    assert geojson == {"type": "FeatureCollection", "total": 0, "features": [], "returned": 0}


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/api/incidents.csv", {"area": "IQG99Q01"}, "unknown area"),
        ("/api/incidents.csv", {"area": "Kirkuk"}, "pcode"),
        ("/api/incidents.csv", {"from": "2017-13-01"}, "from"),
        ("/api/incidents.csv", {"from": "2017-02-01", "to": "2017-01-01"}, "empty"),
        ("/api/incidents.csv", {"disputed": "perhaps"}, "disputed"),
        ("/api/incidents.geojson", {"export": "true", "limit": "1"}, "limit"),
        ("/api/incidents.geojson", {"export": "maybe"}, "export"),
    ],
)
def test_bad_filters_are_400_problems_not_downloads(
    client: TestClient, path: str, params: dict[str, str], fragment: str
) -> None:
    answer = client.get(path, params=params)

    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM
    assert "content-disposition" not in answer.headers
    assert fragment in answer.json()["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [("/api/incidents.csv", {}), ("/api/incidents.geojson", {"export": "true"})],
)
def test_anonymous_callers_get_401_and_no_data(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    del client.headers["Authorization"]

    answer = client.get(path, params=params)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert "k1" not in answer.text
    assert "سنجار" not in answer.text


def test_no_client_input_makes_a_500(client: TestClient) -> None:
    garbage = ["", "%00", "\x00", "'; DROP TABLE incidents; --", "9" * 400, "2017-02-30"]
    for value in garbage:
        for name in ("area", "from", "to", "disputed"):
            answer = client.get("/api/incidents.csv", params={name: value})
            assert answer.status_code in (200, 400), (name, value, answer.text)
        export = client.get("/api/incidents.geojson", params={"export": value})
        assert export.status_code in (200, 400), (value, export.text)
