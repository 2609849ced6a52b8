"""Untrusted Cursor-on-Target input, checked before anything is believed.

Whatever arrives on `tansiq cot listen` is some peer's bytes: it is parsed by defusedxml (no DTD,
no entities, no external references: no billion laughs, no XXE), after a size limit, and every
field this node uses is checked: the attributes MITRE's Event schema requires, the type's dash
syntax, times that parse, are in UTC, are near now, and end after they start, and a point on
the globe with numeric errors. A failure raises `Rejected` with a reason naming the field; the
caller logs it and carries on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped,unused-ignore]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped,unused-ignore]

MAX_EVENT_BYTES = 16_384
"""The largest event taken: a friendly track is a few hundred bytes, ATAK's richest a few KiB."""
MAX_UID = 200
MAX_CALLSIGN = 120
MAX_REMARKS = 2_000
CLOCK_SKEW = timedelta(hours=1)
"""How far ahead of this node's clock a sender's time or start may be."""
MAX_AGE = timedelta(days=1)
"""How old a sender's time may be."""
MAX_VALIDITY = timedelta(days=7)
"""The longest start..stale a live track may claim."""

_TYPE = re.compile(r"\w+(-\w+)*(;[^;]*)?", re.ASCII)
_HOW = re.compile(r"[a-z](-[a-z0-9]+)*", re.ASCII)
_VERSION = re.compile(r"2(\.\d{1,3})?")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")


class Rejected(ValueError):
    """An event that is not taken, and why (one line, naming the field)."""


@dataclass(frozen=True, slots=True)
class InEvent:
    """A checked event: the fields this node uses, typed."""

    uid: str
    cot_type: str
    how: str
    time: datetime
    start: datetime
    stale: datetime
    lat: float
    lon: float
    hae: float
    ce: float
    le: float
    callsign: str
    link_uid: str | None
    """For a t-x-d-d: the uid it deletes."""
    remarks: str = ""

    @property
    def affiliation(self) -> str | None:
        """f, h, n, u, a, ... for an atom (a-*) type; None for anything else."""
        parts = self.cot_type.split(";", 1)[0].split("-")
        return parts[1] if parts[0] == "a" and len(parts) > 1 else None


def parse_event(data: bytes, now: datetime) -> InEvent:
    """The event in `data`, checked; Rejected with the reason otherwise."""
    if len(data) > MAX_EVENT_BYTES:
        raise Rejected(f"event of {len(data)} bytes is over the limit of {MAX_EVENT_BYTES}")
    root = _root(data)
    attrs = root.attrib
    version = _required(attrs, "version")
    if not _VERSION.fullmatch(version):
        raise Rejected(f"version {version[:20]!r} is not a CoT 2.x version")
    time, start, stale = (_time(attrs, name) for name in ("time", "start", "stale"))
    _check_window(time, start, stale, now)
    point = root.find("point")
    if point is None:
        raise Rejected("no <point> element")
    lat, lon = _number(point.attrib, "lat"), _number(point.attrib, "lon")
    if not -90.0 <= lat <= 90.0:
        raise Rejected(f"point lat {lat} is outside -90..90")
    if not -180.0 <= lon <= 180.0:
        raise Rejected(f"point lon {lon} is outside -180..180")
    return InEvent(
        uid=_uid(_required(attrs, "uid")),
        cot_type=_matching(attrs, "type", _TYPE, 64),
        how=_matching(attrs, "how", _HOW, 32),
        time=time,
        start=start,
        stale=stale,
        lat=lat,
        lon=lon,
        hae=_number(point.attrib, "hae"),
        ce=_error(point.attrib, "ce"),
        le=_error(point.attrib, "le"),
        callsign=_callsign(root),
        link_uid=_link_uid(root),
        remarks=_remarks(root),
    )


def _root(data: bytes) -> Element:
    try:
        root: Element = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise Rejected(f"forbidden XML ({type(exc).__name__}): no DTDs or entities") from None
    except (ParseError, ValueError) as exc:
        raise Rejected(f"not well-formed XML: {_short(str(exc))}") from None
    if root.tag != "event":
        raise Rejected(f"the root element is {_short(root.tag)!r}, not event")
    return root


