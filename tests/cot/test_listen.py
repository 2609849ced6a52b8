"""`tansiq cot listen`: good friendly tracks stored and registered for deconfliction; malformed
input rejected with a logged reason (peer and field), and the listener still up afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq.cot.intake import Intake
from tansiq.cot.listen import Listener
from tansiq.domain.deconfliction import FootprintKind
from tansiq.domain.markings import person_viewer
from tansiq.geo.reference import syria_border_line
from tansiq.store import footprints
from tansiq.store.border import find_observations
from tansiq.store.database import reading, writing
from tansiq.store.partners import partner_parents
from tansiq.store.tracks import Track, live_tracks, put_track
from tests.cli.runner import tansiq
from tests.conftest import REPO
from tests.cot.senders import event_xml, good_track, hostile, malformed
from tests.nodes import setup_node


class Running:
    """A listener for partner krg on loopback TCP and UDP, in a thread with its own loop."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.lines: list[str] = []
        self.intake = Intake(engine, "krg", self.lines.append, clock or (lambda: datetime.now(UTC)))
        self.bound: dict[str, tuple[str, int]] = {}
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        listener = Listener(self.intake, tcp=("127.0.0.1", 0), udp=("127.0.0.1", 0))
        self.bound = await listener.start()
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await listener.close()

    def __enter__(self) -> Running:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        assert not self._thread.is_alive()

    def send_tcp(self, *chunks: bytes) -> str:
        """Send on one connection and close it; the peer address the listener sees."""
        with socket.create_connection(self.bound["tcp"]) as sock:
            host, port = sock.getsockname()[:2]
            peer = f"{host}:{port}"
            for chunk in chunks:
                sock.sendall(chunk)
                time.sleep(0.01)
        return peer

    def send_udp(self, datagram: bytes) -> str:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.sendto(datagram, self.bound["udp"])
            host, port = sock.getsockname()[:2]
            return f"{host}:{port}"

    def wait_for(self, text: str, count: int = 1) -> list[str]:
        for _ in range(200):
            found = [line for line in self.lines if text in line]
            if len(found) >= count:
                return found
            time.sleep(0.025)
        raise AssertionError(f"no {count} log lines with {text!r} in {self.lines}")


@pytest.fixture
def node(engine: Engine) -> Engine:
    setup_node(engine, "joc")
    return engine


def _stored(engine: Engine) -> dict[str, Track]:
    with reading(engine) as conn:
        return {t.uid: t for t in live_tracks(conn, datetime.now(UTC))}


def test_friendly_tracks_are_stored_and_registered(node: Engine) -> None:
    with Running(node) as running:
        # Three events back to back on one connection, one of them cut in two sends.
        second = good_track("krg-2", lat=35.6, callsign="Bravo")
        running.send_tcp(good_track("krg-1") + second[:100], second[100:] + good_track("krg-3"))
        running.send_udp(good_track("krg-4", lon=44.5))
        running.wait_for("track new", 4)
        running.send_tcp(good_track("krg-1", lat=35.48))  # a newer event of the same track
        running.wait_for("track updated")

    stored = _stored(node)
    assert set(stored) == {"krg-1", "krg-2", "krg-3", "krg-4"}
    assert stored["krg-1"].latitude == 35.48
    assert stored["krg-2"].callsign == "Bravo"
    assert stored["krg-4"].longitude == 44.5
    assert {t.partner for t in stored.values()} == {"krg"}
    assert {t.cot_type for t in stored.values()} == {"a-f-G-U-C"}
    assert stored["krg-3"].stale - stored["krg-3"].time > timedelta(minutes=9)
    with reading(node) as conn:
        registered = footprints.get(conn, FootprintKind.TRACK, "krg-1")
    assert registered is not None
    assert registered.owner == "krg"
    assert registered.buffer_m == 100.0  # ce 25 m: at least 100
    assert (registered.area.x, registered.area.y) == (44.39, 35.48)
    assert registered.end == stored["krg-1"].stale


