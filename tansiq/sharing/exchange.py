"""The exchange service: what users and peers do with marked objects, on one connection.

Every function takes the caller (a Principal), works inside the caller's transaction and writes
its audit entry there, so an action and its record commit together or not at all. Objects are
immutable STIX versions: an edit, a marking change or a withdrawal makes a new version.

Only the originating partner changes an object; a copy received from a partner is read-only
here, and the receiver's comments are its own notes, sightings and opinions.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.domain.markings import NAMESPACE, Marking, Tlp, Viewer, node_viewer
from tansiq.domain.reports import WRITERS, CellDraft, ReportDraft
from tansiq.errors import Forbidden, InvalidInput, NotFound
from tansiq.exports import incident_record
from tansiq.sharing import arrivals, intake, links, stix, tombstones
from tansiq.store import audit, objects
from tansiq.store.incidents import find_incident
from tansiq.store.partners import find_partner, node_partner, partner_parents


@dataclass(frozen=True, slots=True)
class Release:
    """What a user asks for: a TLP level and the partners beyond their own to release to."""

    tlp: Tlp
    releasable_to: frozenset[str] = frozenset()


def _micros(now: datetime) -> int:
    return stix.to_micros(now)


def _require_writer(actor: Principal) -> None:
    if actor.role not in WRITERS:
        raise Forbidden(f"a {actor.role.value} may not change reports; ask an analyst")


def _marking(conn: Connection, actor: Principal, release: Release) -> Marking:
    for code in sorted(release.releasable_to):
        if find_partner(conn, code) is None:
            raise InvalidInput(f"unknown partner {code!r} in releasable-to")
    return Marking(release.tlp, actor.partner, release.releasable_to - {actor.partner})


def _store(
    conn: Connection, bodies: Sequence[dict[str, Any]], marking: Marking, now: datetime
) -> list[objects.Outcome]:
    definition = stix.releasability_marking(marking.releasable_to)
    if definition is not None:
        here = node_partner(conn)
        _ensure_marking_definition(conn, definition, marking.releasable_to, here, now)
    return objects.put_many(conn, [_new_version(body, marking) for body in bodies], _micros(now))


def _new_version(
    body: dict[str, Any],
    marking: Marking,
    peer: str | None = None,
    received_at: datetime | None = None,
    linked: Sequence[str] | None = None,
) -> objects.NewVersion:
    return objects.NewVersion.of(
        body,
        version=arrivals.version_of(body),
        marking=marking,
        name=arrivals.title(body),
        text=arrivals.search_text(body),
        ref_ids=tuple(links.refs_of(body) if linked is None else linked),
        peer=peer,
        received_at=received_at,
    )


def _arrived_version(
    arrival: arrivals.Arrival, marking: Marking, peer: str | None, received_at: datetime
) -> objects.NewVersion:
    return objects.NewVersion(  # positional: this runs for every object a peer sends
        arrival.stix_id,
        arrival.stix_type,
        arrival.spec_version,
        arrival.version,
        marking,
        arrival.encoded,
        arrival.name,
        arrival.text,
        arrival.links,
        peer,
        received_at,
    )


def _audit(
    conn: Connection, actor: Principal, action: str, subject: str, now: datetime, **detail: Any
) -> None:
    audit.append(conn, at=now, actor=actor.name, action=action, subject=subject, detail=detail)


# --- creating --------------------------------------------------------------------------------


def create_report(
    conn: Connection, actor: Principal, draft: ReportDraft, release: Release, now: datetime
) -> str:
    """Store a new report (and its places as locations); returns its STIX id."""
    _require_writer(actor)
    marking = _marking(conn, actor, release)
    report_id = stix.new_id("report")
    incidents = _incident_objects(conn, report_id, draft.incident_ids, marking, now)
    draft = replace(draft, incident_ids=tuple(o["id"] for o in incidents))
    _require_readable(conn, actor.viewer, draft.cell_ids)
    bodies = stix.report_objects(
        draft, report_id=report_id, created=now, modified=now, marking=marking
    )
    _store(conn, _dependents_first([*incidents, *bodies]), marking, now)
    _audit(conn, actor, "write", report_id, now, tlp=marking.tlp.value, to=_codes(marking))
    return report_id


def create_cell(
    conn: Connection, actor: Principal, cell: CellDraft, release: Release, now: datetime
) -> str:
    _require_writer(actor)
    marking = _marking(conn, actor, release)
    cell_id = stix.new_id("intrusion-set")
    body = stix.cell_object(cell, cell_id=cell_id, created=now, modified=now, marking=marking)
    _store(conn, [body], marking, now)
    _audit(conn, actor, "write", cell_id, now, tlp=marking.tlp.value, to=_codes(marking))
    return cell_id


def add_comment(
    conn: Connection, actor: Principal, body: dict[str, Any], release: Release, now: datetime
) -> str:
    """Store a note, sighting or opinion the caller built on objects they can read."""
    if actor.role not in WRITERS:
        raise Forbidden(f"a {actor.role.value} may not comment; ask an analyst")
    marking = _marking(conn, actor, release)
    _require_readable(conn, actor.viewer, links.refs_of(body))
    body = {**body, "object_marking_refs": stix.marking_refs(marking)}
    _store(conn, [body], marking, now)
    _audit(conn, actor, "write", str(body["id"]), now, tlp=marking.tlp.value)
    return str(body["id"])


def _incident_objects(
    conn: Connection, report_id: str, keys: Sequence[str], marking: Marking, now: datetime
) -> list[dict[str, Any]]:
    """STIX incidents for the stored incidents a report links to ("ucdp:12345"), marked like
    the report and owned by it (so they are re-marked and withdrawn with it)."""
    found = []
    for key in keys:
        source, _, source_id = key.partition(":")
        record = find_incident(conn, source, source_id) if source_id else None
        if record is None:
            raise NotFound(f"no stored incident {key!r}: give SOURCE:ID, e.g. ucdp:12345")
        incident_id = f"incident--{uuid.uuid5(NAMESPACE, report_id + '|' + key)}"
        found.append(
            stix.incident_object(
                incident_record(record),
                incident_id=incident_id,
                created=now,
                modified=now,
                marking=marking,
            )
        )
    return found


def _require_readable(conn: Connection, viewer: Viewer, ids: Iterable[str]) -> None:
    wanted = set(ids)
    missing = wanted - objects.readable_ids(conn, viewer, wanted)
    if missing:
        raise NotFound(f"no such object: {sorted(missing)[0]}")


def _dependents_first(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Places and incidents before the report, so a reader never sees a report before them."""
    return sorted(bodies, key=lambda b: b["type"] == "report")


