"""Cursor-on-Target events as values, and their XML (MITRE CoT Event 2.0).

An event is a thing at a point for a while: `uid` names it (a newer event with the same uid
replaces the old one on every TAK client), `type` says what it is in the dash hierarchy
(a-h-G hostile ground, a-f-G friendly ground, u-d-* a drawing, t-x-d-d a delete), `how` how it
was learnt, and `start`..`stale` how long it holds. Drawings carry TAK's shape detail as ATAK
writes it: a free-form shape (u-d-f) as one `<link point="lat,lon"/>` per vertex, closed by
repeating the first; a circle (u-d-c-c) as `<shape><ellipse major minor angle/></shape>`
around the event's point. A delete (t-x-d-d) links to the uid it removes and carries
`<__forcedelete/>`, as ATAK sends it.

Built with string formatting and XML escaping rather than an element tree: the picture is
rebuilt on every push, and this is the gateway's hot path (bench/cot_bench.py).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

UNKNOWN = 9999999.0
"""CoT's value for an unknown hae, ce or le."""

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
DELETE_TYPE = "t-x-d-d"
DELETE_STALE = timedelta(minutes=1)
_ATTR_SPECIAL = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all, even escaped: dropped from names and remarks."""


@dataclass(frozen=True, slots=True)
class Drawing:
    """A TAK shape: vertices (lat, lon) of a free-form shape, or a circle's radius."""

    vertices: tuple[tuple[float, float], ...] = ()
    closed: bool = True
    radius_m: float | None = None
    stroke_argb: int = -65536
    """Opaque red, as a signed 32-bit ARGB integer (TAK's form)."""
    fill_argb: int = 0x30FF0000
    """Red at about 19 % opacity."""


@dataclass(frozen=True, slots=True)
class CotEvent:
    uid: str
    cot_type: str
    how: str
    time: datetime
    start: datetime
    stale: datetime
    lat: float
    lon: float
    hae: float = UNKNOWN
    ce: float = UNKNOWN
    le: float = UNKNOWN
    callsign: str = ""
    remarks: str = ""
    drawing: Drawing | None = None
    deletes: tuple[str, str] | None = None
    """For a t-x-d-d: (uid, type) of the event it removes."""
    extra: tuple[str, ...] = field(default=())
    """Further detail elements, already XML."""


@functools.lru_cache(maxsize=64)
def cot_time(moment: datetime) -> str:
    """An instant as CoT writes it: UTC, milliseconds, a Z (W3C XML dateTime). Cached: every
    event of a push shares the same few instants, and strftime is most of an event's cost."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def delete_event(uid: str, cot_type: str, now: datetime) -> CotEvent:
    """The t-x-d-d that removes `uid` (last sent as `cot_type`) from every TAK client."""
    return CotEvent(
        uid=f"{uid}-delete",
        cot_type=DELETE_TYPE,
        how="h-g-i-g-o",
        time=now,
        start=now,
        stale=now + DELETE_STALE,
        lat=0.0,
        lon=0.0,
        deletes=(uid, cot_type),
    )


def to_xml(event: CotEvent) -> bytes:
    """One event as a standalone XML document (declaration included, as pytak and ATAK send)."""
    head = (
        f'<event version="2.0" uid={_attr(event.uid)} type={_attr(event.cot_type)}'
        f' how={_attr(event.how)} time="{cot_time(event.time)}"'
        f' start="{cot_time(event.start)}" stale="{cot_time(event.stale)}">'
    )
    point = (
        f'<point lat="{event.lat:.6f}" lon="{event.lon:.6f}" hae="{event.hae:.1f}"'
        f' ce="{event.ce:.1f}" le="{event.le:.1f}"/>'
    )
    text = head + point + "<detail>" + _detail(event) + "</detail></event>"
    return XML_DECLARATION + text.encode()


def _attr(text: str) -> str:
    """`text` as a quoted XML attribute value; most values need no escaping, so check first."""
    if _ATTR_SPECIAL.search(text) is None:
        return f'"{text}"'
    clean = _NOT_XML.sub("", text)
    return quoteattr(clean, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _detail(event: CotEvent) -> str:
    parts: list[str] = []
    if event.deletes is not None:
        uid, cot_type = event.deletes
        parts.append(f'<link uid={_attr(uid)} relation="none" type={_attr(cot_type)}/>')
        parts.append("<__forcedelete/>")
    if event.drawing is not None:
        parts.append(_shape(event.drawing))
    if event.callsign:
        parts.append(f"<contact callsign={_attr(event.callsign)}/>")
    if event.remarks:
        parts.append(f"<remarks>{escape(_NOT_XML.sub('', event.remarks))}</remarks>")
    parts.extend(event.extra)
    return "".join(parts)


def _shape(drawing: Drawing) -> str:
    style = (
        f'<strokeColor value="{drawing.stroke_argb}"/><strokeWeight value="3.0"/>'
        f'<fillColor value="{drawing.fill_argb}"/><labels_on value="true"/>'
    )
    if drawing.radius_m is not None:
        r = f"{drawing.radius_m:.1f}"
        return f'<shape><ellipse major="{r}" minor="{r}" angle="360"/></shape>' + style
    points = list(drawing.vertices)
    if drawing.closed and points and points[0] != points[-1]:
        points.append(points[0])
    links = "".join(f'<link point="{lat:.6f},{lon:.6f}"/>' for lat, lon in points)
    return links + style