def test_malformed_input_is_rejected_with_the_peer_and_the_reason(node: Engine) -> None:
    cases = malformed()
    with Running(node) as running:
        oversized, _ = cases.pop("oversized")
        peer = running.send_tcp(*(data for data, _ in cases.values()))
        running.wait_for("rejected", len(cases))
        big_peer = running.send_tcp(oversized)
        running.wait_for(f"rejected {big_peer}: ")
        udp_peer = running.send_udp(event_xml(lat="200"))
        running.wait_for(f"rejected {udp_peer}: point lat 200.0")
        running.send_tcp(b"<event " + b"x" * 70_000)  # never ends an event
        running.wait_for("without the end of an event; connection closed")
        running.send_tcp(good_track("after-all-that"))  # still listening
        running.wait_for("track new")

    rejected = [line for line in running.lines if line.startswith(f"rejected {peer}: ")]
    assert len(rejected) == len(cases)
    for (_, reason), line in zip(cases.values(), rejected, strict=True):
        assert reason in line  # in the order sent, one line each
    assert "over" in next(line for line in running.lines if big_peer in line)
    assert set(_stored(node)) == {"after-all-that"}


def test_non_friendly_events_are_ignored_and_deletes_remove_the_partners_track(
    node: Engine,
) -> None:
    with Running(node) as running:
        running.send_tcp(hostile("enemy-1"), good_track("krg-9"))
        running.wait_for("track new")
        ignored = running.wait_for("ignored")
        assert "'enemy-1' a-h-G as a crossing-attempt: lat/lon: 35.0,44.0 is" in ignored[0]
        assert "km from the Syria border line" in ignored[0]
        with reading(node) as conn:
            assert footprints.get(conn, FootprintKind.TRACK, "krg-9") is not None
        delete = event_xml(
            uid="krg-9-delete",
            cot_type="t-x-d-d",
            detail='<link uid="krg-9" relation="none" type="a-f-G-U-C"/><__forcedelete/>',
        )
        running.send_tcp(delete)
        running.wait_for("track deleted")
    assert _stored(node) == {}
    with reading(node) as conn:
        assert footprints.get(conn, FootprintKind.TRACK, "krg-9") is None


def _on_the_border() -> tuple[float, float]:
    """(lat, lon) of a point on the shipped Syria border line, half way along it."""
    point = syria_border_line().interpolate(0.5, normalized=True)
    return point.y, point.x


def test_contacts_and_detections_at_the_border_are_border_observations(node: Engine) -> None:
    lat, lon = _on_the_border()
    with Running(node) as running:
        running.send_tcp(
            event_xml(
                uid="contact-1",
                cot_type="a-h-G",
                lat=str(lat),
                lon=str(lon),
                detail='<contact callsign="Pickup"/><remarks>4 men on foot</remarks>',
            ),
            event_xml(uid="sensor-7", cot_type="b-d-s", lat=str(lat + 0.01), lon=str(lon)),
            event_xml(uid="neutral-1", cot_type="a-n-G", lat=str(lat), lon=str(lon)),
        )
        recorded = running.wait_for("recorded", 2)
        ignored = running.wait_for("ignored")
    assert "border crossing-attempt" in recorded[0]
    assert "'contact-1'" in recorded[0]
    assert "border sensor-alert" in recorded[1]
    assert "'neutral-1' type 'a-n-G' is neither a friendly track" in ignored[0]
    with reading(node) as conn:
        krg = person_viewer("krg", partner_parents(conn))
        total, found = find_observations(conn, krg)
        assert find_observations(conn, person_viewer("jcc", partner_parents(conn)))[0] == 0
    assert total == 2
    by_ref = {row["source_ref"]: row for row in found}
    assert by_ref["contact-1"]["kind"] == "crossing-attempt"
    assert by_ref["contact-1"]["source"] == "cot"
    assert by_ref["contact-1"]["text"] == "Pickup - 4 men on foot"
    assert by_ref["sensor-7"]["kind"] == "sensor-alert"
    assert _stored(node) == {}  # not tracks


