"""CoT events as XML: what takproto reads back, for any text in names and remarks."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from shapely import from_wkt

from tansiq.cot.events import CotEvent, cot_time, delete_event, to_xml
from tansiq.cot.picture import drawings
from tests.cot.sinks import check_event

NOW = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _event(**overrides: object) -> CotEvent:
    values: dict[str, object] = {
        "uid": "tansiq-incident-1",
        "cot_type": "a-h-G",
        "how": "h-t",
        "time": NOW,
        "start": NOW,
        "stale": NOW + timedelta(hours=1),
        "lat": 35.468,
        "lon": 44.392,
    }
    values.update(overrides)
    return CotEvent(**values)  # type: ignore[arg-type]


def test_times_are_utc_with_milliseconds_and_a_z() -> None:
    assert cot_time(NOW) == "2026-11-25T12:00:00.123Z"
    in_baghdad = NOW.astimezone(datetime.fromisoformat("2026-01-01T00:00+03:00").tzinfo)
    assert cot_time(in_baghdad) == "2026-11-25T12:00:00.123Z"


def test_an_event_reads_back_through_takproto() -> None:
    arrived = check_event(to_xml(_event(ce=1000.0, callsign="UCDP 1", remarks="Clash")))
    assert arrived.uid == "tansiq-incident-1"
    assert arrived.cot_type == "a-h-G"
    assert (arrived.lat, arrived.lon, arrived.ce) == (35.468, 44.392, 1000.0)
    assert arrived.callsign == "UCDP 1"
    assert arrived.xml_detail == "<remarks>Clash</remarks>"
    assert arrived.stale_ms - arrived.start_ms == 3_600_000


def test_a_delete_links_to_the_uid_it_removes() -> None:
    arrived = check_event(to_xml(delete_event("tansiq-position-7", "a-f-G-U-C", NOW)))
    assert arrived.cot_type == "t-x-d-d"
    assert arrived.uid == "tansiq-position-7-delete"
    assert arrived.link_uids == ("tansiq-position-7",)
    assert "<__forcedelete />" in arrived.xml_detail
    assert 'type="a-f-G-U-C"' in arrived.xml_detail


@given(st.text(max_size=200), st.text(max_size=400))
def test_any_name_and_remarks_make_well_formed_xml(callsign: str, remarks: str) -> None:
    arrived = check_event(to_xml(_event(callsign=callsign, remarks=remarks)))
    if NOT_XML.sub("", callsign):
        assert arrived.callsign == NOT_XML.sub("", callsign)


def test_drawings_of_each_area_kind() -> None:
    (circle,) = drawings(from_wkt("POINT (44.39 35.47)"), 750.0)
    assert circle.radius_m == 750.0
    (square,) = drawings(from_wkt("POLYGON ((44 35, 44.1 35, 44.1 35.1, 44 35))"), 0.0)
    assert square.vertices[0] == (35.0, 44.0)
    assert square.closed
    two = drawings(
        from_wkt(
            "MULTIPOLYGON (((44 35, 44.1 35, 44.1 35.1, 44 35)),"
            " ((45 35, 45.1 35, 45 35.1, 45 35)))"
        ),
        0.0,
    )
    assert len(two) == 2
    (band,) = drawings(from_wkt("LINESTRING (44.0 35.0, 44.2 35.1)"), 200.0)
    lats = [lat for lat, _ in band.vertices]
    assert 34.99 < min(lats) < 35.0  # the band reaches ~200 m beyond the line's ends
    (line,) = drawings(from_wkt("LINESTRING (44.0 35.0, 44.2 35.1)"), 0.0)
    assert not line.closed
    assert line.vertices == ((35.0, 44.0), (35.1, 44.2))
