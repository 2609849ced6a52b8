"""CoT events for the listener tests: good friendly tracks made by pytak's own generator, and
malformed inputs made by hand (each with the words its rejection must give)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

with warnings.catch_warnings():  # pytak warns at import that its optional aiohttp is missing
    warnings.simplefilter("ignore", UserWarning)
    import pytak  # type: ignore[import-untyped,unused-ignore]


def good_track(uid: str, lat: float = 35.47, lon: float = 44.39, callsign: str = "Alpha") -> bytes:
    """A friendly ground unit's position, as pytak writes one (valid for ten minutes from now)."""
    event = pytak.gen_cot(
        lat=lat,
        lon=lon,
        ce=25,
        hae=300,
        le=10,
        uid=uid,
        stale=600,
        cot_type="a-f-G-U-C",
        callsign=callsign,
    )
    assert isinstance(event, bytes)
    return event


def hostile(uid: str) -> bytes:
    event = pytak.gen_cot(lat=35.0, lon=44.0, uid=uid, stale=600, cot_type="a-h-G")
    assert isinstance(event, bytes)
    return event


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_xml(
    *,
    uid: str | None = "u-1",
    cot_type: str = "a-f-G-U-C",
    how: str | None = "m-g",
    start: timedelta = timedelta(0),
    stale: timedelta = timedelta(minutes=10),
    lat: str = "35.1",
    lon: str = "44.2",
    ce: str = "10",
    detail: str = '<contact callsign="Bravo"/>',
    now: datetime | None = None,
) -> bytes:
    """A CoT event with any one field wrong; times relative to `now` (default: the clock)."""
    moment = now or datetime.now(UTC)
    attrs = [
        'version="2.0"',
        f'uid="{uid}"' if uid is not None else "",
        f'type="{cot_type}"',
        f'how="{how}"' if how is not None else "",
        f'time="{_iso(moment + start)}"',
        f'start="{_iso(moment + start)}"',
        f'stale="{_iso(moment + start + stale)}"',
    ]
    point = f'<point lat="{lat}" lon="{lon}" hae="0" ce="{ce}" le="10"/>'
    head = " ".join(a for a in attrs if a)
    return f"<event {head}>{point}<detail>{detail}</detail></event>".encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<event version="2.0" uid="&lol3;" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z"
 start="2026-01-01T00:00:00Z" stale="2026-01-01T00:10:00Z"><point lat="1" lon="1" hae="0"
 ce="1" le="1"/></event>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE event [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<event version="2.0" uid="&xxe;" type="a-f-G" how="m-g" time="2026-01-01T00:00:00Z"
 start="2026-01-01T00:00:00Z" stale="2026-01-01T00:10:00Z"><point lat="1" lon="1" hae="0"
 ce="1" le="1"/></event>"""


def malformed() -> dict[str, tuple[bytes, str]]:
    """Name -> (input, words the rejection names)."""
    return {
        "not-xml": (b"hello, this is not XML </event>", "not well-formed XML"),
        "billion-laughs": (BILLION_LAUGHS, "forbidden XML"),
        "external-entity": (EXTERNAL_ENTITY, "forbidden XML"),
        "not-an-event": (b"<track uid='x'/></event>", "not well-formed XML"),
        "missing-uid": (event_xml(uid=None), "missing required attribute uid"),
        "missing-how": (event_xml(how=None), "missing required attribute how"),
        "bad-type": (event_xml(cot_type="a--f G"), "type 'a--f G' is not valid"),
        "uid-with-space": (event_xml(uid="a b"), "uid has spaces"),
        "lat-200": (event_xml(lat="200"), "lat 200.0 is outside -90..90"),
        "lon-181": (event_xml(lon="-181"), "lon -181.0 is outside -180..180"),
        "ce-text": (event_xml(ce="wide"), "ce 'wide' is not a number"),
        "ce-nan": (event_xml(ce="NaN"), "not a finite number"),
        "ce-negative": (event_xml(ce="-5"), "ce -5.0 is negative"),
        "stale-before-start": (event_xml(stale=timedelta(minutes=-5)), "is not after start"),
        "years-old": (event_xml(start=timedelta(days=-3 * 365)), "more than a day old"),
        "future": (event_xml(start=timedelta(days=2)), "is in the future"),
        "stale-too-long": (event_xml(stale=timedelta(days=30)), "more than 7 days after start"),
        "oversized": (
            event_xml(detail="<remarks>" + "x" * 20_000 + "</remarks>"),
            "over the limit",
        ),
    }