def _codes(marking: Marking) -> list[str]:
    return sorted(marking.audience())


# --- changing ---------------------------------------------------------------------------------


def _own(conn: Connection, actor: Principal, stix_id: str) -> objects.StoredRow:
    """The latest version of an object the caller's partner originated, for changing it."""
    row = objects.latest(conn, actor.viewer, stix_id)
    if row is None:
        raise NotFound(f"no such object: {stix_id}")
    if row.originator != actor.partner:
        raise Forbidden(
            f"{stix_id} belongs to {row.originator}; it is read-only here. "
            "Add a note, sighting or opinion instead."
        )
    _require_writer(actor)
    return row


def _owned_parts(conn: Connection, row: objects.StoredRow) -> list[objects.StoredRow]:
    """The object and the places and incidents made for it, which share its marking."""
    parts = [row]
    for ref in row.ref_ids:
        if ref.startswith(("location--", "incident--")):
            loc = objects.current(conn, ref)
            if loc is not None and loc.originator == row.originator:
                parts.append(loc)
    return parts


def _next_version(row: objects.StoredRow, now: datetime) -> str:
    return stix.stix_time(stix.from_micros(max(_micros(now), row.version + 1)))


def edit(
    conn: Connection, actor: Principal, stix_id: str, changes: dict[str, Any], now: datetime
) -> None:
    """A new version with some properties changed (title, text, lang, grade)."""
    row = _own(conn, actor, stix_id)
    body = orjson.loads(row.body)
    body.update(changes)
    body["modified"] = _next_version(row, now)
    marking = Marking(row.tlp, row.originator, _released(conn, row))
    _store(conn, [body], marking, now)
    _audit(conn, actor, "edit", stix_id, now, fields=sorted(changes))


