"""One push of the picture to a TAK destination, with deletes for what left it.

What was sent to each destination is kept (tansiq.store.tracks.sent_to), so a push knows what
the destination holds: whatever it held that is not in the picture now (withdrawn, ended, no
longer released to its partner, no longer active) gets a t-x-d-d. The record is updated only
after the send went through, so a failed push is repeated whole next time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from tansiq.accounts import Principal
from tansiq.cot.events import delete_event, to_xml
from tansiq.cot.picture import build_picture
from tansiq.cot.transport import Destination, send
from tansiq.errors import TansiqError
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tansiq.store.tracks import record_sent, sent_to


@dataclass(frozen=True, slots=True)
class Pushed:
    """What one push sent."""

    kinds: dict[str, int]
    """Events by kind (incident, cell, position, operation)."""
    deleted: int
    bytes_sent: int

    @property
    def events(self) -> int:
        return sum(self.kinds.values())

    def summary(self, destination: Destination) -> str:
        kinds = ", ".join(f"{kind}s {n}" for kind, n in sorted(self.kinds.items())) or "none"
        return (
            f"sent {self.events} events ({kinds}) and {self.deleted} deletes to "
            f"{destination.url}: {self.bytes_sent:,} bytes"
        )


def push_once(
    engine: Engine,
    who: Principal,
    destination: Destination,
    *,
    now: datetime,
    since: date,
    stale_after: timedelta,
) -> Pushed:
    """Build the picture `who`'s partner may see, send it with the deletes it needs, and
    record what the destination now holds."""
    with reading(engine) as conn:
        picture = build_picture(conn, who.viewer, now=now, since=since, stale_after=stale_after)
        before = sent_to(conn, destination.url)
    after = {event.uid: event.cot_type for event in picture.events}
    gone = sorted(set(before) - set(after))
    deletes = [delete_event(uid, before[uid], now) for uid in gone]
    documents = [to_xml(event) for event in (*picture.events, *deletes)]
    bytes_sent = send(destination, documents)
    newly_marked = sorted(ref for uid, ref in picture.marked.items() if uid not in before)
    with writing(engine) as conn:
        record_sent(conn, destination.url, before, after, now)
        if newly_marked or gone:
            audit.append(
                conn,
                at=now,
                actor=who.name,
                action="share",
                subject=f"cot:{destination.url}",
                detail={"to": who.partner, "ids": newly_marked, "deleted": gone},
            )
    kinds = Counter(uid.split("-")[1] for uid in after)
    return Pushed(dict(kinds), len(deletes), bytes_sent)


def push_loop(
    push: Callable[[datetime], str],
    *,
    once: bool,
    interval_s: float,
    clock: Callable[[], datetime],
    wait: Callable[[float], bool],
    log: Callable[[str], None],
) -> None:
    """Push now and then every `interval_s` until `wait` says to stop (a signal); `push` returns
    its log line. A failed push is logged and tried again at the next turn, unless this is the
    only one."""
    while True:
        try:
            log(push(clock()))
        except (TansiqError, OSError, SQLAlchemyError) as exc:  # a gateway outlives a bad turn
            if once:
                raise
            log(f"push failed: {exc}")
        if once or wait(interval_s):
            return
