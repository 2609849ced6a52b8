"""`tansiq cot`: Cursor-on-Target: send the releasable picture to TAK, take friendly tracks in.

`push` reads as the user given by --as: what goes to a TAK server is what that user's partner may
see, nothing else (the same filters as the API). `listen` takes friendly tracks from a partner's
TAK network; every line it logs (one per event taken, rejected or ignored) goes to stderr.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Annotated

import typer

from tansiq.commands.accounts import acting
from tansiq.commands.common import DbOption, engine_for, now
from tansiq.cot.intake import Intake
from tansiq.cot.listen import Listener, serve
from tansiq.cot.push import push_loop, push_once
from tansiq.cot.transport import parse_destination
from tansiq.errors import InvalidInput, NotFound
from tansiq.store.database import reading, require_schema
from tansiq.store.partners import find_partner

cot_app = typer.Typer(
    help="Cursor-on-Target: send the releasable picture to TAK, take friendly tracks in.",
    no_args_is_help=True,
)

MIN_STALE = timedelta(hours=1)
"""Events live at least an hour on the TAK side, and three pushes' worth when pushes are rarer."""


@cot_app.command("push")
def push_command(
    to: Annotated[
        str, typer.Option("--to", help="tcp://HOST:PORT (a TAK server) or udp://HOST:PORT.")
    ],
    as_user: Annotated[str, typer.Option("--as", help="Send what this user's partner may see.")],
    once: Annotated[bool, typer.Option("--once", help="Push once and exit.")] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between pushes (without --once).")
    ] = 60.0,
    since: Annotated[
        int, typer.Option("--since", help="Send incidents of the last DAYS days.")
    ] = 30,
    db: DbOption = None,
) -> None:
    """Send the picture releasable to a partner as CoT: incidents and cells (hostile), positions
    (friendly), operation areas (drawings), and t-x-d-d deletes for what left the picture since
    the last push to the same destination. Repeats every --interval seconds until stopped."""
    destination = parse_destination(to)
    if not 1.0 <= interval <= 86_400.0:
        raise InvalidInput(f"--interval {interval}: give 1 to 86400 seconds")
    if not 0 <= since <= 36_500:
        raise InvalidInput(f"--since {since}: give 0 to 36500 days")
    stale_after = max(MIN_STALE, timedelta(seconds=3 * interval))
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            who = acting(conn, as_user)

        def push(moment: datetime) -> str:
            pushed = push_once(
                engine,
                who,
                destination,
                now=moment,
                since=moment.date() - timedelta(days=since),
                stale_after=stale_after,
            )
            return pushed.summary(destination)

        with _stop_on_signals(active=not once) as stopping:
            push_loop(
                push,
                once=once,
                interval_s=interval,
                clock=now,
                wait=stopping.wait,
                log=_log("cot push"),
            )


@cot_app.command("listen")
def listen_command(
    partner: Annotated[
        str, typer.Option("--partner", help="The partner whose TAK network sends here.")
    ],
    tcp: Annotated[
        str | None, typer.Option("--tcp", help="Listen for CoT over TCP on HOST:PORT.")
    ] = None,
    udp: Annotated[
        str | None,
        typer.Option("--udp", help="Listen for CoT over UDP on HOST:PORT (a multicast group too)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Take friendly tracks (a-f-*) in for deconfliction until SIGTERM or SIGINT. Every event is
    checked; what is malformed is rejected, with the reason, on stderr."""
    if tcp is None and udp is None:
        raise InvalidInput("give --tcp HOST:PORT, --udp HOST:PORT or both")
    tcp_address = _host_port(tcp, "--tcp") if tcp else None
    udp_address = _host_port(udp, "--udp") if udp else None
    log = _log("cot listen")
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            if find_partner(conn, partner) is None:
                raise NotFound(f"no partner {partner!r}: add it with `tansiq partners add`")
        intake = Intake(engine, partner, log, now)
        listener = Listener(intake, tcp=tcp_address, udp=udp_address)

        def ready(bound: dict[str, tuple[str, int]]) -> None:
            for scheme, (host, port) in sorted(bound.items()):
                log(f"listening {scheme} {host}:{port} for partner {partner}")

        serve(listener, ready)
        log("stopped")


def _host_port(text: str, option: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65_535:
        raise InvalidInput(f"{option} {text!r}: give HOST:PORT, e.g. 127.0.0.1:8087")
    return host, int(port)


def _log(name: str) -> Callable[[str], None]:
    """One line a message on stderr, with the time; safe from several threads."""
    lock = threading.Lock()

    def log(message: str) -> None:
        line = f"{now():%Y-%m-%dT%H:%M:%SZ} {name}: {message}\n"
        with lock:
            sys.stderr.write(line)
            sys.stderr.flush()

    return log


@contextmanager
def _stop_on_signals(active: bool) -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while the block runs (a running push ends cleanly)."""
    stopping = threading.Event()
    if not active or threading.current_thread() is not threading.main_thread():
        yield stopping
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    for signum in previous:
        signal.signal(signum, lambda *_: stopping.set())
    try:
        yield stopping
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
