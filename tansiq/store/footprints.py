"""The deconfliction registry: every footprint that can conflict, and the search for conflicts.

No PostGIS: the search is a grid index on plain tables, the same on SQLite and PostgreSQL.

Cells. Square cells of the metric plane (tansiq.geo.metric) at six levels, 250 m to 256 km,
each four times the one below (so a cell's parent is its index shifted by two bits). A
footprint is filed under the cells of its own level, the finest at which the box of its
buffered area (grown by buffer times SCALE_BOUND plus a metre) spans at most 2 x 2 cells, and
under the ancestors of those cells at every coarser level, marked as ancestors. A search from a
footprint at level L looks up its own cells at L (own and ancestor entries: the footprints of
its level or finer that lie there) and their ancestors at each coarser level (own entries only:
the coarser footprints). Two buffered areas that meet share a point, and that point's cell is
found either way, so no conflict is missed; a 60 km clearance is filed under a few 64 or 256 km
cells, not thousands of small ones.

Days. Each cell entry is filed per UTC day its margined window touches, so the lookup reads
only the entries of the days the new window touches. A window that is open or spans more than
`_SHORT_DAYS` days is filed once, flagged long, and always looked up.

The candidates (shared cell and day, or a shared subject) are narrowed in SQL by the exact
margined window and the buffered boxes, then decided by the rule of
tansiq.domain.deconfliction, all at once (within_reach_each): a search answers which footprints
conflict, whose they are, whom to call and why, not the footprints themselves (`get` does)."""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple

import numpy as np
import shapely
import sqlalchemy as sa
from shapely.geometry import Point
from sqlalchemy.engine import Connection

from tansiq.domain import feed
from tansiq.domain.deconfliction import (
    ConflictReason,
    Footprint,
    FootprintKind,
    within_reach_each,
)
from tansiq.geo.metric import SCALE_BOUND, in_theatre
from tansiq.store import coordination as outbox
from tansiq.store.schema import positions
from tansiq.store.schema_footprints import footprint_cells, footprint_subjects, footprints

POSITION_BUFFER_M: Final = 500.0
"""A position's own buffer in the registry (interfaces: its point, 500 m, no margin)."""

_BASE_M: Final = 250.0  # the finest cell's side
_LEVELS: Final = 6  # 250 m, 1 km, 4 km, 16 km, 64 km, 256 km
_ORIGIN_M: Final = 4_000_000.0  # shifts plane coordinates (within 1,300 km of 0) to positive
_SLACK_M: Final = 1.0  # boxes grow by this too, against rounding
_ANCESTOR: Final = 1  # entry flags, packed into the cell key
_LONG: Final = 2
_SHORT_DAYS: Final = 16
_FINEST_SEARCH: Final = 2  # a search refines its cells down to 4 km ones
_SEARCH_CELLS: Final = 48
_DAY_US: Final = 86_400_000_000
_OPEN_US: Final = 1 << 62  # an open window end, as far out as a BigInteger allows with room
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK: Final = 500  # ids a statement
# A search's key and subject lists are padded to a power of two, at least these, so that a few
# statements serve every search: each is compiled once a process, in about 6 ms.
_LEAST_KEYS: Final = 16
_LEAST_SUBJECTS: Final = 4


@dataclass(frozen=True, slots=True)
class Found:
    """A registered footprint that conflicts with the one searched for: which, whose, whom to
    call, and why (what a conflict records; `get` returns the whole footprint)."""

    origin: str
    kind: FootprintKind
    ref: str
    owner: str
    contact: str
    reasons: frozenset[ConflictReason]

    @property
    def key(self) -> tuple[str, FootprintKind, str]:
        """The footprint's key in the registry, as Footprint.key."""
        return (self.origin, self.kind, self.ref)


# --- writing ---------------------------------------------------------------------------------


def put(conn: Connection, fp: Footprint) -> None:
    """Register `fp`, replacing what was registered under its (origin, kind, ref)."""
    put_many(conn, [fp])


