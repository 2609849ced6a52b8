"""What the listener does with each event received: check it, then store a friendly track.

A friendly track (a-f-*) is stored (upsert by uid) and registered, in the same transaction, as a
TRACK footprint for deconfliction: its point, a buffer of its circular error (at least 100 m),
valid from its time to its stale; it leaves the registry when it is deleted or goes stale. A
t-x-d-d from the partner removes its own track. A hostile, suspect or unknown ground contact, or
a detection, near the Syria border is a border observation (tansiq.border.record_observation:
a crossing attempt or a sensor alert, which may raise an alert and a task). Anything else is not
taken: the reason is logged, one line each, with the peer's address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shapely.geometry import Point
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from tansiq import conflicts
from tansiq.border import record_observation
from tansiq.cot.events import DELETE_TYPE, UNKNOWN
from tansiq.cot.parse import InEvent, Rejected, parse_event
from tansiq.domain.border import ObservationDraft, ObservationKind, ObservationSource
from tansiq.domain.deconfliction import Footprint, FootprintKind
from tansiq.errors import InvalidInput
from tansiq.store import footprints
from tansiq.store.database import writing
from tansiq.store.tracks import Track, UidTaken, put_track, remove_track, sweep_stale

_CONTACTS = frozenset({"h", "s", "u", "j", "k"})
"""Affiliations of a contact to report: hostile, suspect, unknown, joker, faker."""
MIN_BUFFER_M = 100.0
UNKNOWN_ERROR_BUFFER_M = 10_000.0
"""A track whose sender gives no error (ce 9999999) is taken as within 10 km, not anywhere:
deconfliction against a disc the size of the Earth would flag everything and mean nothing."""


@dataclass
class Intake:
    engine: Engine
    partner: str
    log: Callable[[str], None]
    clock: Callable[[], datetime]

    def take(self, data: bytes, peer: str) -> None:
        """Check one event and act on it; never raises for what a peer sent."""
        now = self.clock()
        try:
            event = parse_event(data, now)
        except Rejected as reason:
            self.log(f"rejected {peer}: {reason}")
            return
        try:
            self._act(event, peer, now)
        except SQLAlchemyError as exc:  # the database, not the peer: say so and go on
            self.log(f"not stored {peer}: uid {event.uid!r}: database error {type(exc).__name__}")

    def _act(self, event: InEvent, peer: str, now: datetime) -> None:
        if event.cot_type == DELETE_TYPE:
            self._delete(event, peer)
        elif event.affiliation == "f":
            self._store(event, peer, now)
        elif (kind := border_kind(event)) is not None:
            self._observe(event, kind, peer, now)
        else:
            self.log(
                f"ignored {peer}: uid {event.uid!r} type {event.cot_type!r} is neither a friendly "
                "track (a-f-*) nor a border observation"
            )

    def _observe(self, event: InEvent, kind: ObservationKind, peer: str, now: datetime) -> None:
        """A border observation (tansiq.border): placed in its sector, alert rules run."""
        text = " - ".join(part for part in (event.callsign, event.remarks) if part)
        draft = ObservationDraft(
            kind=kind.value,
            latitude=event.lat,
            longitude=event.lon,
            observed_at=event.time,
            partner=self.partner,
            source=ObservationSource.COT.value,
            source_ref=event.uid,
            text=text or f"{event.cot_type} ({event.how})",
        )
        try:
            with writing(self.engine) as conn:
                alerts = record_observation(conn, draft, now, by=f"cot:{self.partner}")
        except InvalidInput as exc:  # e.g. too far from the border line
            self.log(f"ignored {peer}: uid {event.uid!r} {event.cot_type} as a {kind}: {exc}")
            return
        raised = f", alerts raised: {alerts}" if alerts else ""
        self.log(f"border {kind} {peer}: uid {event.uid!r} recorded{raised}")

    def _store(self, event: InEvent, peer: str, now: datetime) -> None:
        track = Track(
            uid=event.uid,
            partner=self.partner,
            callsign=event.callsign,
            cot_type=event.cot_type,
            how=event.how,
            latitude=event.lat,
            longitude=event.lon,
            ce=event.ce,
            time=event.time,
            stale=event.stale,
            received_at=now,
            peer=peer,
        )
        try:
            registered = footprint(track)
        except InvalidInput as exc:  # e.g. outside the theatre deconfliction measures
            self.log(f"rejected {peer}: uid {event.uid!r}: {exc}")
            return
        try:
            with writing(self.engine) as conn:
                new = put_track(conn, track)
                footprints.put(conn, registered)
                conflicts.recheck_all(conn, [registered], conflicts.duty_contact, now, "cot")
        except UidTaken as exc:
            self.log(f"rejected {peer}: {exc}")
            return
        verb = "new" if new else "updated"
        self.log(
            f"track {verb} {peer}: uid {event.uid!r} {event.cot_type} "
            f"{event.lat:.5f},{event.lon:.5f} until {event.stale:%Y-%m-%dT%H:%M:%SZ}"
        )

    def _delete(self, event: InEvent, peer: str) -> None:
        if event.link_uid is None:
            self.log(f"rejected {peer}: t-x-d-d without a <link uid> to delete")
            return
        with writing(self.engine) as conn:
            removed = remove_track(conn, event.link_uid, self.partner)
            if removed:
                footprints.remove(conn, FootprintKind.TRACK, event.link_uid)
                conflicts.withdrawn(
                    conn, FootprintKind.TRACK, event.link_uid, "", "cot", self.clock()
                )
        if removed:
            self.log(f"track deleted {peer}: uid {event.link_uid!r}")
        else:
            self.log(f"ignored {peer}: t-x-d-d for {event.link_uid!r}, no such track of theirs")

    def sweep(self) -> None:
        """Drop the tracks whose stale has passed, and their footprints."""
        try:
            with writing(self.engine) as conn:
                gone = sweep_stale(conn, self.clock())
                for uid in gone:
                    footprints.remove(conn, FootprintKind.TRACK, uid)
                    conflicts.withdrawn(conn, FootprintKind.TRACK, uid, "", "cot", self.clock())
        except SQLAlchemyError as exc:
            self.log(f"sweep failed: database error {type(exc).__name__}")
            return
        if gone:
            more = "..." if len(gone) > 5 else ""
            self.log(f"tracks expired: {len(gone)} ({', '.join(gone[:5])}{more})")


def border_kind(event: InEvent) -> ObservationKind | None:
    """What a non-friendly event is at the border: a hostile, suspect or unknown ground contact
    (a-h-G, a-s-G, a-u-G, ...) is a crossing attempt; a detection (b-d-*) is a sensor alert.
    Whether it is at the border at all is tansiq.border's to say (within its tolerance)."""
    parts = event.cot_type.split(";", 1)[0].split("-")
    if parts[0] == "a" and len(parts) > 2 and parts[1] in _CONTACTS and parts[2] == "G":
        return ObservationKind.CROSSING_ATTEMPT
    if parts[:2] == ["b", "d"]:
        return ObservationKind.SENSOR_ALERT
    return None


def buffer_m(ce: float) -> float:
    """A track's buffer for deconfliction: its circular error, at least 100 m."""
    return UNKNOWN_ERROR_BUFFER_M if ce >= UNKNOWN else max(ce, MIN_BUFFER_M)


def footprint(track: Track) -> Footprint:
    """The track as the deconfliction registry holds it (INTEROP 5.1; interfaces: tracks):
    its point, a buffer of max(ce, 100 m), the window [time, stale], no margin."""
    return Footprint(
        kind=FootprintKind.TRACK,
        ref=track.uid,
        owner=track.partner,
        area=Point(track.longitude, track.latitude),
        buffer_m=buffer_m(track.ce),
        start=track.time,
        end=track.stale,
        margin=timedelta(0),
        contact=track.callsign,
    )