def mark(conn: Connection, actor: Principal, stix_id: str, release: Release, now: datetime) -> None:
    """Re-mark an object and its places; partners that lose sight of it get a tombstone."""
    row = _own(conn, actor, stix_id)
    marking = _marking(conn, actor, release)
    before = Marking(row.tlp, row.originator, _released(conn, row))
    bodies = []
    for part in _owned_parts(conn, row):
        body = orjson.loads(part.body)
        body["modified"] = _next_version(part, now)
        body["object_marking_refs"] = stix.marking_refs(marking)
        bodies.append(body)
    _store(conn, _dependents_first(bodies), marking, now)
    _audit(
        conn,
        actor,
        "mark",
        stix_id,
        now,
        tlp=[before.tlp.value, marking.tlp.value],
        to=[_codes(before), _codes(marking)],
        widened=sorted(marking.audience() - before.audience()),
    )


def withdraw(conn: Connection, actor: Principal, stix_id: str, now: datetime) -> None:
    row = _own(conn, actor, stix_id)
    for part in _owned_parts(conn, row):
        version = max(_micros(now), part.version + 1)
        objects.withdraw(conn, part.stix_id, version, objects.clock(conn, _micros(now)))
    _audit(conn, actor, "withdraw", stix_id, now)


def _released(conn: Connection, row: objects.StoredRow) -> frozenset[str]:
    return objects.audience(conn, row.pk) - {row.originator}


# --- reading ----------------------------------------------------------------------------------


def render(conn: Connection, viewer: Viewer, rows: Sequence[objects.StoredRow]) -> list[bytes]:
    """The bodies as this viewer may see them; see `render_rows`."""
    return [body for _, body in render_rows(conn, viewer, rows)]


def render_rows(
    conn: Connection, viewer: Viewer, rows: Sequence[objects.StoredRow], depth: int = 0
) -> list[tuple[objects.StoredRow, bytes]]:
    """Each row with its body as this viewer may see it: links to what they cannot read are cut.

    An object that cannot stand without a hidden link (a relationship to it, a sighting of it,
    a note on it) is left out, so no id, title or count of a hidden object ever reaches the
    viewer.
    """
    linked = {ref for row in rows for ref in row.ref_ids}
    readable = _shown_ids(conn, viewer, linked, depth) if linked else set()
    out = []
    for row in rows:
        hidden = set(row.ref_ids) - readable
        if not hidden:
            out.append((row, row.body.encode()))
            continue
        trimmed = links.without_refs(orjson.loads(row.body), hidden)
        if trimmed is not None:
            out.append((row, orjson.dumps(trimmed)))
    return out


_MAX_DEPTH = 8


def _shown_ids(conn: Connection, viewer: Viewer, ids: set[str], depth: int) -> set[str]:
    """The ids among these the viewer is shown: readable, and for a note, sighting, opinion or
    relationship, about something shown (checked down the chain; too deep counts as hidden)."""
    readable = objects.readable_ids(conn, viewer, ids)
    dependent = {i for i in readable if i.partition("--")[0] in links.DEPENDENT_TYPES}
    if not dependent:
        return readable
    if depth >= _MAX_DEPTH:
        return readable - dependent
    query = objects.Query(ids=sorted(dependent), limit=len(dependent))
    rows = objects.page(conn, viewer, query).rows
    kept = {row.stix_id for row, _ in render_rows(conn, viewer, rows, depth + 1)}
    return readable - (dependent - kept)


def visible_objects(conn: Connection, viewer: Viewer, batch: int = 1000) -> Iterator[bytes]:
    """Every latest object the viewer may read, in date_added order, as rendered bytes."""
    after: int | None = None
    while True:
        found = objects.page(conn, viewer, objects.Query(after=after, limit=batch))
        yield from render(conn, viewer, found.rows)
        if not found.more:
            return
        after = found.rows[-1].date_added