def test_a_live_uid_of_another_partner_cannot_be_taken_over(node: Engine) -> None:
    now = datetime.now(UTC)
    theirs = Track(
        "shared-uid",
        "joc",
        "JOC 1",
        "a-f-G",
        "m-g",
        35.0,
        44.0,
        10.0,
        now,
        now + timedelta(hours=1),
        now,
        "test",
    )
    with writing(node) as conn:
        put_track(conn, theirs)
    with Running(node) as running:
        running.send_tcp(good_track("shared-uid", lat=36.0))
        line = running.wait_for("rejected")[0]
    assert "'shared-uid' is a live track of partner joc" in line
    assert _stored(node)["shared-uid"].latitude == 35.0


def test_a_track_outside_the_theatre_is_rejected(node: Engine) -> None:
    with Running(node) as running:
        running.send_tcp(good_track("far-away", lat=1.0, lon=1.0))
        line = running.wait_for("rejected")[0]
    assert "'far-away'" in line
    assert "footprint area" in line
    assert _stored(node) == {}


def test_tracks_expire_at_their_stale(node: Engine) -> None:
    clock = [datetime.now(UTC)]
    lines: list[str] = []
    intake = Intake(node, "krg", lines.append, lambda: clock[0])
    intake.take(good_track("short-lived"), "test:1")
    assert "short-lived" in _stored(node)
    clock[0] += timedelta(minutes=11)  # past the ten minutes pytak gives
    intake.sweep()
    with reading(node) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM tracks")).scalar_one() == 0
        assert footprints.get(conn, FootprintKind.TRACK, "short-lived") is None
    assert "tracks expired: 1 (short-lived)" in lines[-1]


def test_the_command_needs_a_known_partner_and_an_address(db_url: str, node: Engine) -> None:
    done = tansiq(
        "cot", "listen", "--tcp", "127.0.0.1:0", "--partner", "nobody", db=db_url, check=False
    )
    assert done.returncode == 1
    assert "no partner 'nobody'" in done.stderr
    done = tansiq("cot", "listen", "--partner", "krg", db=db_url, check=False)
    assert "give --tcp HOST:PORT, --udp HOST:PORT or both" in done.stderr
    done = tansiq("cot", "listen", "--tcp", "localhost", "--partner", "krg", db=db_url, check=False)
    assert "--tcp 'localhost': give HOST:PORT" in done.stderr


def test_an_address_in_use_is_an_error(db_url: str, node: Engine) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = tansiq(
            "cot",
            "listen",
            "--tcp",
            f"127.0.0.1:{port}",
            "--partner",
            "krg",
            db=db_url,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot listen: ")
    assert "address already in use" in done.stderr.lower()


@pytest.fixture
def listening(db_url: str, node: Engine) -> Iterator[tuple[subprocess.Popen[str], dict[str, int]]]:
    """A real `tansiq cot listen` process on free loopback ports; its ports by scheme."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tansiq",
            "cot",
            "listen",
            "--tcp",
            "127.0.0.1:0",
            "--udp",
            "127.0.0.1:0",
            "--partner",
            "krg",
            "--db",
            db_url,
        ],
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ},
    )
    ports: dict[str, int] = {}
    assert process.stderr is not None
    while len(ports) < 2:
        line = process.stderr.readline()
        assert line, "the listener ended before it was listening"
        if " listening " in line:
            scheme, address = line.split(" listening ")[1].split()[:2]
            ports[scheme] = int(address.rsplit(":", 1)[1])
    try:
        yield process, ports
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


@pytest.mark.slow
def test_a_real_listener_process_takes_tracks_rejects_junk_and_stops_on_sigterm(
    node: Engine, listening: tuple[subprocess.Popen[str], dict[str, int]]
) -> None:
    process, ports = listening
    with socket.create_connection(("127.0.0.1", ports["tcp"])) as sock:
        sock.sendall(b"junk</event>" + event_xml(lat="200") + good_track("proc-1"))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(good_track("proc-2"), ("127.0.0.1", ports["udp"]))
    assert process.stderr is not None
    seen: list[str] = []
    while sum("track new" in line for line in seen) < 2:
        line = process.stderr.readline()
        assert line, f"the listener ended: {seen}"
        seen.append(line)
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "cot listen: stopped" in rest
    log = "".join(seen)
    assert "rejected 127.0.0.1:" in log
    assert "not well-formed XML" in log
    assert "point lat 200.0 is outside -90..90" in log
    assert set(_stored(node)) == {"proc-1", "proc-2"}