def _required(attrs: dict[str, str], name: str) -> str:
    value = attrs.get(name)
    if value is None or not value.strip():
        raise Rejected(f"missing required attribute {name}")
    return value.strip()


def _matching(attrs: dict[str, str], name: str, pattern: re.Pattern[str], limit: int) -> str:
    value = _required(attrs, name)
    if len(value) > limit or not pattern.fullmatch(value):
        raise Rejected(f"{name} {_short(value)!r} is not valid CoT {name} syntax")
    return value


def _uid(value: str) -> str:
    if len(value) > MAX_UID:
        raise Rejected(f"uid is {len(value)} characters, over {MAX_UID}")
    if not value.isprintable() or any(c.isspace() for c in value):
        raise Rejected("uid has spaces or control characters")
    return value


def _time(attrs: dict[str, str], name: str) -> datetime:
    value = _required(attrs, name)
    if not _TIME.fullmatch(value):
        raise Rejected(f"{name} {_short(value)!r} is not an ISO 8601 UTC time")
    try:
        parsed = datetime.fromisoformat(_to_micros(value.replace("Z", "+00:00")))
    except ValueError:
        raise Rejected(f"{name} {_short(value)!r} is not a valid time") from None
    return parsed.astimezone(UTC)


def _to_micros(value: str) -> str:
    """Python reads at most six fraction digits; CoT senders may write nine."""
    match = re.search(r"\.(\d+)", value)
    if match is None or len(match.group(1)) <= 6:
        return value
    return value[: match.start(1) + 6] + value[match.end(1) :]


def _check_window(time: datetime, start: datetime, stale: datetime, now: datetime) -> None:
    if stale <= start:
        raise Rejected(f"stale {_iso(stale)} is not after start {_iso(start)}")
    for name, moment in (("time", time), ("start", start)):
        if moment > now + CLOCK_SKEW:
            raise Rejected(f"{name} {_iso(moment)} is in the future (now {_iso(now)})")
        if moment < now - MAX_AGE:
            raise Rejected(f"{name} {_iso(moment)} is more than a day old (now {_iso(now)})")
    if stale <= now:
        raise Rejected(f"stale {_iso(stale)} has passed (now {_iso(now)})")
    if stale - start > MAX_VALIDITY:
        raise Rejected(f"stale {_iso(stale)} is more than 7 days after start")


def _number(attrs: dict[str, str], name: str) -> float:
    value = attrs.get(name)
    if value is None:
        raise Rejected(f"point has no {name}")
    try:
        number = float(value)
    except ValueError:
        raise Rejected(f"point {name} {_short(value)!r} is not a number") from None
    if not math.isfinite(number):
        raise Rejected(f"point {name} {_short(value)!r} is not a finite number")
    return number


def _error(attrs: dict[str, str], name: str) -> float:
    number = _number(attrs, name)
    if number < 0:
        raise Rejected(f"point {name} {number} is negative")
    return number


def _callsign(root: Element) -> str:
    contact = root.find("detail/contact")
    callsign = "" if contact is None else contact.get("callsign", "").strip()
    if len(callsign) > MAX_CALLSIGN or not callsign.isprintable():
        raise Rejected("contact callsign is too long or has control characters")
    return callsign


def _remarks(root: Element) -> str:
    """The sender's free text, whitespace folded; control characters are refused."""
    element = root.find("detail/remarks")
    text = " ".join("".join(element.itertext()).split()) if element is not None else ""
    if len(text) > MAX_REMARKS or not text.isprintable():
        raise Rejected(f"remarks are over {MAX_REMARKS} characters or have control characters")
    return text


def _link_uid(root: Element) -> str | None:
    link = root.find("detail/link")
    uid = None if link is None else link.get("uid")
    return _uid(uid.strip()) if uid else None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _short(text: Any) -> str:
    """Echo at most 60 characters of a sender's text into a log line."""
    value = str(text)
    return value if len(value) <= 60 else value[:57] + "..."