def put_many(conn: Connection, fps: Iterable[Footprint]) -> int:
    """Register footprints in bulk (each replaces its key's old one); how many were written."""
    return sum(_put_batch(conn, batch) for batch in _batches(fps))


def _batches(fps: Iterable[Footprint]) -> Iterator[list[Footprint]]:
    batch: list[Footprint] = []
    for fp in fps:
        batch.append(fp)
        if len(batch) == _CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _put_batch(conn: Connection, batch: Sequence[Footprint]) -> int:
    fps = _write_batch(conn, batch)
    _tell_peers(conn, [(fp.kind, fp.ref, feed.footprint_record(fp)) for fp in fps if not fp.origin])
    return len(fps)


def _write_batch(conn: Connection, batch: Sequence[Footprint]) -> list[Footprint]:
    """Write the registry's rows for a batch; the footprints written (one a key)."""
    latest = {fp.key: fp for fp in batch}  # a key given twice: the last one wins
    _delete_ids(conn, _ids_of(conn, list(latest)))
    fps = list(latest.values())
    inserted = conn.execute(
        footprints.insert().returning(footprints.c.id, sort_by_parameter_order=True),
        [_row(fp) for fp in fps],
    )
    ids = [int(row[0]) for row in inserted]
    cells = [
        {"cell": cell, "day": day, "footprint_id": fid}
        for fid, fp in zip(ids, fps, strict=True)
        for cell, day in _entries(fp)
    ]
    subjects = [
        {"subject": subject, "footprint_id": fid}
        for fid, fp in zip(ids, fps, strict=True)
        for subject in sorted(fp.subjects)
    ]
    for table, rows in ((footprint_cells, cells), (footprint_subjects, subjects)):
        if rows:
            conn.execute(table.insert(), rows)
    return fps


def remove(conn: Connection, kind: FootprintKind, ref: str, origin: str = "") -> None:
    """Take a footprint out of the registry (nothing happens if it is not there)."""
    ids = _ids_of(conn, [(origin, kind, ref)])
    _delete_ids(conn, ids)
    if ids and not origin:
        _tell_peers(conn, [(kind, ref, None)])


def _tell_peers(
    conn: Connection, changed: Sequence[tuple[FootprintKind, str, dict[str, Any] | None]]
) -> None:
    """This node's footprints go to every peer node's registry, in the same transaction
    (tansiq.sharing.coordination); peers' own footprints are theirs to send."""
    outbox.append(
        conn,
        [
            outbox.Change(feed.FOOTPRINT, feed.footprint_key(kind, ref), body, outbox.EVERY_PEER)
            for kind, ref, body in changed
        ],
    )


def _ids_of(conn: Connection, keys: Sequence[tuple[str, FootprintKind, str]]) -> list[int]:
    if not keys:
        return []
    t = footprints.c
    match = sa.tuple_(t.origin, t.kind, t.ref).in_([(o, k.value, r) for o, k, r in keys])
    return [int(i) for i in conn.execute(sa.select(t.id).where(match)).scalars()]


