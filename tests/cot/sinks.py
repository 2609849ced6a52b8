"""Real sockets for the tests to send CoT to, and checks of what arrives, by takproto.

A sink is a socket opened by the test (TCP: a listening server that reads each connection to its
end; UDP: a bound socket that collects datagrams), read in a thread. Arrived bytes are split into
documents at each XML declaration (every event is a standalone document) and each is parsed by
takproto, a third-party CoT library, and checked against the CoT Event 2.0 schema's fields.
"""

from __future__ import annotations

import re
import socket
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime

import takproto  # type: ignore[import-untyped,unused-ignore]

DECLARATION = b"<?xml"
ISO_8601_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


@dataclass
class TcpSink:
    """A loopback TCP server: every connection read to its end, the bytes of each kept."""

    sock: socket.socket = field(default_factory=socket.socket)
    received: list[bytes] = field(default_factory=list)
    _thread: threading.Thread | None = None

    def __enter__(self) -> TcpSink:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(30)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while data := conn.recv(65536):
                    chunks.append(data)
                self.received.append(b"".join(chunks))

    def connections(self, count: int, timeout: float = 30.0) -> list[bytes]:
        """The bytes of the first `count` connections, once they have ended."""
        deadline = threading.Event()
        for _ in range(int(timeout * 20)):
            if len(self.received) >= count:
                return self.received[:count]
            deadline.wait(0.05)
        raise AssertionError(f"{len(self.received)} connections ended, expected {count}")

    def __exit__(self, *_: object) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone would not)
        self.sock.close()


@dataclass
class UdpSink:
    sock: socket.socket = field(
        default_factory=lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    )

    def __enter__(self) -> UdpSink:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        return self

    @property
    def url(self) -> str:
        return f"udp://127.0.0.1:{self.sock.getsockname()[1]}"

    def datagrams(self, count: int) -> list[bytes]:
        return [self.sock.recvfrom(65536)[0] for _ in range(count)]

    def __exit__(self, *_: object) -> None:
        self.sock.close()


def documents(stream: bytes) -> list[bytes]:
    """The standalone XML documents sent back to back on one stream."""
    parts = stream.split(DECLARATION)
    assert parts[0].strip() == b"", "bytes before the first event"
    return [DECLARATION + part for part in parts[1:]]


@dataclass(frozen=True)
class Arrived:
    """One event as takproto reads it, with the attributes the schema check looked at."""

    uid: str
    cot_type: str
    how: str
    lat: float
    lon: float
    ce: float
    callsign: str
    xml_detail: str
    start_ms: int
    stale_ms: int
    link_uids: tuple[str, ...]


def check_event(document: bytes) -> Arrived:
    """Parse one CoT document with takproto and check the CoT Event 2.0 schema's fields."""
    message = takproto.parse_proto(bytearray(document))
    assert message is not None, document[:200]
    cot = message.cotEvent
    assert cot.uid
    assert cot.type
    assert cot.how
    assert cot.staleTime > cot.startTime > 0
    assert cot.sendTime > 0
    event = ET.fromstring(document)
    assert event.tag == "event"
    assert event.get("version") == "2.0"
    for name in ("time", "start", "stale"):
        text = event.get(name) or ""
        assert ISO_8601_UTC.fullmatch(text), (name, text)
    stale, start = (
        datetime.fromisoformat(event.get(n, "").replace("Z", "+00:00")) for n in ("stale", "start")
    )
    assert stale > start
    point = event.find("point")
    assert point is not None
    for name in ("lat", "lon", "hae", "ce", "le"):
        float(point.get(name, "missing"))  # present and numeric
    assert -90 <= cot.lat <= 90
    assert -180 <= cot.lon <= 180
    links = tuple(link.get("uid", "") for link in event.iter("link") if link.get("uid"))
    return Arrived(
        uid=cot.uid,
        cot_type=cot.type,
        how=cot.how,
        lat=cot.lat,
        lon=cot.lon,
        ce=cot.ce,
        callsign=cot.detail.contact.callsign,
        xml_detail=cot.detail.xmlDetail,
        start_ms=cot.startTime,
        stale_ms=cot.staleTime,
        link_uids=links,
    )
