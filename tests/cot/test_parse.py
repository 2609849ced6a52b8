"""Untrusted CoT: each malformed input rejected with a reason naming the field; good ones read."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansiq.cot.events import CotEvent, delete_event, to_xml
from tansiq.cot.parse import MAX_EVENT_BYTES, Rejected, parse_event
from tests.cot.senders import event_xml, good_track, malformed

CASES = sorted(malformed())
"""The cases' names; each is built when its test runs, so its times are fresh (a stale event is
rejected for that first)."""


def test_a_track_made_by_pytak_is_read() -> None:
    event = parse_event(good_track("ANDROID-1", lat=35.5, lon=44.4), datetime.now(UTC))
    assert event.uid == "ANDROID-1"
    assert event.cot_type == "a-f-G-U-C"
    assert event.affiliation == "f"
    assert (event.lat, event.lon, event.ce) == (35.5, 44.4, 25.0)
    assert event.callsign == "Alpha"
    assert event.how == "m-g"
    assert event.stale - event.start == pytest.approx(
        timedelta(minutes=10), abs=timedelta(seconds=1)
    )


def test_our_own_events_read_back_through_the_checks() -> None:
    now = datetime.now(UTC)
    ours = CotEvent(
        "tansiq-position-1",
        "a-f-G-U-C",
        "h-t",
        now,
        now,
        now + timedelta(hours=1),
        35.0,
        44.0,
        callsign="CP 1",
    )
    event = parse_event(to_xml(ours), now)
    assert event.uid == "tansiq-position-1"
    assert event.callsign == "CP 1"
    delete = parse_event(to_xml(delete_event("tansiq-position-1", "a-f-G-U-C", now)), now)
    assert delete.cot_type == "t-x-d-d"
    assert delete.link_uid == "tansiq-position-1"


@pytest.mark.parametrize("name", CASES)
def test_a_malformed_event_is_rejected_with_its_reason(name: str) -> None:
    data, reason = malformed()[name]
    with pytest.raises(Rejected) as caught:
        parse_event(data, datetime.now(UTC))
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)  # one log line


def test_times_may_carry_nine_fraction_digits_or_an_offset() -> None:
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    data = event_xml(now=now).replace(
        b'time="2026-11-26T12:00:00.000000Z"', b'time="2026-11-26T15:00:00.123456789+03:00"'
    )
    assert parse_event(data, now).time == datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=UTC)


def test_a_stale_that_has_passed_is_rejected() -> None:
    now = datetime.now(UTC)
    data = event_xml(start=timedelta(minutes=-20), stale=timedelta(minutes=10), now=now)
    with pytest.raises(Rejected, match="has passed"):
        parse_event(data, now)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=MAX_EVENT_BYTES + 10))
def test_no_bytes_make_the_parser_fail_other_than_by_rejecting(data: bytes) -> None:
    with contextlib.suppress(Rejected):
        parse_event(data, datetime.now(UTC))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_no_attribute_text_breaks_the_checks(text: str) -> None:
    data = event_xml().replace(b'uid="u-1"', b"uid=" + _quoted(text))
    try:
        event = parse_event(data, datetime.now(UTC))
    except Rejected:
        return
    assert event.uid.isprintable()


def _quoted(text: str) -> bytes:
    from xml.sax.saxutils import quoteattr

    return quoteattr(text).encode("utf-8", "surrogatepass")


def test_remarks_are_read_with_whitespace_folded_and_capped() -> None:
    now = datetime.now(UTC)
    event = parse_event(event_xml(detail="<remarks>4 men\n\t on  foot</remarks>", now=now), now)
    assert event.remarks == "4 men on foot"
    with pytest.raises(Rejected, match="remarks are over 2000 characters"):
        parse_event(event_xml(detail=f"<remarks>{'x' * 2001}</remarks>", now=now), now)