def _delete_ids(conn: Connection, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for table in (footprint_cells, footprint_subjects):
            conn.execute(table.delete().where(table.c.footprint_id.in_(chunk)))
        conn.execute(footprints.delete().where(footprints.c.id.in_(chunk)))


def _row(fp: Footprint) -> dict[str, Any]:
    low, high = _window_us(fp)
    min_x, min_y, max_x, max_y = _box(fp)
    return {
        "origin": fp.origin,
        "kind": fp.kind.value,
        "ref": fp.ref,
        "owner": fp.owner,
        "contact": fp.contact,
        "area_wkb": shapely.to_wkb(fp.area),
        "metric_wkb": fp.metric_wkb,
        "buffer_m": fp.buffer_m,
        "start_at": fp.start,
        "end_at": fp.end,
        "margin_us": _us(fp.margin),
        "subjects": " ".join(sorted(fp.subjects)),
        "window_low": low,
        "window_high": high,
        "min_x": min_x,
        "min_y": min_y,
        "max_x": max_x,
        "max_y": max_y,
    }


# --- reading ---------------------------------------------------------------------------------


def any_of_kind(conn: Connection, kind: FootprintKind) -> bool:
    """Whether any footprint of this kind is registered."""
    query = sa.select(footprints.c.id).where(footprints.c.kind == kind.value).limit(1)
    return conn.execute(query).first() is not None


def get(conn: Connection, kind: FootprintKind, ref: str, origin: str = "") -> Footprint | None:
    """The footprint registered under (origin, kind, ref), or None."""
    t = footprints.c
    query = sa.select(footprints).where(t.origin == origin, t.kind == kind.value, t.ref == ref)
    row = conn.execute(query).first()
    return _footprint(row) if row is not None else None


def find_conflicts(conn: Connection, fp: Footprint) -> list[Found]:
    """Every registered footprint that conflicts with `fp` (not fp's own key), by key.

    `fp` itself need not be registered: a plan is checked before it is put. The candidates are
    decided in one pass (tansiq.domain.deconfliction.within_reach_each): a wide area has
    hundreds, and rebuilding each as a Footprint to call the rule on it cost a search most of
    its time.
    """
    statement, values = _search(fp)
    sql, order = _compiled(statement, conn.dialect)
    params = operator.itemgetter(*order)(values) if order is not None else values
    own = fp.key
    rows = [_Candidate(*row) for row in conn.exec_driver_sql(sql, params)]
    rows = [row for row in rows if (row.origin, row.kind, row.ref) != own]
    low, high = values["low"], values["high"]
    # The rule's window test (windows_overlap) on the margined windows in microseconds: exact,
    # as both ends are whole microseconds and an open end lies beyond every allowed time.
    timely = [row for row in rows if row.window_low <= high and row.window_high >= low]
    near = within_reach_each(
        fp, [bytes(row.metric_wkb) for row in timely], [row.buffer_m for row in timely]
    )
    reasons = {
        id(row): {ConflictReason.SPACE_TIME}
        for row, meets in zip(timely, near, strict=True)
        if meets
    }
    if fp.subjects:
        for row in rows:
            if not fp.subjects.isdisjoint(row.subjects.split()):
                reasons.setdefault(id(row), set()).add(ConflictReason.SUBJECT)
    found = [
        Found(
            row.origin,
            _KINDS[row.kind],
            row.ref,
            row.owner,
            row.contact,
            frozenset(reasons[id(row)]),
        )
        for row in rows
        if id(row) in reasons
    ]
    return sorted(found, key=operator.attrgetter("origin", "kind", "ref"))


_KINDS: Final = {kind.value: kind for kind in FootprintKind}  # cheaper than FootprintKind(...)


class _Candidate(NamedTuple):
    """A row of a search (the columns _statement selects, in order)."""

    origin: str
    kind: str
    ref: str
    owner: str
    contact: str
    metric_wkb: bytes
    buffer_m: float
    window_low: int
    window_high: int
    subjects: str


def _search(fp: Footprint) -> tuple[sa.Select[Any], dict[str, Any]]:
    """The statement and values of a search from fp: the lists are padded (with keys no cell
    has, subjects no footprint names) to one of a few sizes (_LEAST_KEYS)."""
    short, long = _search_keys(fp)
    subjects = sorted(fp.subjects)
    low, high = _window_us(fp)
    min_x, min_y, max_x, max_y = _box(fp)
    values: dict[str, Any] = {
        "low": low,
        "high": high,
        "min_x": min_x,
        "min_y": min_y,
        "max_x": max_x,
        "max_y": max_y,
        "first": _day(low),
        "last": _day(high),
    }
    sizes = []
    for prefix, items, pad, least in (
        ("s", short, -1, _LEAST_KEYS),
        ("l", long, -1, _LEAST_KEYS),
        ("j", subjects, "", _LEAST_SUBJECTS),
    ):
        names = _names(prefix, _padded(len(items), least))
        values.update(zip(names, [*items, *[pad] * (len(names) - len(items))], strict=True))
        sizes.append(len(names))
    return _statement(*sizes), values


@functools.cache
def _names(prefix: str, size: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(size))


def _compiled(statement: sa.Select[Any], dialect: sa.Dialect) -> tuple[str, tuple[str, ...] | None]:
    """A search statement's SQL for the database, and the order of its parameters when the
    driver takes them by position: run as is, a search skips SQLAlchemy's per-call work on
    its hundreds of parameters (half its time on a big area). Kept per statement and kind of
    database, not per engine."""
    key = (statement, dialect.name, dialect.paramstyle)
    if key not in _COMPILED:
        compiled = statement.compile(dialect=dialect)
        positional = compiled.positional and compiled.positiontup
        _COMPILED[key] = (
            compiled.string,
            tuple(compiled.positiontup or ()) if positional else None,
        )
    return _COMPILED[key]


_COMPILED: dict[tuple[sa.Select[Any], str, str], tuple[str, tuple[str, ...] | None]] = {}


def _padded(n: int, least: int) -> int:
    return max(least, 1 << (n - 1).bit_length())


@functools.cache
def _statement(short: int, long: int, subjects: int) -> sa.Select[Any]:
    """The rows of the footprints that share a cell and day (and the window and box, checked
    in SQL) or a subject with the one searched from; for so many keys and subjects."""
    t, c, s = footprints.c, footprint_cells.c, footprint_subjects.c
    near = (
        t.window_low <= sa.bindparam("high"),
        t.window_high >= sa.bindparam("low"),
        t.min_x <= sa.bindparam("max_x"),
        t.max_x >= sa.bindparam("min_x"),
        t.min_y <= sa.bindparam("max_y"),
        t.max_y >= sa.bindparam("min_y"),
    )
    by_cell = sa.select(c.footprint_id).join(footprints, t.id == c.footprint_id)
    days = c.day.between(sa.bindparam("first"), sa.bindparam("last"))
    branches = [
        by_cell.where(c.cell.in_(_params("s", short)), days, *near),
        by_cell.where(c.cell.in_(_params("l", long)), *near),
    ]
    branches.append(sa.select(s.footprint_id).where(s.subject.in_(_params("j", subjects))))
    wanted = [getattr(t, name) for name in _Candidate._fields]
    return sa.select(*wanted).where(t.id.in_(sa.union(*branches)))


def _params(prefix: str, size: int) -> list[sa.BindParameter[Any]]:
    return [sa.bindparam(f"{prefix}{i}") for i in range(size)]


def _footprint(row: Any) -> Footprint:
    """A stored footprint: its times from the window's microseconds (exact, and cheaper than
    parsing SQLite's text), its metric area as projected when it was put."""
    margin_us = int(row.margin_us)
    low, high = int(row.window_low), int(row.window_high)
    return Footprint.checked_before(
        bytes(row.metric_wkb),
        kind=FootprintKind(row.kind),
        ref=row.ref,
        owner=row.owner,
        area=shapely.from_wkb(row.area_wkb),
        buffer_m=float(row.buffer_m),
        start=_EPOCH + timedelta(microseconds=low + margin_us) if low != -_OPEN_US else None,
        end=_EPOCH + timedelta(microseconds=high - margin_us) if high != _OPEN_US else None,
        margin=timedelta(microseconds=margin_us),
        subjects=frozenset(row.subjects.split()),
        contact=row.contact,
        origin=row.origin,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite keeps no zone: times are written in UTC and read back as such."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- positions -------------------------------------------------------------------------------


def position_footprint(
    position_id: int,
    partner: str,
    latitude: float,
    longitude: float,
    active_from: datetime | None,
    active_to: datetime | None,
) -> Footprint | None:
    """A stored position as the registry keeps it; None outside the theatre (where distances
    are not measured, see tansiq.geo.metric)."""
    point = Point(longitude, latitude)
    if not in_theatre(point):
        return None
    return Footprint(
        kind=FootprintKind.POSITION,
        ref=str(position_id),
        owner=partner,
        area=point,
        buffer_m=POSITION_BUFFER_M,
        start=_aware(active_from),
        end=_aware(active_to),
        margin=timedelta(0),
    )


def register_position(conn: Connection, position_id: int, values: Mapping[str, Any]) -> None:
    """Put (or, outside the theatre, remove) the footprint of a position just written, from
    its column values, in the caller's transaction."""
    fp = position_footprint(
        position_id,
        values["partner_code"],
        values["latitude"],
        values["longitude"],
        values["active_from"],
        values["active_to"],
    )
    if fp is None:
        remove(conn, FootprintKind.POSITION, str(position_id))
    else:
        put(conn, fp)


def register_stored_positions(conn: Connection) -> int:
    """Register every stored position (the migration that adds the registry runs this, so it
    writes the registry's own tables only: later migrations' tables do not exist yet)."""
    p = positions.c
    query = sa.select(p.id, p.partner_code, p.latitude, p.longitude, p.active_from, p.active_to)
    fps = (position_footprint(*row) for row in conn.execute(query).all())
    batches = _batches(fp for fp in fps if fp is not None)
    return sum(len(_write_batch(conn, batch)) for batch in batches)


# --- cells, days and boxes -------------------------------------------------------------------


def _us(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _window_us(fp: Footprint) -> tuple[int, int]:
    """The margined window in microseconds since 1970 UTC; open ends far out."""
    low, high = fp.window
    return (
        _us(low - _EPOCH) if low is not None else -_OPEN_US,
        _us(high - _EPOCH) if high is not None else _OPEN_US,
    )


def _day(moment_us: int) -> int:
    return moment_us // _DAY_US


def _box(fp: Footprint) -> tuple[float, float, float, float]:
    """The box of the buffered area in the plane, grown to cover the rule's reach."""
    grow = fp.buffer_m * SCALE_BOUND + _SLACK_M
    min_x, min_y, max_x, max_y = fp.metric_area.bounds
    return min_x - grow, min_y - grow, max_x + grow, max_y + grow


def _base_range(low: float, high: float) -> tuple[int, int]:
    """The finest cells a span of the plane touches (closed: a shared edge counts)."""
    return (math.floor((low + _ORIGIN_M) / _BASE_M), math.floor((high + _ORIGIN_M) / _BASE_M))


@dataclass(frozen=True, slots=True)
class _Cover:
    """A footprint's own level and the finest-level index ranges of its box."""

    level: int
    x: tuple[int, int]
    y: tuple[int, int]

    @classmethod
    def of(cls, fp: Footprint) -> _Cover:
        min_x, min_y, max_x, max_y = _box(fp)
        x, y = _base_range(min_x, max_x), _base_range(min_y, max_y)
        level = 0
        while level < _LEVELS - 1 and not (
            (x[1] >> 2 * level) - (x[0] >> 2 * level) <= 1
            and (y[1] >> 2 * level) - (y[0] >> 2 * level) <= 1
        ):
            level += 1
        return cls(level, x, y)

    def cells(self, level: int) -> Any:
        """The cells of `level` (this one's or coarser) the box touches, as (i, j) rows."""
        shift = 2 * level
        i, j = np.mgrid[
            self.x[0] >> shift : (self.x[1] >> shift) + 1,
            self.y[0] >> shift : (self.y[1] >> shift) + 1,
        ]
        return np.column_stack([i.ravel(), j.ravel()]).astype(np.int64)


def _keys(level: int, flags: int, cells: Any) -> Any:
    """The cell keys of (i, j) rows: level, entry flags and position packed in one integer."""
    return (level << 46) | (flags << 44) | (cells[:, 0] << 22) | cells[:, 1]


def _days(fp: Footprint) -> list[int] | None:
    """The days the margined window touches, or None for a long or open one."""
    low, high = _window_us(fp)
    if low == -_OPEN_US or high == _OPEN_US or _day(high) - _day(low) >= _SHORT_DAYS:
        return None
    return list(range(_day(low), _day(high) + 1))


def _entries(fp: Footprint) -> Iterator[tuple[int, int]]:
    """(cell key, day) pairs a footprint is filed under."""
    cover = _Cover.of(fp)
    days = _days(fp)
    long = 0 if days is not None else _LONG
    keys = [_keys(cover.level, long, cover.cells(cover.level))]
    for level in range(cover.level + 1, _LEVELS):
        keys.append(_keys(level, long | _ANCESTOR, cover.cells(level)))
    for key in np.concatenate(keys).tolist():
        for day in days if days is not None else [0]:
            yield key, day


def _search_keys(fp: Footprint) -> tuple[list[int], list[int]]:
    """The cell keys a search from fp reads: (short-window keys, long-window keys).

    Its own cells (own and ancestor entries) and their ancestors (own entries). Any level
    at or below its own will do, as long as the cells hold its whole buffered area: for the
    many short-window entries, a big polygon or a long route searches finer cells that follow
    its shape (_search_cover); for the few long ones, its own few cells.
    """
    cover = _Cover.of(fp)
    own = cover.cells(cover.level)
    short = _keys_from(*_search_cover(fp, cover, own))
    long = _keys_from(cover.level, own, flags=_LONG)
    return short, long


def _keys_from(level: int, cells: Any, flags: int = 0) -> list[int]:
    """The keys of cells of `level` (own and ancestor entries) and of their ancestors (own
    entries), sorted, each once."""
    keys = [_keys(level, flags, cells), _keys(level, flags | _ANCESTOR, cells)]
    for coarser in range(level + 1, _LEVELS):
        keys.append(_keys(coarser, flags, cells >> 2 * (coarser - level)))
    found: list[int] = np.unique(np.concatenate(keys)).tolist()
    return found


def _search_cover(fp: Footprint, cover: _Cover, own: Any) -> tuple[int, Any]:
    """The level and cells a search reads: the footprint's own, or, for an area of 16 km
    cells or more, the finer cells (down to 4 km) within its reach while there are at most
    _SEARCH_CELLS of them. A cell is within reach when its square, grown by the reach on
    every side, meets the area: a few cells more than the exact distance would keep (near
    the grown corners), never one fewer, at a quarter of the cost."""
    level, cells = cover.level, own
    if level > _FINEST_SEARCH and fp.area.geom_type != "Point":
        area = fp.metric_area
        reach = fp.buffer_m * SCALE_BOUND + 2 * _SLACK_M
        while level > _FINEST_SEARCH:
            side = _BASE_M * 4 ** (level - 1)
            if area.area > _SEARCH_CELLS * side * side:
                break  # the finer cells that hold the area alone are too many: skip testing
            finer = _children(cells, cover, level - 1)
            kept = finer[shapely.intersects(_cell_boxes(level - 1, finer, reach), area)]
            if len(kept) > _SEARCH_CELLS:
                break
            level, cells = level - 1, kept
    return level, cells


_QUARTERS: Final = np.array([(a, b) for a in range(4) for b in range(4)], dtype=np.int64)


def _children(cells: Any, cover: _Cover, level: int) -> Any:
    """The cells of `level` inside `cells` (one level up) and the footprint's box."""
    children = (cells[:, None, :] * 4 + _QUARTERS[None, :, :]).reshape(-1, 2)
    shift = 2 * level
    x, y = children[:, 0], children[:, 1]
    inside = (x >= cover.x[0] >> shift) & (x <= cover.x[1] >> shift)
    inside &= (y >= cover.y[0] >> shift) & (y <= cover.y[1] >> shift)
    return children[inside]


def _cell_boxes(level: int, cells: Any, grow: float) -> Any:
    """The cells' squares in the plane, grown by `grow` on every side."""
    side = _BASE_M * 4**level
    low = cells.astype(np.float64) * side - _ORIGIN_M - grow
    high = low + side + 2 * grow
    return shapely.box(low[:, 0], low[:, 1], high[:, 0], high[:, 1])
