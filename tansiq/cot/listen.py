"""`tansiq cot listen`: friendly tracks taken in over TCP and UDP, for deconfliction.

Everything received is untrusted (tansiq.cot.parse checks it). TCP is a stream of events back
to back: the buffer is cut after each `</event>` and capped, so a peer that never ends an event
costs at most MAX_EVENT_BYTES plus one read before its connection is closed. UDP is one event a
datagram, through a bounded queue. Every rejection is one log line with the peer and the reason;
nothing a peer sends stops the listener. Database writes go through one worker thread, in
arrival order (SQLite has one writer anyway), so the event loop keeps reading meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
import struct
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tansiq.cot import intake
from tansiq.cot.parse import MAX_EVENT_BYTES
from tansiq.errors import InvalidInput

END = b"</event>"
READ_SIZE = 65_536
MAX_CONNECTIONS = 256
IDLE_TIMEOUT_S = 600.0
"""A TAK client reports its own position every few seconds; ten silent minutes is a dead peer."""
UDP_QUEUE = 1_000
SWEEP_EVERY_S = 30.0


@dataclass
class Listener:
    """A TCP and/or UDP listener feeding `intake.take`; `start`, then `close`."""

    intake: intake.Intake
    tcp: tuple[str, int] | None = None
    udp: tuple[str, int] | None = None
    bound: dict[str, tuple[str, int]] = field(default_factory=dict)
    _servers: list[asyncio.base_events.Server] = field(default_factory=list)
    _transports: list[asyncio.DatagramTransport] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _writer: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="cot-writer")
    )
    _connections: int = 0

    async def start(self) -> dict[str, tuple[str, int]]:
        """Open the sockets; the addresses bound (a port 0 gets a free one). InvalidInput when
        an address cannot be listened on (in use, not this host's)."""
        try:
            return await self._open()
        except OSError as exc:
            await self.close()
            raise InvalidInput(f"cannot listen: {exc.strerror or exc}") from None

    async def _open(self) -> dict[str, tuple[str, int]]:
        loop = asyncio.get_running_loop()
        if self.tcp is not None:
            server = await asyncio.start_server(self._connection, *self.tcp, limit=READ_SIZE)
            self._servers.append(server)
            self.bound["tcp"] = server.sockets[0].getsockname()[:2]
        if self.udp is not None:
            queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue(UDP_QUEUE)
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(queue, self.intake.log), sock=_udp_socket(*self.udp)
            )
            self._transports.append(transport)
            self.bound["udp"] = transport.get_extra_info("sockname")[:2]
            self._spawn(self._drain(queue))
        self._spawn(self._sweeping())
        return self.bound

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for transport in self._transports:
            transport.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._writer.shutdown(wait=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _take(self, data: bytes, peer: str) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self.intake.take, data, peer)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = _peer(writer.get_extra_info("peername"))
        if self._connections >= MAX_CONNECTIONS:
            self.intake.log(f"refused {peer}: {MAX_CONNECTIONS} connections already open")
            writer.close()
            return
        self._connections += 1
        try:
            await self._read_stream(reader, peer)
        except (ConnectionError, TimeoutError) as exc:
            self.intake.log(f"closed {peer}: {type(exc).__name__}")
        finally:
            self._connections -= 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _read_stream(self, reader: asyncio.StreamReader, peer: str) -> None:
        buffer = bytearray()
        while chunk := await asyncio.wait_for(reader.read(READ_SIZE), IDLE_TIMEOUT_S):
            buffer += chunk
            while (end := buffer.find(END)) >= 0:
                document = bytes(buffer[: end + len(END)]).strip()
                del buffer[: end + len(END)]
                await self._take(document, peer)
            if len(buffer) > MAX_EVENT_BYTES:
                self.intake.log(
                    f"rejected {peer}: over {MAX_EVENT_BYTES} bytes without the end of an "
                    "event; connection closed"
                )
                return
        if buffer.strip():
            self.intake.log(f"rejected {peer}: the connection ended inside an event")

    async def _drain(self, queue: asyncio.Queue[tuple[bytes, str]]) -> None:
        while True:
            data, peer = await queue.get()
            try:
                await self._take(data.strip(), peer)
            except Exception as exc:  # one bad datagram must not end UDP intake
                self.intake.log(f"not taken {peer}: {type(exc).__name__}: {exc}")

    async def _sweeping(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await loop.run_in_executor(self._writer, self.intake.sweep)
            await asyncio.sleep(SWEEP_EVERY_S)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[tuple[bytes, str]], log: Callable[[str], None]) -> None:
        self.queue = queue
        self.log = log

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        peer = _peer(addr)
        try:
            self.queue.put_nowait((data, peer))
        except asyncio.QueueFull:
            self.log(f"rejected {peer}: {UDP_QUEUE} datagrams already waiting")


def _udp_socket(host: str, port: int) -> socket.socket:
    """A bound UDP socket; for a multicast group (the SA group 239.2.3.1), joined to it."""
    info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    sock = socket.socket(info[0], socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if _is_multicast(host) and info[0] == socket.AF_INET:
        sock.bind(("", port))
        membership = struct.pack("4s4s", socket.inet_aton(host), socket.inet_aton("0.0.0.0"))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    else:
        sock.bind(info[4])
    sock.setblocking(False)
    return sock


def _is_multicast(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_multicast
    except ValueError:
        return False


def _peer(address: object) -> str:
    if isinstance(address, tuple) and len(address) >= 2:
        host = str(address[0])
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return str(address)


def serve(listener: Listener, ready: Callable[[dict[str, tuple[str, int]]], None]) -> None:
    """Listen until SIGTERM or SIGINT, then close the sockets and finish the writes queued."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        bound = await listener.start()
        ready(bound)
        try:
            await stop.wait()
        finally:
            await listener.close()

    asyncio.run(main())
