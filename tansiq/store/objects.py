"""STIX object versions and who may read them: the one place releasability is enforced in SQL.

Every read takes a `Viewer` and filters in the query, before any limit, so a page, a count or a
search never sees what the viewer may not (fail closed: no audience row, no visibility). The
rule mirrors `Viewer.sees` in tansiq.domain.markings and is tested against it.

Writes keep three invariants:
- one `latest` row per object; an older version is never made latest again;
- when a new version narrows the audience, older versions narrow with it (a partner that lost
  sight of an object cannot read its history either) and the partners that lost it get a
  tombstone row, served to them alone, so the change reaches their node;
- `date_added` comes from one node-wide clock, strictly increasing, held under a lock until commit,
  so that readers paging by `date_added` never skip a row committed late.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Literal, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.markings import Marking, Tlp, Viewer
from tansiq.store.schema import node_config, object_audience, stix_objects

OBJECT: Final = "object"
TOMBSTONE: Final = "tombstone"
Kind = Literal["object", "tombstone"]
_CLOCK = "clock"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"
    """Older than a version or withdrawal this node already holds; ignored."""
    WITHDRAWN = "withdrawn"


class NewVersion(NamedTuple):
    """One STIX object version to store, with what the store needs to index it.

    A named tuple: a sync makes one per received object. `NewVersion.of` makes one from the
    object itself; a received object arrives already checked and serialised from the reader
    process (tansiq.sharing.arrivals), and only its JSON form crosses to the writer.
    """

    stix_id: str
    stix_type: str
    spec_version: str
    version: int
    marking: Marking
    body: bytes
    """The object as JSON (orjson's form, UTF-8)."""
    name: str | None = None
    text: str | None = None
    """What search matches besides the name (descriptions, aliases): never ids."""
    ref_ids: tuple[str, ...] = ()
    peer: str | None = None
    received_at: datetime | None = None

    @classmethod
    def of(
        cls,
        body: dict[str, Any],
        version: int,
        marking: Marking,
        name: str | None = None,
        text: str | None = None,
        ref_ids: tuple[str, ...] = (),
        peer: str | None = None,
        received_at: datetime | None = None,
    ) -> NewVersion:
        """The version of this object."""
        return cls(
            str(body["id"]),
            str(body["type"]),
            str(body.get("spec_version", "2.1")),
            version,
            marking,
            orjson.dumps(body),
            name,
            text,
            ref_ids,
            peer,
            received_at,
        )


@dataclass(frozen=True, slots=True)
class StoredRow:
    pk: int
    stix_id: str
    stix_type: str
    version: int
    date_added: int
    originator: str
    tlp: Tlp
    body: str
    ref_ids: tuple[str, ...]
    peer: str | None
    name: str | None
    text: str | None = None
    received_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[StoredRow]
    more: bool


@dataclass(frozen=True, slots=True)
class Query:
    """A TAXII-style selection: after a date_added, some types/ids/versions, at most `limit`."""

    kind: Kind = OBJECT
    after: int | None = None
    limit: int = 100
    types: Collection[str] = ()
    ids: Collection[str] = ()
    versions: Literal["last", "first", "all"] | frozenset[int] = "last"
    spec_versions: Collection[str] = ()


_COLUMNS = (
    stix_objects.c.pk,
    stix_objects.c.stix_id,
    stix_objects.c.stix_type,
    stix_objects.c.version,
    stix_objects.c.date_added,
    stix_objects.c.originator,
    stix_objects.c.tlp,
    stix_objects.c.body,
    stix_objects.c.ref_ids,
    stix_objects.c.peer,
    stix_objects.c.name,
    stix_objects.c.search_text,
    stix_objects.c.received_at,
)


def _row(r: Any) -> StoredRow:
    m = r._mapping
    refs = str(m["ref_ids"])
    return StoredRow(
        pk=int(m["pk"]),
        stix_id=str(m["stix_id"]),
        stix_type=str(m["stix_type"]),
        version=int(m["version"]),
        date_added=int(m["date_added"]),
        originator=str(m["originator"]),
        tlp=Tlp(m["tlp"]),
        body=str(m["body"]),
        ref_ids=tuple(refs.split()) if refs else (),
        peer=m["peer"],
        name=m["name"],
        text=m["search_text"],
        received_at=m["received_at"],
    )


# --- reading -------------------------------------------------------------------------------


def visible_to(viewer: Viewer, table: sa.FromClause = stix_objects) -> sa.ColumnElement[bool]:
    """True for rows the viewer may read: an audience row names one of the viewer's codes."""
    a = object_audience.alias()
    red = a.c.partner_code.in_(sorted(viewer.red_codes))
    other = sa.and_(table.c.tlp != Tlp.RED.value, a.c.partner_code.in_(sorted(viewer.codes)))
    return sa.exists().where(a.c.object_pk == table.c.pk, sa.or_(red, other))


def page(conn: Connection, viewer: Viewer, query: Query) -> Page:
    """One page in date_added order, by the date_added index (tombstones: their own): no page
    scans the collection."""
    o = stix_objects
    # The kind as a literal: the planner can then use the tombstones' partial index.
    kind = sa.literal(query.kind, literal_execute=True)
    stmt = sa.select(*_COLUMNS).where(o.c.kind == kind, visible_to(viewer))
    if query.kind == OBJECT:
        stmt = stmt.where(o.c.withdrawn == sa.false())
    if query.after is not None:
        stmt = stmt.where(o.c.date_added > query.after)
    if query.types:
        stmt = stmt.where(o.c.stix_type.in_(sorted(query.types)))
    if query.ids:
        stmt = stmt.where(o.c.stix_id.in_(sorted(query.ids)))
    if query.spec_versions:
        stmt = stmt.where(o.c.spec_version.in_(sorted(query.spec_versions)))
    stmt = stmt.where(_version_clause(query))
    if query.kind == OBJECT and query.versions != "last":
        stmt = stmt.where(_latest_visible(viewer))
    # With ids given, `+ 0` keeps the planner from walking the date_added index in order (it
    # would, lacking statistics, scan every object) instead of looking the few ids up.
    order = o.c.date_added + 0 if query.ids else o.c.date_added
    stmt = stmt.order_by(order).limit(query.limit + 1)
    rows = [_row(r) for r in conn.execute(stmt)]
    return Page(rows[: query.limit], len(rows) > query.limit)


def _latest_visible(viewer: Viewer) -> sa.ColumnElement[bool]:
    """An object's older versions are readable only by whoever may read its latest version
    (a change of TLP alone, e.g. to RED, narrows who sees the history without a tombstone)."""
    newest = stix_objects.alias("newest")
    return sa.exists().where(
        newest.c.stix_id == stix_objects.c.stix_id,
        newest.c.kind == OBJECT,
        newest.c.latest == sa.true(),
        visible_to(viewer, newest),
    )


def _version_clause(query: Query) -> sa.ColumnElement[bool]:
    o = stix_objects
    if query.versions == "last":
        return o.c.latest == sa.true() if query.kind == OBJECT else sa.true()
    if query.versions == "all":
        return sa.true()
    if query.versions == "first":
        o2 = stix_objects.alias("o2")
        first = (
            sa.select(sa.func.min(o2.c.version))
            .where(o2.c.stix_id == o.c.stix_id, o2.c.kind == o.c.kind)
            .scalar_subquery()
        )
        return o.c.version == first
    return o.c.version.in_(sorted(query.versions))


def latest(conn: Connection, viewer: Viewer, stix_id: str) -> StoredRow | None:
    """The latest version of an object if the viewer may read it, else None (as if missing)."""
    found = page(conn, viewer, Query(ids=(stix_id,), limit=1)).rows
    return found[0] if found else None


def readable_ids(conn: Connection, viewer: Viewer, stix_ids: Iterable[str]) -> set[str]:
    """Which of these ids the viewer can read in their latest version."""
    wanted = sorted(set(stix_ids))
    o = stix_objects
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        stmt = sa.select(o.c.stix_id).where(
            o.c.stix_id.in_(chunk),
            o.c.kind == OBJECT,
            o.c.latest == sa.true(),
            o.c.withdrawn == sa.false(),
            visible_to(viewer),
        )
        found.update(conn.execute(stmt).scalars())
    return found


def search(
    conn: Connection,
    viewer: Viewer,
    *,
    types: Collection[str] = (),
    text: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> list[StoredRow]:
    """Latest visible versions, newest first, optionally containing `text` in name or body."""
    o = stix_objects
    stmt = sa.select(*_COLUMNS).where(*_listing(viewer, types, text))
    stmt = stmt.order_by(o.c.date_added.desc()).limit(limit).offset(offset)
    return [_row(r) for r in conn.execute(stmt)]


def count(
    conn: Connection, viewer: Viewer, *, types: Collection[str] = (), text: str | None = None
) -> int:
    stmt = sa.select(sa.func.count()).select_from(stix_objects)
    return int(conn.execute(stmt.where(*_listing(viewer, types, text))).scalar_one())


def linking(
    conn: Connection, viewer: Viewer, *, types: Collection[str], prefix: str
) -> list[tuple[str, tuple[str, ...]]]:
    """(id, linked ids) of the latest visible objects of these types that link to an id starting
    with `prefix` ("location--"), newest first, without their bodies: for a reader that decides
    from the links alone which to show (whether the linked ids are readable is for it to ask)."""
    o = stix_objects
    stmt = (
        sa.select(o.c.stix_id, o.c.ref_ids)
        .where(*_listing(viewer, types, None), o.c.ref_ids.like(_containing(prefix), escape="\\"))
        .order_by(o.c.date_added.desc())
    )
    return [(str(i), tuple(str(refs).split())) for i, refs in conn.execute(stmt)]


def _listing(
    viewer: Viewer, types: Collection[str], text: str | None
) -> list[sa.ColumnElement[bool]]:
    o = stix_objects
    where = [
        o.c.kind == OBJECT,
        o.c.latest == sa.true(),
        o.c.withdrawn == sa.false(),
        visible_to(viewer),
    ]
    if types:
        where.append(o.c.stix_type.in_(sorted(types)))
    if text:
        pattern = _containing(text)
        # Never the body: it holds ids of linked objects the viewer may not see.
        where.append(
            sa.or_(
                o.c.name.ilike(pattern, escape="\\"),
                o.c.search_text.ilike(pattern, escape="\\"),
            )
        )
    return where


def _containing(text: str) -> str:
    """A LIKE pattern (escape character \\) matching values that contain `text`."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def audience(conn: Connection, pk: int) -> frozenset[str]:
    stmt = sa.select(object_audience.c.partner_code).where(object_audience.c.object_pk == pk)
    return frozenset(conn.execute(stmt).scalars())


def audiences(conn: Connection, pks: Iterable[int]) -> dict[int, frozenset[str]]:
    wanted = sorted(set(pks))
    found: dict[int, set[str]] = {}
    for start in range(0, len(wanted), 500):
        stmt = sa.select(object_audience.c.object_pk, object_audience.c.partner_code).where(
            object_audience.c.object_pk.in_(wanted[start : start + 500])
        )
        for pk, code in conn.execute(stmt):
            found.setdefault(int(pk), set()).add(str(code))
    return {pk: frozenset(codes) for pk, codes in found.items()}


def current(conn: Connection, stix_id: str) -> StoredRow | None:
    """The latest stored version whatever its audience: for writers, never for readers."""
    o = stix_objects
    stmt = sa.select(*_COLUMNS).where(
        o.c.stix_id == stix_id, o.c.kind == OBJECT, o.c.latest == sa.true()
    )
    found = conn.execute(stmt).first()
    return _row(found) if found else None


def marking_definitions(conn: Connection, stix_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Stored marking definitions among these ids, by id (they are public reference data)."""
    wanted = sorted({i for i in stix_ids if i.startswith("marking-definition--")})
    if not wanted:
        return {}
    o = stix_objects
    stmt = sa.select(o.c.stix_id, o.c.body).where(
        o.c.stix_id.in_(wanted), o.c.kind == OBJECT, o.c.latest == sa.true()
    )
    return {str(i): orjson.loads(b) for i, b in conn.execute(stmt)}


def is_withdrawn(conn: Connection, stix_id: str) -> bool:
    o = stix_objects
    stmt = sa.select(o.c.withdrawn).where(
        o.c.stix_id == stix_id, o.c.kind == OBJECT, o.c.latest == sa.true()
    )
    return bool(conn.execute(stmt).scalar())


# --- writing -------------------------------------------------------------------------------


def analyze(conn: Connection) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL otherwise runs the
    releasability check as a nested loop until autovacuum catches up)."""
    conn.exec_driver_sql("ANALYZE stix_objects")
    conn.exec_driver_sql("ANALYZE object_audience")
    if conn.dialect.name == "sqlite":
        _seed_statistics(conn)


_TYPICAL_ROWS: Final = 1_000_000


def _seed_statistics(conn: Connection) -> None:
    """Give SQLite's planner figures for stix_objects where it has none (a new or empty node):
    an id picks about one row, a kind about half of them.

    Without statistics SQLite looks an id up through the (kind, date_added) index, walking
    every object of that kind; a second index led by the id would avoid it but costs a random
    insert per received object. ANALYZE on a filled table replaces these figures with real
    ones, which say the same. (SQLite documents writing sqlite_stat1 to guide its planner.)
    """
    held = "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'stix_objects'"
    if conn.exec_driver_sql(held).scalar():
        return
    for name, columns in _indexes(conn, "stix_objects"):
        if columns[0] == "stix_id":
            stat = " ".join([str(_TYPICAL_ROWS), *["1"] * len(columns)])
        elif columns[0] == "kind":
            stat = f"{_TYPICAL_ROWS} {_TYPICAL_ROWS // 2} 1"
        else:
            continue
        conn.exec_driver_sql(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('stix_objects', ?, ?)",
            (name, stat),
        )
    conn.exec_driver_sql("ANALYZE sqlite_schema")  # makes the planner read them now


def _indexes(conn: Connection, table: str) -> list[tuple[str, list[str]]]:
    names = [row[1] for row in conn.exec_driver_sql(f"PRAGMA index_list({table})")]
    return [
        (name, [row[2] for row in conn.exec_driver_sql(f"PRAGMA index_info({name})")])
        for name in names
    ]


def clock(conn: Connection, now_us: int, count: int = 1) -> int:
    """Reserve `count` date_added values, strictly after every earlier one; returns the first.

    The clock row stays locked until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL;
    SQLite has one writer), so values commit in the order they were handed out.
    """
    stmt = sa.select(node_config.c.value).where(node_config.c.key == _CLOCK).with_for_update()
    last = conn.execute(stmt).scalar()
    first = max(now_us, int(last) + 1) if last is not None else now_us
    value = str(first + count - 1)
    if last is None:
        conn.execute(node_config.insert().values(key=_CLOCK, value=value))
    else:
        conn.execute(node_config.update().where(node_config.c.key == _CLOCK).values(value=value))
    return first


def put(conn: Connection, new: NewVersion, date_added: int) -> Outcome:
    """Store one version; see the module docstring for what a narrowing version does."""
    if _stored(conn, new.stix_id, new.version):
        return Outcome.UNCHANGED
    if new.version <= _withdrawn_through(conn, new.stix_id):
        return Outcome.STALE
    previous = current(conn, new.stix_id)
    if previous is not None and previous.version > new.version:
        return Outcome.STALE
    if previous is not None:
        _supersede(conn, previous, new, date_added)
    pk = _insert(conn, new, OBJECT, date_added, latest=True)
    _set_audience(conn, pk, new.marking.audience())
    return Outcome.UPDATED if previous is not None else Outcome.CREATED


def put_many(conn: Connection, news: Sequence[NewVersion], now_us: int) -> list[Outcome]:
    """Store many versions in order, with the same outcome as `put` one by one.

    Objects this node has never held (the bulk of a first sync) are inserted together, a few
    statements for the whole batch; the others go through `put` one by one.
    """
    first = clock(conn, now_us, 2 * len(news))
    known = _known_ids(conn, [n.stix_id for n in news])
    outcomes: list[Outcome | None] = []
    fresh: list[tuple[NewVersion, int]] = []
    for i, new in enumerate(news):
        if new.stix_id in known:
            outcomes.append(None)
        else:
            fresh.append((new, first + 2 * i + 1))
            outcomes.append(Outcome.CREATED)
            known.add(new.stix_id)
    _insert_fresh(conn, fresh)
    return [
        outcome if outcome is not None else put(conn, new, first + 2 * i + 1)
        for i, (new, outcome) in enumerate(zip(news, outcomes, strict=True))
    ]


_KNOWN = sa.select(stix_objects.c.stix_id).where(
    stix_objects.c.stix_id.in_(sa.bindparam("ids", expanding=True))
)


def _known_ids(conn: Connection, stix_ids: Sequence[str]) -> set[str]:
    """Which of these ids have any row here (a version or a tombstone)."""
    wanted = sorted(set(stix_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(conn.execute(_KNOWN, {"ids": wanted[start : start + 500]}).scalars())
    return found


def _insert_fresh(conn: Connection, fresh: Sequence[tuple[NewVersion, int]]) -> None:
    if not fresh:
        return
    sqlite = conn.dialect.name == "sqlite"
    received = _bound(conn, stix_objects.c.received_at) if sqlite else _same
    body = _same if sqlite else bytes.decode  # SQLite casts the bytes (see _bulk_insert)
    rows = [_row_values(new, OBJECT, date_added, True, body, received) for new, date_added in fresh]
    _bulk_insert(conn, stix_objects, _ROW_COLUMNS, rows)
    _insert_audiences(conn, fresh)


_AUDIENCE_OF_RANGE = object_audience.insert().from_select(
    ["object_pk", "partner_code"],
    sa.select(stix_objects.c.pk, sa.bindparam("code", type_=sa.String)).where(
        stix_objects.c.date_added.between(sa.bindparam("first"), sa.bindparam("last"))
    ),
)


def _insert_audiences(conn: Connection, fresh: Sequence[tuple[NewVersion, int]]) -> None:
    """The audience rows of versions just inserted, made by the database from the rows: one
    INSERT ... SELECT per partner for each run of versions with the same marking (a batch has a
    few runs, often one). The dates of a run hold no other rows: the clock reserved them all
    for this batch, and versions not inserted with it are stored after this."""
    runs: list[tuple[Marking, int, int]] = []
    for new, date_added in fresh:
        if runs and (runs[-1][0] is new.marking or runs[-1][0] == new.marking):
            runs[-1] = (runs[-1][0], runs[-1][1], date_added)
        else:
            runs.append((new.marking, date_added, date_added))
    params = [
        {"code": code, "first": first, "last": last}
        for marking, first, last in runs
        for code in sorted(marking.audience())
    ]
    if params:
        conn.execute(_AUDIENCE_OF_RANGE, params)


def _same(value: Any) -> Any:
    return value


def _bound(conn: Connection, column: sa.Column[Any]) -> Callable[[Any], Any]:
    """The column's values as SQLAlchemy would bind them on this connection's dialect (its own
    form of times on SQLite, not the sqlite3 module's deprecated default adapter); each
    distinct value converted once (a batch repeats a few)."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if process is None:
        return _same
    done: dict[Any, Any] = {None: None}

    def convert(value: Any) -> Any:
        if value not in done:
            done[value] = process(value)
        return done[value]

    return convert


def _bulk_insert(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert many rows of values already in the driver's form.

    On SQLite straight through the driver, skipping SQLAlchemy's per-row parameter processing
    (it cost as much as SQLite's own work on a sync page); a `body` travels as UTF-8 bytes and
    SQLite casts it to text, so a page of bodies is never decoded and encoded again.
    """
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    marks = ", ".join("CAST(? AS TEXT)" if c == "body" else "?" for c in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _supersede(conn: Connection, previous: StoredRow, new: NewVersion, date_added: int) -> None:
    o = stix_objects
    conn.execute(
        o.update().where(o.c.stix_id == new.stix_id, o.c.kind == OBJECT).values(latest=False)
    )
    keep = new.marking.audience()
    lost = audience(conn, previous.pk) - keep
    if not lost:
        return
    older = sa.select(o.c.pk).where(o.c.stix_id == new.stix_id, o.c.kind == OBJECT)
    conn.execute(
        object_audience.delete().where(
            object_audience.c.object_pk.in_(older),
            object_audience.c.partner_code.not_in(sorted(keep)),
        )
    )
    # Dated just before the new version: a partner that still holds the new version ignores
    # the tombstone, and one that gets the tombstone first still accepts the new version.
    _tombstone(conn, previous, new.version - 1, lost, date_added - 1)


def withdraw(conn: Connection, stix_id: str, version: int, date_added: int) -> bool:
    """Hide every version up to `version` and tombstone it for everyone who could read it.

    Returns False when there is nothing to withdraw: unknown here, already withdrawn, or this
    node holds a version as new as the tombstone (it is still entitled to it).
    """
    previous = current(conn, stix_id)
    if previous is None or is_withdrawn(conn, stix_id) or version <= previous.version:
        return False
    o = stix_objects
    conn.execute(
        o.update().where(o.c.stix_id == stix_id, o.c.kind == OBJECT).values(withdrawn=True)
    )
    _tombstone(conn, previous, version, audience(conn, previous.pk), date_added)
    return True


def remember_withdrawal(conn: Connection, stub: NewVersion, date_added: int) -> bool:
    """Keep a tombstone for an object this node never held, told to no one, so that an older
    copy arriving later through a relay that is behind is refused. False if one is kept."""
    if stub.version <= _withdrawn_through(conn, stub.stix_id):
        return False
    _insert(conn, stub, TOMBSTONE, date_added, latest=False)
    return True


def _tombstone(
    conn: Connection, previous: StoredRow, version: int, readers: frozenset[str], date_added: int
) -> None:
    """Tell `readers` the object is gone for them as of `version`. If a tombstone of that
    version exists (a withdrawal passed on, then the narrowing version itself), its readers are
    joined, not duplicated."""
    o = stix_objects
    existing = conn.execute(
        sa.select(o.c.pk).where(
            o.c.stix_id == previous.stix_id, o.c.version == version, o.c.kind == TOMBSTONE
        )
    ).scalar()
    if existing is not None:
        _set_audience(conn, int(existing), readers - audience(conn, int(existing)))
        return
    body = orjson.loads(previous.body)
    body["revoked"] = True
    body["modified"] = _stix_time(version)
    stone = NewVersion.of(
        body,
        version=version,
        marking=Marking(previous.tlp, previous.originator),
        name=previous.name,
        text=previous.text,
        ref_ids=previous.ref_ids,
        peer=previous.peer,
    )
    pk = _insert(conn, stone, TOMBSTONE, date_added, latest=False)
    _set_audience(conn, pk, readers)


def _stix_time(micros: int) -> str:
    moment = _EPOCH + timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stored(conn: Connection, stix_id: str, version: int) -> bool:
    o = stix_objects
    stmt = sa.select(o.c.pk).where(
        o.c.stix_id == stix_id, o.c.version == version, o.c.kind == OBJECT
    )
    return conn.execute(stmt).first() is not None


def _withdrawn_through(conn: Connection, stix_id: str) -> int:
    """The newest tombstone version for an object on this node (-1 if none)."""
    o = stix_objects
    stmt = sa.select(sa.func.max(o.c.version)).where(o.c.stix_id == stix_id, o.c.kind == TOMBSTONE)
    value = conn.execute(stmt).scalar()
    return int(value) if value is not None else -1


def _insert(conn: Connection, new: NewVersion, kind: Kind, date_added: int, latest: bool) -> int:
    result = conn.execute(stix_objects.insert().values(**_values(new, kind, date_added, latest)))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


_ROW_COLUMNS: Final = (
    "kind",
    "stix_id",
    "stix_type",
    "spec_version",
    "version",
    "date_added",
    "originator",
    "tlp",
    "latest",
    "withdrawn",
    "peer",
    "received_at",
    "name",
    "search_text",
    "ref_ids",
    "body",
)


def _row_values(
    new: NewVersion,
    kind: Kind,
    date_added: int,
    latest: bool,
    body: Callable[[bytes], Any],
    received: Callable[[Any], Any],
) -> tuple[Any, ...]:
    """The stix_objects row for a version, in _ROW_COLUMNS order; `body` and `received` give
    the form the body and the receiving time are bound in."""
    marking = new.marking
    return (
        kind,
        new.stix_id,
        new.stix_type,
        new.spec_version,
        new.version,
        date_added,
        marking.originator,
        marking.tlp.value,
        latest,
        False,
        new.peer,
        received(new.received_at),
        new.name,
        new.text,
        " ".join(new.ref_ids),
        body(new.body),
    )


def _values(new: NewVersion, kind: Kind, date_added: int, latest: bool) -> dict[str, Any]:
    """The stix_objects row for a version, by column, as SQLAlchemy takes it."""
    values = _row_values(new, kind, date_added, latest, bytes.decode, _same)
    return dict(zip(_ROW_COLUMNS, values, strict=True))


def _set_audience(conn: Connection, pk: int, codes: Iterable[str]) -> None:
    rows = [{"object_pk": pk, "partner_code": c} for c in sorted(set(codes))]
    if rows:
        conn.execute(object_audience.insert(), rows)


def tombstones_for(conn: Connection, stix_id: str) -> Sequence[StoredRow]:
    o = stix_objects
    stmt = sa.select(*_COLUMNS).where(o.c.stix_id == stix_id, o.c.kind == TOMBSTONE)
    return [_row(r) for r in conn.execute(stmt.order_by(o.c.date_added))]