def export_bundle(conn: Connection, viewer: Viewer) -> dict[str, Any]:
    """A STIX bundle of what the viewer may read, with the markings, identities and
    extension definitions it uses, so that a consumer can interpret every reference."""
    found = [orjson.loads(b) for b in visible_objects(conn, viewer)]
    parents = partner_parents(conn)
    codes = intake.codes_by_identity(parents)
    named = {codes[r] for o in found for r in _identity_refs(o) if r in codes}
    support: list[dict[str, Any]] = [*stix.extension_objects(), *stix.TLP_OBJECTS]
    for code in sorted(named):
        support.append(stix.partner_identity(code, _partner_name(conn, code), parents.get(code)))
    marking_ids = {m for o in found for m in o.get("object_marking_refs", [])}
    support += objects.marking_definitions(conn, marking_ids).values()
    unique = {str(o["id"]): o for o in [*support, *found]}
    return stix.bundle(unique.values())


def _identity_refs(obj: dict[str, Any]) -> list[str]:
    refs = [obj.get("created_by_ref"), *obj.get("where_sighted_refs", [])]
    return [r for r in refs if isinstance(r, str) and r.startswith("identity--")]


def _partner_name(conn: Connection, code: str) -> str:
    found = find_partner(conn, code)
    return found.name if found else code


# --- receiving --------------------------------------------------------------------------------


class Received(NamedTuple):
    """What became of one object from a peer: stored (with how), or rejected and why."""

    stix_id: str
    version: str
    outcome: objects.Outcome | None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is not None


