"""The incident pages: the filtered, paged table with its downloads, and one incident."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

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

PASSWORD = "a password for the incident pages"
KIRKUK_COUNT = 60  # more than one page of 50
SINJAR_HEADLINE = "اشتباك مسلح قرب سنجار"


def _rows() -> list[tuple[Any, ...]]:
    first = date(2016, 1, 1)
    kirkuk = [
        make_row(
            source_id=f"k{n:03}",
            date_start=first + timedelta(days=n),
            date_end=first + timedelta(days=n),
            adm3_pcode="IQG13Q04N06",
        )
        for n in range(KIRKUK_COUNT)
    ]
    basra = [
        make_row(
            source_id=f"b{n}",
            date_start=date(2017, 2, n),
            date_end=date(2017, 2, n),
            latitude=30.45,
            longitude=48.0,
            place="Abu al-Khasib",
            adm1_pcode="IQG02",
            adm2_pcode="IQG02Q01",
            adm3_pcode="IQG02Q01N02",
            disputed=False,
        )
        for n in (1, 2, 3)
    ]
    sinjar = make_row(
        source_id="s1",
        date_start=date(2017, 6, 4),
        date_end=date(2017, 6, 6),
        latitude=36.32,
        longitude=41.87,
        place="سنجار",
        headline=SINJAR_HEADLINE + " <script>alert(1)</script>",
        actor1="Government of Iraq",
        actor2="IS",
        sub_type="Government of Iraq - IS",
        incident_type="state-based",
        fatalities=12,
        adm1_pcode="IQG15",
        adm2_pcode="IQG15Q07",
        adm3_pcode="IQG15Q07N03",
        disputed=True,
        syria_border_district=True,
    )
    return [*kirkuk, *basra, sinjar]


@pytest.fixture
def browser(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", _rows(), FROZEN_NOW)
        add_partner(conn, "jcc", "Joint Coordination Centre", None, FROZEN_NOW)
        accounts.create_user(conn, "watch", "jcc", Role.WATCH, PASSWORD, FROZEN_NOW)
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        answer = client.post("/api/session", json={"name": "watch", "password": PASSWORD})
        assert answer.status_code == 200
        yield client


def row_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-id="(\d+)">', page)]


def page_total(page: str) -> int:
    found = re.search(r'data-testid="incident-total" data-total="(\d+)"', page)
    assert found is not None, page
    return int(found.group(1))


def link(page: str, testid: str) -> str | None:
    found = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', page)
    return html.unescape(found.group(1)) if found else None


def api_ids(browser: TestClient, params: dict[str, str]) -> list[int]:
    body = browser.get("/api/incidents", params=params).json()
    return [item["id"] for item in body["items"]]


FILTERS = [
    {},
    {"area": "IQG13Q04"},
    {"area": "IQG15"},
    {"disputed": "true"},
    {"from": "2016-01-10", "to": "2016-02-01"},
    {"from": "2017-01-01", "disputed": "true"},
]


@pytest.mark.parametrize("params", FILTERS)
def test_the_page_counts_and_lists_what_the_api_does(
    browser: TestClient, params: dict[str, str]
) -> None:
    page = browser.get("/incidents", params=params)

    assert page.status_code == 200
    api = browser.get("/api/incidents", params=params).json()
    assert page_total(page.text) == api["total"]
    assert row_ids(page.text) == [item["id"] for item in api["items"]][:50]


def test_paging_walks_every_match_once_and_keeps_the_filter(browser: TestClient) -> None:
    params = {"area": "IQG13", "disputed": "true"}
    first = browser.get("/incidents", params=params).text
    assert link(first, "page-prev") is None
    assert "Page 1 of 2" in first

    second_link = link(first, "page-next")
    assert second_link is not None
    assert "area=IQG13" in second_link
    assert "disputed=true" in second_link
    second = browser.get(second_link).text

    assert link(second, "page-next") is None
    assert row_ids(first) + row_ids(second) == api_ids(browser, params)
    assert len(row_ids(first)) == 50
    back = link(second, "page-prev")
    assert back is not None
    assert row_ids(browser.get(back).text) == row_ids(first)


def test_an_arabic_page_is_right_to_left_with_arabic_area_names(browser: TestClient) -> None:
    arabic = browser.get("/incidents", headers={"Accept-Language": "ar-IQ,ar"}).text
    english = browser.get("/incidents", headers={"Accept-Language": "en"}).text

    assert 'dir="rtl"' in arabic
    assert 'lang="ar"' in arabic
    assert "ابي الخصيب" in arabic  # a district in the area list
    assert "Abu Al-Khaseeb" not in arabic
    assert "كركوك، كركوك" in arabic  # district and governorate of the Kirkuk rows
    assert "الحوادث" in arabic
    assert 'dir="ltr"' in english
    assert "Abu Al-Khaseeb" in english
    assert "ابي الخصيب" not in english


def test_a_kurdish_page_is_right_to_left_with_arabic_script_area_names(
    browser: TestClient,
) -> None:
    page = browser.get("/incidents", headers={"Accept-Language": "ckb"}).text

    assert 'dir="rtl"' in page
    assert 'lang="ckb"' in page
    assert "ابي الخصيب" in page
    assert "ڕووداو" in page


def test_no_match_shows_the_empty_state(browser: TestClient) -> None:
    page = browser.get("/incidents", params={"from": "2020-01-01"}).text

    assert page_total(page) == 0
    assert 'data-testid="empty-state"' in page
    assert row_ids(page) == []


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"from": "2017-13-01"}, "from: not a date"),
        ({"area": "IQG99Q01"}, "unknown area"),
        ({"area": "Kirkuk"}, "not an area pcode"),
        ({"from": "2017-02-01", "to": "2017-01-01"}, "the date range is empty"),
        ({"disputed": "perhaps"}, "disputed"),
    ],
)
def test_a_bad_filter_is_explained_on_the_page_and_kept_in_the_form(
    browser: TestClient, params: dict[str, str], fragment: str
) -> None:
    page = browser.get("/incidents", params=params)

    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-testid="filter-error"' in page.text
    assert fragment in html.unescape(page.text)
    assert row_ids(page.text) == []
    if "from" in params:
        assert f'value="{params["from"]}"' in page.text


def test_empty_form_fields_mean_no_filter(browser: TestClient) -> None:
    """What the browser sends for an untouched form: every field present, empty."""
    page = browser.get("/incidents?from=&to=&area=").text

    assert page_total(page) == KIRKUK_COUNT + 4


def test_the_downloads_carry_the_filter_and_hold_every_match(browser: TestClient) -> None:
    params = {"area": "IQG13Q04", "from": "2016-01-05"}
    page = browser.get("/incidents", params=params).text
    total = page_total(page)
    assert total == KIRKUK_COUNT - 4

    csv_link = link(page, "download-csv")
    geojson_link = link(page, "download-geojson")
    assert csv_link is not None
    assert geojson_link is not None
    assert csv_link.startswith("/api/incidents.csv?")
    table = list(csv.DictReader(io.StringIO(browser.get(csv_link).content.decode("utf-8-sig"))))
    collection = browser.get(geojson_link).json()

    assert len(table) == total
    assert {row["adm2_pcode"] for row in table} == {"IQG13Q04"}
    assert min(row["date"] for row in table) == "2016-01-05"
    assert collection["returned"] == collection["total"] == total


def test_the_detail_page_shows_the_incident_and_its_places(browser: TestClient) -> None:
    (item,) = browser.get("/api/incidents", params={"area": "IQG15"}).json()["items"]

    arabic = browser.get(f"/incidents/{item['id']}", headers={"Accept-Language": "ar"})
    english = browser.get(f"/incidents/{item['id']}", headers={"Accept-Language": "en"}).text

    assert arabic.status_code == 200
    for name, pcode in (
        ("مركز سنجار", "IQG15Q07N03"),
        ("سنجار", "IQG15Q07"),
        ("نينوى", "IQG15"),
    ):
        assert name in arabic.text
        assert pcode in arabic.text
    assert SINJAR_HEADLINE in arabic.text
    assert "<script>alert(1)</script>" not in arabic.text  # data is escaped, never markup
    assert 'href="/?area=IQG15Q07"' in english
    for text in (
        "Markaz Sinjar",
        "Ninewa",
        "4 Jun 2017 to 6 Jun 2017",
        "State-based",
        "Government of Iraq vs IS",
        "Government of Iraq - IS",
        "UCDP",
        "Agence France Presse",
        ">s1<",
        "36.3200, 41.8700",
    ):
        assert text in english, text
    fields = dict(re.findall(r'data-field="(\w+)">(\w+)<', english))
    assert fields == {
        "fatalities": "12",
        "disputed": "Yes",
        "kurdistan_region": "No",
        "syria_border_district": "Yes",
    }


def test_the_table_links_each_row_to_its_detail_page(browser: TestClient) -> None:
    page = browser.get("/incidents", params={"area": "IQG02"}).text

    for incident_id in row_ids(page):
        assert f'href="/incidents/{incident_id}"' in page
        assert browser.get(f"/incidents/{incident_id}").status_code == 200


@pytest.mark.parametrize(
    "incident_id", ["999999", "abc", "٣", "99999999999999999999", "9" * 5000, "-1", "1.0"]
)
def test_an_unknown_incident_is_the_not_found_page(browser: TestClient, incident_id: str) -> None:
    page = browser.get(f"/incidents/{incident_id}")

    assert page.status_code == 404
    assert 'data-testid="not-found"' in page.text


@pytest.mark.parametrize("path", ["/incidents", "/incidents/1", "/incidents?area=IQG13"])
def test_anonymous_browsers_are_sent_to_log_in(browser: TestClient, path: str) -> None:
    browser.cookies.clear()

    answer = browser.get(path)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


def test_no_form_input_makes_a_500(browser: TestClient) -> None:
    garbage = ["", "%00", "\x00", "'; DROP TABLE incidents; --", "9" * 40, "2017-02-30", "IQG99"]
    for value in garbage:
        for name in ("area", "from", "to", "disputed", "page"):
            answer = browser.get("/incidents", params={name: value})
            assert answer.status_code in (200, 400), (name, value, answer.text)
        detail = browser.get(f"/incidents/{quote(value, safe='')}")
        assert detail.status_code in (307, 404)  # 307: "/incidents/" goes to the list
