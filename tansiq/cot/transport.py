"""Where CoT goes: a destination URL, and sending a batch of events there.

TCP (a TAK server's streaming input, 8087): one connection per push, the events back to back,
each a standalone XML document, as TAK servers and pytak read them. UDP (a TAK client's input
or the SA multicast group 239.2.3.1:6969): one datagram per event, since a receiver parses each
datagram as one event.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from tansiq.errors import InvalidInput, PeerUnavailable

MAX_DATAGRAM = 65_507
"""The largest UDP payload over IPv4."""
CONNECT_TIMEOUT_S = 10.0
MULTICAST_TTL = 1
"""Multicast stays on the local network segment, as the SA group is meant to."""


@dataclass(frozen=True, slots=True)
class Destination:
    scheme: Literal["tcp", "udp"]
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def multicast(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_multicast
        except ValueError:
            return False


def parse_destination(text: str) -> Destination:
    """tcp://HOST:PORT or udp://HOST:PORT; InvalidInput naming what is wrong otherwise."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("tcp", "udp"):
        raise InvalidInput(f"--to {text!r}: use tcp://HOST:PORT or udp://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput(f"--to {text!r}: the port is not a number in 1..65535") from None
    if not parts.hostname or port is None or port == 0:
        raise InvalidInput(f"--to {text!r}: give a host and a port, e.g. tcp://127.0.0.1:8087")
    if parts.path not in ("", "/") or parts.query or parts.username:
        raise InvalidInput(f"--to {text!r}: only a scheme, a host and a port")
    return Destination(parts.scheme, parts.hostname, port)  # type: ignore[arg-type]


def send(destination: Destination, documents: Sequence[bytes]) -> int:
    """Send the documents; returns the bytes sent. PeerUnavailable when the destination cannot
    be reached (nothing is known to have arrived then)."""
    try:
        if destination.scheme == "tcp":
            return _send_tcp(destination, documents)
        return _send_udp(destination, documents)
    except OSError as exc:
        raise PeerUnavailable(f"cannot send to {destination.url}: {exc.strerror or exc}") from None


def _send_tcp(destination: Destination, documents: Sequence[bytes]) -> int:
    address = (destination.host, destination.port)
    with socket.create_connection(address, timeout=CONNECT_TIMEOUT_S) as sock:
        payload = b"".join(documents)
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
    return len(payload)


def _send_udp(destination: Destination, documents: Sequence[bytes]) -> int:
    info = socket.getaddrinfo(destination.host, destination.port, type=socket.SOCK_DGRAM)[0]
    family, _, _, _, address = info
    sent = 0
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if destination.multicast and family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, MULTICAST_TTL)
        for document in documents:
            if len(document) > MAX_DATAGRAM:
                raise InvalidInput(f"an event of {len(document)} bytes is too large for UDP")
            sent += sock.sendto(document, address)
    return sent