@dataclass
class ReceiveSummary:
    results: list[Received] = field(default_factory=list)

    def add(self, result: Received) -> None:
        self.results.append(result)

    def counts(self) -> dict[str, int]:
        tally = Counter(r.outcome for r in self.results)
        return {
            "received": len(self.results),
            "created": tally[objects.Outcome.CREATED],
            "updated": tally[objects.Outcome.UPDATED],
            "withdrawn": tally[objects.Outcome.WITHDRAWN],
            "rejected": tally[None],
        }

    @property
    def received(self) -> int:
        return len(self.results)

    @property
    def created(self) -> int:
        return self.counts()["created"]

    @property
    def updated(self) -> int:
        return self.counts()["updated"]

    @property
    def withdrawn(self) -> int:
        return self.counts()["withdrawn"]

    @property
    def rejected(self) -> int:
        return self.counts()["rejected"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where received objects come from: a peer node we pull, or a partner posting to us."""

    partner: str
    peer: str | None = None
    actor: str = "sync"
    relay: bool = False
    """True for a peer node we pull from, which passes on other partners' objects; a partner
    posting to our inbox (False) may only post objects of its own organisation."""

    @property
    def deliverer(self) -> str:
        """Who hands the objects over, whose signature vouches for a tombstone: the peer (a
        partner code: peers are named by their partner's), else the partner posting."""
        return self.peer or self.partner

    def withdraw(
        self, conn: Connection, obj: dict[str, Any], marking: Marking, now: datetime
    ) -> objects.Outcome:
        """Apply a tombstone from this source if it is signed by one it trusts for it."""
        return _apply_withdrawal(conn, obj, marking, now, self)


def receive(
    conn: Connection, source: Source, bodies: Sequence[Any], now: datetime
) -> ReceiveSummary:
    """Check and apply objects from a partner in one transaction (the caller's)."""
    return receive_arrivals(conn, source, [arrivals.arrive(b) for b in bodies], now)


def receive_arrivals(
    conn: Connection, source: Source, arrived: Sequence[arrivals.Arrival], now: datetime
) -> ReceiveSummary:
    """Apply checked objects from a partner in one transaction (the caller's), each judged
    alone.

    Marking definitions in the batch are learnt first. A `revoked` object is a withdrawal (or a
    tombstone for a partner that lost sight of it). Copies of our own objects are ignored: this
    node is their authority. Anything not releasable to this node's partner is rejected.
    """
    parents = partner_parents(conn)
    batch = _Intake(
        here=node_viewer(node_partner(conn), parents),
        known=_known_from_arrivals(conn, arrived),
        codes=intake.codes_by_identity(parents),
        source=source,
        now=now,
        posters=node_viewer(source.partner, parents).red_codes,
    )
    judged = [_receive_one(conn, batch, arrival) for arrival in arrived]
    pending = [j for j in judged if isinstance(j, objects.NewVersion)]
    stored = iter(objects.put_many(conn, pending, _micros(now)))
    summary = ReceiveSummary(
        [
            Received(a.stix_id, a.label, next(stored)) if isinstance(j, objects.NewVersion) else j
            for a, j in zip(arrived, judged, strict=True)
        ]
    )
    audit.append(
        conn,
        at=now,
        actor=source.actor,
        action="receive",
        subject=source.peer or source.partner,
        detail=summary.counts(),
    )
    return summary


@dataclass(frozen=True, slots=True)
class _Intake:
    here: Viewer
    known: dict[str, dict[str, Any]]
    codes: dict[str, str]
    source: Source
    now: datetime
    posters: frozenset[str]
    scopes: dict[str, frozenset[str]] = field(default_factory=dict)
    """Releasability markings already checked in this batch, by id."""
    verdicts: dict[tuple[Any, ...], Marking | str] = field(default_factory=dict)
    """Markings already read in this batch, by (marking refs, creator): the marking if this
    node may hold it, else why not. Most of a batch shares a handful of markings."""

    def marking(self, arrival: arrivals.Arrival) -> Marking:
        """How an arrival is marked, if this node may hold it; raises InvalidInput if not."""
        key = (arrival.marking_refs, arrival.creator)
        verdict = self.verdicts.get(key)
        if verdict is None:
            verdict = self._read(arrival)
            self.verdicts[key] = verdict
        if isinstance(verdict, str):
            raise InvalidInput(f"{arrival.stix_id}: {verdict}")
        return verdict

    def _read(self, arrival: arrivals.Arrival) -> Marking | str:
        """The marking, or the reason without the object's id (the verdict is shared)."""
        obj = {
            "id": arrival.stix_id,
            "object_marking_refs": list(arrival.marking_refs),
            "created_by_ref": arrival.creator,
        }
        try:
            marking = intake.read_marking(obj, self.known, self.codes, self.scopes)
        except InvalidInput as exc:
            return str(exc).removeprefix(f"{arrival.stix_id}: ")
        if not self.here.sees(marking.tlp, marking.audience()):
            return f"not releasable to {self.here.partner}"
        return marking


def _receive_one(
    conn: Connection, batch: _Intake, arrival: arrivals.Arrival
) -> Received | objects.NewVersion:
    """The verdict on one received object, or the version to store (stored as a batch)."""
    stix_id, version = arrival.stix_id, arrival.label
    try:
        if arrival.error is not None:
            raise InvalidInput(arrival.error)
        if arrival.stix_type in SUPPORT_TYPES:
            obj = arrival.checked
            return _receive_support(conn, obj, batch.here.partner, batch.codes, batch.now)
        marking = batch.marking(arrival)
        if marking.originator == batch.here.partner:
            return Received(stix_id, version, objects.Outcome.UNCHANGED)
        if not batch.source.relay and marking.originator not in batch.posters:
            raise InvalidInput(f"{stix_id} is created by {marking.originator}, not by the poster")
        if arrival.revoked:
            obj = arrival.checked
            return Received(stix_id, version, batch.source.withdraw(conn, obj, marking, batch.now))
        return _arrived_version(arrival, marking, batch.source.peer, batch.now)
    except InvalidInput as exc:
        return Received(stix_id, version, None, str(exc))


SUPPORT_TYPES = arrivals.SUPPORT_TYPES


def _receive_support(
    conn: Connection, obj: dict[str, Any], here: str, codes: dict[str, str], now: datetime
) -> Received:
    """Identities and extension definitions are public reference; releasability marking
    definitions are kept so this node can pass them on with the objects that use them."""
    stix_id, version = arrivals.labelled(obj)
    if obj["type"] == "marking-definition" and not intake.is_tlp(obj):
        members = intake.releasability_members(obj, codes)
        _ensure_marking_definition(conn, obj, members, here, now)
    return Received(stix_id, version, objects.Outcome.UNCHANGED)


def _apply_withdrawal(
    conn: Connection,
    obj: dict[str, Any],
    marking: Marking,
    now: datetime,
    source: Source | None = None,
) -> objects.Outcome:
    """Withdraw (or remember the withdrawal of) an object, as a tombstone says.

    A tombstone from a partner (`source`) must be signed by the delivering peer or by the
    originator, with the key pinned here (tansiq.sharing.tombstones): else BadSignature, and
    nothing changes. The node's own users (`publish`, no source) withdraw their own objects.
    """
    vouched = tombstones.check(conn, source.deliverer, obj, marking.originator) if source else None
    version = arrivals.version_of(obj)
    date_added = objects.clock(conn, _micros(now))
    if vouched is not None:
        tombstones.keep(conn, obj, vouched, marking.originator)
    if objects.current(conn, str(obj["id"])) is None:
        stub = objects.NewVersion.of(obj, version=version, marking=marking)
        objects.remember_withdrawal(conn, stub, date_added)
        return objects.Outcome.UNCHANGED
    done = objects.withdraw(conn, str(obj["id"]), version, date_added)
    return objects.Outcome.WITHDRAWN if done else objects.Outcome.UNCHANGED


def _known_markings(
    conn: Connection, defined: Iterable[dict[str, Any]], used: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Marking definitions by id: those `defined` in the batch, and those of the `used` ids
    that this node holds."""
    found = {str(d["id"]): d for d in defined}
    found.update(objects.marking_definitions(conn, {r for r in used if r not in found}))
    return found


def _known_from_bodies(conn: Connection, bodies: Sequence[Any]) -> dict[str, dict[str, Any]]:
    dicts = [b for b in bodies if isinstance(b, dict)]
    defined = [b for b in dicts if b.get("type") == "marking-definition" and "id" in b]
    used = [
        ref for b in dicts for ref in (b.get("object_marking_refs") or []) if isinstance(ref, str)
    ]
    return _known_markings(conn, defined, used)


def _known_from_arrivals(
    conn: Connection, arrived: Sequence[arrivals.Arrival]
) -> dict[str, dict[str, Any]]:
    defined = [a.checked for a in arrived if a.stix_type == "marking-definition"]
    return _known_markings(conn, defined, (r for a in arrived for r in a.marking_refs))


def _ensure_marking_definition(
    conn: Connection, obj: dict[str, Any], members: frozenset[str], here: str, now: datetime
) -> None:
    """Store a releasability marking definition once, readable by the partners it names."""
    if objects.current(conn, str(obj["id"])) is not None:
        return
    marking = Marking(Tlp.CLEAR, here, members)
    new = objects.NewVersion.of(obj, version=arrivals.version_of(obj), marking=marking)
    objects.put(conn, new, objects.clock(conn, _micros(now)))


def publish(
    conn: Connection, actor: Principal, bodies: Sequence[Any], now: datetime
) -> ReceiveSummary:
    """Objects the node's own users post as STIX (TAXII or `import stix`): stored as theirs.

    Each must name the caller's partner as its creator (or no creator, and gets it) and carry
    a TLP marking; each is judged alone, like a peer's.
    """
    _require_writer(actor)
    known = _known_from_bodies(conn, bodies)
    codes = intake.codes_by_identity(partner_parents(conn))
    summary = ReceiveSummary()
    for body in bodies:
        summary.add(_publish_one(conn, actor, body, known, codes, now))
    _audit(conn, actor, "publish", actor.partner, now, **summary.counts())
    return summary


def _publish_one(
    conn: Connection,
    actor: Principal,
    body: Any,
    known: dict[str, dict[str, Any]],
    codes: dict[str, str],
    now: datetime,
) -> Received:
    stix_id, version = arrivals.labelled(body)
    try:
        obj = dict(intake.check_object(body))
        if obj["type"] in SUPPORT_TYPES:
            return Received(stix_id, version, objects.Outcome.UNCHANGED)
        obj.setdefault("created_by_ref", stix.identity_id(actor.partner))
        marking = intake.read_marking(obj, known, codes)
        if marking.originator != actor.partner:
            raise InvalidInput(f"{stix_id} is created by another partner; only its creator may")
        if obj.get("revoked") is True:
            objects_row = objects.current(conn, stix_id)
            if objects_row is None:
                raise InvalidInput(f"{stix_id}: nothing to revoke")
            return Received(stix_id, version, _apply_withdrawal(conn, obj, marking, now))
        outcomes = _store(conn, [obj], marking, now)
        return Received(stix_id, version, outcomes[0])
    except InvalidInput as exc:
        return Received(stix_id, version, None, str(exc))
