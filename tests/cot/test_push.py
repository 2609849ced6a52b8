"""`tansiq cot push`: the picture released to one partner, over real TCP and UDP sockets, read
back by takproto; later pushes delete (t-x-d-d) what left the picture."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq import positions
from tansiq.accounts import Principal
from tansiq.cot.push import push_once
from tansiq.cot.transport import parse_destination
from tansiq.domain.markings import Tlp
from tansiq.domain.operations import Area as OpArea
from tansiq.domain.operations import AreaKind, Content, OperationType, State
from tansiq.domain.reports import CellDraft
from tansiq.errors import InvalidInput, PeerUnavailable
from tansiq.geo.locator import AreaLocator
from tansiq.sharing import exchange
from tansiq.sharing.exchange import Release
from tansiq.store import audit, operations
from tansiq.store.database import reading, writing
from tansiq.store.incidents import upsert_incidents
from tansiq.store.schema import positions as positions_table
from tests.cli.runner import tansiq
from tests.conftest import REPO
from tests.cot.sinks import Arrived, TcpSink, UdpSink, check_event, documents
from tests.factories import make_position, make_row
from tests.nodes import Account, setup_node

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SINCE = NOW.date() - timedelta(days=30)
STALE = timedelta(hours=1)
RECENT = NOW.date() - timedelta(days=3)


def _incidents(engine: Engine, day: date) -> None:
    rows = [
        make_row(source_id="101", date_start=day, date_end=day),
        make_row(source_id="102", date_start=day, date_end=day, headline="IED <north> & road"),
        make_row(source_id="103", date_start=date(2017, 5, 1), date_end=date(2017, 5, 1)),
    ]
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", rows, NOW)


def _positions(engine: Engine, locator: AreaLocator) -> dict[str, int]:
    drafts = [
        make_position(name="Released CP", releasable_to=frozenset({"krg"})),
        make_position(name="Secret CP", latitude=35.3, releasable_to=frozenset()),
        make_position(
            name="Ended CP",
            releasable_to=frozenset({"krg"}),
            active_to=datetime(2025, 1, 1, tzinfo=UTC),
        ),
        make_position(partner="krg", name="KRG post", latitude=35.6, longitude=44.1),
        make_position(
            partner="jcc", name="JCC red", tlp=Tlp.RED, releasable_to=frozenset({"krg-asayish"})
        ),
    ]
    with writing(engine) as conn:
        positions.save(conn, locator, drafts, "test", NOW)
    with reading(engine) as conn:
        rows = conn.execute(sa.select(positions_table.c.name, positions_table.c.id))
        return {str(name): int(pid) for name, pid in rows}


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as found:
        yield found


@pytest.fixture
def node(engine: Engine, locator: AreaLocator) -> dict[str, Account]:
    accounts = setup_node(engine, "joc")
    _incidents(engine, RECENT)
    writer = accounts["joc-analyst"].principal
    with writing(engine) as conn:
        exchange.create_cell(
            conn,
            writer,
            CellDraft("Kirkuk cell", aliases=("Wilayat Kirkuk",), area_pcode="IQG13Q04"),
            Release(Tlp.AMBER, frozenset({"krg"})),
            NOW,
        )
        exchange.create_cell(
            conn, writer, CellDraft("Hidden cell", area_pcode="IQG13"), Release(Tlp.AMBER), NOW
        )
        exchange.create_cell(conn, writer, CellDraft("Nowhere cell"), Release(Tlp.CLEAR), NOW)
    return accounts


def _push(engine: Engine, who: Principal, url: str, now: datetime = NOW) -> None:
    push_once(engine, who, parse_destination(url), now=now, since=SINCE, stale_after=STALE)


def _tcp_push(
    engine: Engine, who: Principal, sink: TcpSink | None = None, now: datetime = NOW
) -> dict[str, Arrived]:
    """What one push sent to `sink` (or to a new sink, a destination never sent to before)."""
    if sink is None:
        with TcpSink() as new:
            return _tcp_push(engine, who, new, now)
    before = len(sink.received)
    _push(engine, who, sink.url, now)
    stream = sink.connections(before + 1)[-1]
    arrived = [check_event(doc) for doc in documents(stream)]
    return {event.uid: event for event in arrived}


def _cell_uid(engine: Engine, name: str) -> str:
    with reading(engine) as conn:
        stix_id = conn.execute(
            sa.text("SELECT stix_id FROM stix_objects WHERE name = :n"), {"n": name}
        ).scalar_one()
    return f"tansiq-cell-{stix_id.split('--')[1]}"


def test_the_picture_for_a_partner_holds_what_it_may_see_and_nothing_else(
    engine: Engine, locator: AreaLocator, node: dict[str, Account]
) -> None:
    ids = _positions(engine, locator)
    arrived = _tcp_push(engine, node["krg-analyst"].principal)

    incidents = {uid for uid in arrived if uid.startswith("tansiq-incident-")}
    assert len(incidents) == 2  # the 2017 one is older than --since
    assert {arrived[uid].cot_type for uid in incidents} == {"a-h-G"}
    assert {arrived[uid].how for uid in incidents} == {"h-t"}
    remarks = " ".join(arrived[uid].xml_detail for uid in incidents)
    assert "IED &lt;north&gt; &amp; road" in remarks  # escaped, as XML text must be
    cell = arrived[_cell_uid(engine, "Kirkuk cell")]
    assert cell.cot_type == "a-h-G"
    assert cell.callsign == "Kirkuk cell"
    assert 35.0 < cell.lat < 36.0
    assert 43.5 < cell.lon < 45.0
    assert _cell_uid(engine, "Hidden cell") not in arrived  # not released to krg
    assert _cell_uid(engine, "Nowhere cell") not in arrived  # no area: no place on a map
    shown = {uid for uid in arrived if uid.startswith("tansiq-position-")}
    assert shown == {
        f"tansiq-position-{ids['Released CP']}",
        f"tansiq-position-{ids['KRG post']}",
    }  # not Secret CP (not released), Ended CP (not active), JCC red (RED: asayish alone)
    assert {arrived[uid].cot_type for uid in shown} == {"a-f-G-U-C"}
    assert arrived[f"tansiq-position-{ids['Released CP']}"].callsign == "Released CP"


def test_the_owner_sees_its_own_positions_and_a_red_one_only_reaches_its_named_recipient(
    engine: Engine, locator: AreaLocator, node: dict[str, Account]
) -> None:
    ids = _positions(engine, locator)
    joc = {uid for uid in _tcp_push(engine, node["joc-analyst"].principal) if "position" in uid}
    assert joc == {f"tansiq-position-{ids[n]}" for n in ("Released CP", "Secret CP")}
    jcc = {uid for uid in _tcp_push(engine, node["jcc-analyst"].principal) if "position" in uid}
    assert jcc == {f"tansiq-position-{ids['JCC red']}"}
    asayish = node["asayish-analyst"].principal  # RED to asayish: asayish, not its parent krg
    shown = {uid for uid in _tcp_push(engine, asayish) if "position" in uid}
    assert f"tansiq-position-{ids['JCC red']}" in shown


def test_a_narrowed_position_and_a_withdrawn_cell_are_deleted_on_the_next_push(
    engine: Engine, locator: AreaLocator, node: dict[str, Account], stack: ExitStack
) -> None:
    ids = _positions(engine, locator)
    krg = node["krg-analyst"].principal
    released = f"tansiq-position-{ids['Released CP']}"
    cell = _cell_uid(engine, "Kirkuk cell")
    sink = stack.enter_context(TcpSink())
    first = _tcp_push(engine, krg, sink)
    assert released in first
    assert cell in first
    assert not [e for e in first.values() if e.cot_type == "t-x-d-d"]

    with writing(engine) as conn:  # joc stops releasing the checkpoint to krg
        narrowed = make_position(name="Released CP", releasable_to=frozenset())
        positions.save(conn, locator, [narrowed], "test", NOW)
        stix_id = "intrusion-set--" + cell.removeprefix("tansiq-cell-")
        exchange.withdraw(conn, node["joc-analyst"].principal, stix_id, NOW)
    later = NOW + timedelta(minutes=1)
    second = _tcp_push(engine, krg, sink, later)

    assert released not in second
    assert cell not in second
    deletes = {e.link_uids: e for e in second.values() if e.cot_type == "t-x-d-d"}
    assert set(deletes) == {(released,), (cell,)}
    for event in deletes.values():
        assert event.stale_ms > event.start_ms
    third = _tcp_push(engine, krg, sink, later + timedelta(minutes=1))
    assert not [e for e in third.values() if e.cot_type == "t-x-d-d"]  # deleted once
    assert set(third) == set(second) - {e.uid for e in deletes.values()}


def test_what_each_destination_holds_is_kept_apart(
    engine: Engine, locator: AreaLocator, node: dict[str, Account]
) -> None:
    _positions(engine, locator)
    _tcp_push(engine, node["joc-analyst"].principal)  # one sink: joc's picture
    arrived = _tcp_push(engine, node["krg-analyst"].principal)  # a new sink: nothing to delete
    assert not [e for e in arrived.values() if e.cot_type == "t-x-d-d"]


def test_the_same_destination_for_a_narrower_partner_gets_deletes(
    engine: Engine, locator: AreaLocator, node: dict[str, Account]
) -> None:
    ids = _positions(engine, locator)
    with TcpSink() as sink:
        _push(engine, node["joc-analyst"].principal, sink.url)
        _push(engine, node["krg-analyst"].principal, sink.url, NOW + timedelta(minutes=1))
        _, stream = sink.connections(2)
    arrived = [check_event(doc) for doc in documents(stream)]
    deleted = {uid for e in arrived if e.cot_type == "t-x-d-d" for uid in e.link_uids}
    assert f"tansiq-position-{ids['Secret CP']}" in deleted
    assert _cell_uid(engine, "Hidden cell") in deleted


def test_udp_sends_one_datagram_per_event(
    engine: Engine, locator: AreaLocator, node: dict[str, Account]
) -> None:
    _positions(engine, locator)
    with TcpSink() as tcp:
        _push(engine, node["krg-analyst"].principal, tcp.url)
        expected = len(documents(tcp.connections(1)[0]))
    with UdpSink() as sink:
        _push(engine, node["krg-analyst"].principal, sink.url)
        datagrams = sink.datagrams(expected)
    arrived = [check_event(d) for d in datagrams]
    assert all(d.count(b"<event ") == 1 for d in datagrams)
    assert len({e.uid for e in arrived}) == expected == 5  # 2 incidents, 1 cell, 2 positions


def test_a_push_audits_the_marked_things_it_shows_first(
    engine: Engine, locator: AreaLocator, node: dict[str, Account], stack: ExitStack
) -> None:
    ids = _positions(engine, locator)
    krg = node["krg-analyst"].principal
    sink = stack.enter_context(TcpSink())
    _tcp_push(engine, krg, sink)
    _tcp_push(engine, krg, sink, NOW + timedelta(minutes=1))  # nothing new: no entry
    with reading(engine) as conn:
        shares = [e for e in audit.entries(conn) if e.action == "share"]
    assert len(shares) == 1
    assert shares[0].actor == "krg-analyst"
    assert shares[0].subject.startswith("cot:tcp://")
    assert f"position:{ids['Released CP']}" in shares[0].detail["ids"]
    assert f"position:{ids['Secret CP']}" not in shares[0].detail["ids"]


def test_an_unreachable_destination_is_an_error_and_records_nothing(
    engine: Engine, node: dict[str, Account]
) -> None:
    with socket.socket() as unused:  # a port bound and never listened on: refused
        unused.bind(("127.0.0.1", 0))
        url = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    with pytest.raises(PeerUnavailable, match=r"cannot send to tcp://127\.0\.0\.1"):
        _push(engine, node["krg-analyst"].principal, url)
    with reading(engine) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM cot_sent")).scalar_one() == 0


@pytest.mark.parametrize(
    "url",
    ["http://x:1", "tcp://host", "tcp://:8087", "tcp://h:0", "tcp://h:99999", "udp://h:1/path"],
    ids=["scheme", "no-port", "no-host", "port-0", "port-range", "path"],
)
def test_a_bad_destination_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="--to"):
        parse_destination(url)


def test_the_command_pushes_once_and_logs_what_it_sent(
    engine: Engine, db_url: str, locator: AreaLocator, node: dict[str, Account]
) -> None:
    _positions(engine, locator)
    with writing(engine) as conn:  # incidents of this week, by the real clock the command uses
        today = datetime.now(UTC).date()
        upsert_incidents(
            conn, "ucdp", [make_row(source_id="201", date_start=today, date_end=today)], NOW
        )
    with TcpSink() as sink:
        url = sink.url
        done = tansiq("cot", "push", "--to", url, "--once", "--as", "krg-analyst", db=db_url)
        (stream,) = sink.connections(1)
    arrived = [check_event(doc) for doc in documents(stream)]
    assert "tansiq-incident-" in " ".join(e.uid for e in arrived)
    assert f"sent {len(arrived)} events" in done.stderr
    assert url in done.stderr


def test_the_command_refuses_bad_options(
    db_url: str, engine: Engine, node: dict[str, Account]
) -> None:
    done = tansiq(
        "cot", "push", "--to", "ftp://x:1", "--once", "--as", "krg-analyst", db=db_url, check=False
    )
    assert done.returncode == 1
    assert "error: --to 'ftp://x:1'" in done.stderr
    done = tansiq(
        "cot",
        "push",
        "--to",
        "tcp://127.0.0.1:9",
        "--once",
        "--as",
        "nobody",
        db=db_url,
        check=False,
    )
    assert done.returncode == 1
    assert "no user named 'nobody'" in done.stderr
    done = tansiq(
        "cot",
        "push",
        "--to",
        "tcp://127.0.0.1:9",
        "--interval",
        "0",
        "--as",
        "krg-analyst",
        db=db_url,
        check=False,
    )
    assert done.returncode == 1
    assert "--interval" in done.stderr


def _operation(engine: Engine, op_id: str, area: OpArea, state: State, to: frozenset[str]) -> None:
    content = Content(
        owner="joc",
        name=f"Operation {op_id}",
        op_type=OperationType.PATROL,
        area=area,
        start=NOW - timedelta(hours=1),
        end=NOW + timedelta(hours=5),
        releasable_to=to,
    )
    with writing(engine) as conn:
        operations.insert(
            conn, op_id, content, disputed_areas=(), sides_needed=("joc",), by="test", now=NOW
        )
        operations.set_state(conn, op_id, state, NOW)


def test_decided_operations_are_drawn_and_a_closed_one_is_deleted(
    engine: Engine, node: dict[str, Account], stack: ExitStack
) -> None:
    krg = frozenset({"krg"})
    square = "POLYGON ((44.3 35.4, 44.4 35.4, 44.4 35.5, 44.3 35.5, 44.3 35.4))"
    _operation(
        engine,
        "op-circle",
        OpArea(AreaKind.CIRCLE, "POINT (44.39 35.47)", 750.0),
        State.APPROVED,
        krg,
    )
    _operation(engine, "op-square", OpArea(AreaKind.POLYGON, square), State.ACTIVE, krg)
    road = "LINESTRING (44.0 35.0, 44.2 35.1)"
    _operation(engine, "op-road", OpArea(AreaKind.CORRIDOR, road, 200.0), State.ACTIVE, krg)
    _operation(engine, "op-draft", OpArea(AreaKind.POLYGON, square), State.DRAFT, krg)
    _operation(engine, "op-own", OpArea(AreaKind.POLYGON, square), State.ACTIVE, frozenset())
    sink = stack.enter_context(TcpSink())
    arrived = _tcp_push(engine, node["krg-analyst"].principal, sink)

    drawn = {uid: e for uid, e in arrived.items() if uid.startswith("tansiq-operation-")}
    assert set(drawn) == {
        "tansiq-operation-op-circle",
        "tansiq-operation-op-square",
        "tansiq-operation-op-road",
    }  # not the draft, not the one joc keeps to itself
    circle = drawn["tansiq-operation-op-circle"]
    assert circle.cot_type == "u-d-c-c"
    assert '<ellipse major="750.0" minor="750.0" angle="360" />' in circle.xml_detail
    assert (round(circle.lat, 2), round(circle.lon, 2)) == (35.47, 44.39)
    square_event = drawn["tansiq-operation-op-square"]
    assert square_event.cot_type == "u-d-f"
    points = re.findall(r'<link point="([-\d.]+),([-\d.]+)" />', square_event.xml_detail)
    assert len(points) == 5  # four corners, closed by the first again
    assert points[0] == points[-1] == ("35.400000", "44.300000")
    road_event = drawn["tansiq-operation-op-road"]
    assert road_event.cot_type == "u-d-f"  # the corridor drawn as its 200 m band
    assert len(re.findall("<link point=", road_event.xml_detail)) > 4

    with writing(engine) as conn:
        operations.set_state(conn, "op-square", State.CLOSED, NOW)
    later = _tcp_push(engine, node["krg-analyst"].principal, sink, NOW + timedelta(minutes=1))
    deletes = [e for e in later.values() if e.cot_type == "t-x-d-d"]
    assert [d.link_uids for d in deletes] == [("tansiq-operation-op-square",)]
    assert "tansiq-operation-op-circle" in later


@pytest.mark.slow
def test_a_running_push_repeats_deletes_between_turns_and_stops_on_sigterm(
    engine: Engine, db_url: str, locator: AreaLocator, node: dict[str, Account]
) -> None:
    ids = _positions(engine, locator)
    released = f"tansiq-position-{ids['Released CP']}"
    with TcpSink() as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tansiq",
                "cot",
                "push",
                "--to",
                sink.url,
                "--interval",
                "1",
                "--as",
                "krg-analyst",
                "--db",
                db_url,
            ],
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        try:
            first = documents(sink.connections(1)[0])
            assert released in b"".join(first).decode()
            with writing(engine) as conn:  # joc narrows it while the push runs
                narrowed = make_position(name="Released CP", releasable_to=frozenset())
                positions.save(conn, locator, [narrowed], "test", NOW)
            # The turn in flight may have read the picture before the change: look at two.
            turns = len(sink.received)
            after = sink.connections(turns + 2)[turns:]
        finally:
            process.send_signal(signal.SIGTERM)
            _, log = process.communicate(timeout=30)
    assert process.returncode == 0
    arrived = [[check_event(d) for d in documents(stream)] for stream in after]
    deleted = [e for turn in arrived for e in turn if e.cot_type == "t-x-d-d"]
    assert [e.link_uids for e in deleted] == [(released,)]  # deleted once
    assert released not in {e.uid for e in arrived[-1]}
    assert log.count("cot push: sent ") >= 2


def test_acled_protests_are_unknown_and_its_fighting_hostile(
    engine: Engine, node: dict[str, Account]
) -> None:
    rows = [
        make_row(
            source="acled",
            source_id="IRQ1",
            date_start=RECENT,
            date_end=RECENT,
            incident_type="Protests",
            precision=2,
        ),
        make_row(
            source="acled",
            source_id="IRQ2",
            date_start=RECENT,
            date_end=RECENT,
            incident_type="Battles",
            precision=1,
        ),
    ]
    with writing(engine) as conn:
        upsert_incidents(conn, "acled", rows, NOW)
    arrived = _tcp_push(engine, node["krg-analyst"].principal)
    acled = {e.callsign.split()[1]: e for e in arrived.values() if e.callsign.startswith("ACLED")}
    assert acled["IRQ1"].cot_type == "a-u-G"
    assert acled["IRQ1"].ce == 25_000.0
    assert acled["IRQ2"].cot_type == "a-h-G"
    assert acled["IRQ2"].ce == 2_000.0
