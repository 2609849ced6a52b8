"""The deconfliction registry on both databases: the indexed search finds exactly what the rule
finds over every registered footprint; writes are upserts; positions register themselves."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from shapely.geometry import LineString, Point, box
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection, Engine

from tansiq import positions
from tansiq.domain.deconfliction import ConflictReason, Footprint, FootprintKind, conflict
from tansiq.geo.locator import AreaLocator
from tansiq.store import footprints as registry
from tansiq.store import migrate
from tansiq.store.database import reading, writing
from tansiq.store.partners import add_partner
from tansiq.store.schema_footprints import footprint_cells, footprint_subjects, footprints
from tests.conftest import FROZEN_NOW
from tests.factories import make_position

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SUBJECTS = [f"identity--0000000{i}-0000-4000-8000-000000000000" for i in range(8)]


def random_area(rng: random.Random) -> BaseGeometry:
    """A point, a box up to 60 km or a route up to 40 km, around Kirkuk."""
    x, y = rng.uniform(43.6, 44.8), rng.uniform(34.8, 35.9)
    shape = rng.choice(["point", "point", "box", "route"])
    if shape == "point":
        return Point(x, y)
    if shape == "box":
        half = rng.choice([0.005, 0.05, 0.3])
        return box(x - half, y - half, x + half, y + half)
    steps = [(x + rng.uniform(-0.2, 0.2), y + rng.uniform(-0.2, 0.2)) for _ in range(3)]
    return LineString([(x, y), *steps])


def random_window(rng: random.Random) -> tuple[datetime | None, datetime | None, timedelta]:
    """Short (minutes to days), long (weeks) or open windows over 30 days."""
    start = T0 + timedelta(minutes=rng.randrange(30 * 24 * 60))
    kind = rng.choice(["track", "op", "op", "op", "long", "open-end", "open"])
    length = {"track": timedelta(minutes=5), "long": timedelta(days=rng.uniform(17, 60))}
    end = start + length.get(kind, timedelta(hours=rng.uniform(0, 40)))
    margin = timedelta(hours=rng.choice([0, 1, 2, 4]))
    if kind == "open":
        return None, None, margin
    return start, None if kind == "open-end" else end, margin


def random_footprint(rng: random.Random, ref: str) -> Footprint:
    start, end, margin = random_window(rng)
    subjects = frozenset(rng.sample(SUBJECTS, rng.choice([0, 0, 0, 0, 1, 2])))
    return Footprint(
        kind=rng.choice(list(FootprintKind)),
        ref=ref,
        owner=rng.choice(["joc", "krg"]),
        area=random_area(rng),
        buffer_m=rng.choice([0.0, 100.0, 500.0, 1000.0, 2000.0, 8000.0]),
        start=start,
        end=end,
        margin=margin,
        subjects=subjects,
        contact=rng.choice(["", "JOC duty officer +964 770 000 0000"]),
        origin=rng.choice(["", "", "krg"]),
    )


def brute_force(
    registered: list[Footprint], fp: Footprint
) -> list[tuple[tuple[str, FootprintKind, str], frozenset[ConflictReason]]]:
    found = [(o.key, conflict(fp, o)) for o in registered if o.key != fp.key]
    return sorted((key, reasons) for key, reasons in found if reasons)


def searched(
    conn: Connection, fp: Footprint
) -> list[tuple[tuple[str, FootprintKind, str], frozenset[ConflictReason]]]:
    return [(f.key, f.reasons) for f in registry.find_conflicts(conn, fp)]


def test_the_search_finds_exactly_what_the_rule_finds_over_every_footprint(engine: Engine) -> None:
    rng = random.Random(6)
    registered = [random_footprint(rng, f"r{i}") for i in range(400)]
    with writing(engine) as conn:
        assert registry.put_many(conn, registered) == 400
    queries = [random_footprint(rng, f"q{i}") for i in range(60)]
    queries += [replace(fp, origin="", ref=f"again-{i}") for i, fp in enumerate(registered[:10])]
    queries += registered[10:20]  # registered ones: their own key is left out
    clearance = Footprint(
        kind=FootprintKind.OPERATION,
        ref="clearance",
        owner="joc",
        area=box(43.9, 35.1, 44.56, 35.64),  # about 60 x 60 km
        buffer_m=2000.0,
        start=T0 + timedelta(days=10),
        end=T0 + timedelta(days=11),
        margin=timedelta(hours=4),
    )
    queries += [clearance, replace(clearance, ref="clearance-open", start=None, end=None)]
    total = 0
    with reading(engine) as conn:
        for fp in queries:
            expected = brute_force(registered, fp)
            assert searched(conn, fp) == expected, fp.ref
            total += len(expected)
    assert total > 200  # the set is dense enough for the comparison to mean something


def test_found_footprints_name_their_owner_and_whom_to_call(engine: Engine) -> None:
    rng = random.Random(7)
    registered = [random_footprint(rng, f"r{i}") for i in range(50)]
    with writing(engine) as conn:
        registry.put_many(conn, registered)
    by_key = {fp.key: fp for fp in registered}
    with reading(engine) as conn:
        for fp in registered:
            assert registry.get(conn, fp.kind, fp.ref, fp.origin) == fp
            for found in registry.find_conflicts(conn, fp):
                other = by_key[found.key]
                assert (found.owner, found.contact) == (other.owner, other.contact)


def op(**overrides: object) -> Footprint:
    values: dict[str, object] = {
        "kind": FootprintKind.OPERATION,
        "ref": "op-1",
        "owner": "joc",
        "area": Point(44.39, 35.44),
        "buffer_m": 1000.0,
        "start": T0 + timedelta(hours=6),
        "end": T0 + timedelta(hours=10),
        "margin": timedelta(hours=2),
        "contact": "JOC duty officer",
    }
    values.update(overrides)
    return Footprint(**values)  # type: ignore[arg-type]


def test_put_is_an_upsert_by_origin_kind_and_ref(engine: Engine) -> None:
    first = op()
    moved = op(area=Point(45.5, 34.0), contact="another officer")
    neighbour = op(ref="op-2", area=Point(44.395, 35.44))
    with writing(engine) as conn:
        registry.put(conn, first)
        registry.put(conn, neighbour)
        registry.put(conn, moved)
    with reading(engine) as conn:
        assert registry.get(conn, FootprintKind.OPERATION, "op-1") == moved
        assert conn.execute(sa.select(sa.func.count()).select_from(footprints)).scalar() == 2
        # its old cells went with it: it is no longer found where it was
        assert registry.find_conflicts(conn, neighbour) == []
        assert [f.key for f in registry.find_conflicts(conn, first)] == [neighbour.key]


def test_the_same_key_of_another_origin_is_another_footprint(engine: Engine) -> None:
    ours = op()
    theirs = op(origin="krg", owner="krg")
    with writing(engine) as conn:
        registry.put_many(conn, [ours, theirs])
    with reading(engine) as conn:
        assert registry.get(conn, FootprintKind.OPERATION, "op-1", "krg") == theirs
        found = registry.find_conflicts(conn, ours)
    assert [(f.key, f.owner, f.contact, f.reasons) for f in found] == [
        (theirs.key, "krg", theirs.contact, frozenset({ConflictReason.SPACE_TIME}))
    ]


def test_a_footprint_never_conflicts_with_itself(engine: Engine) -> None:
    fp = op(subjects=frozenset(SUBJECTS[:1]))
    with writing(engine) as conn:
        registry.put(conn, fp)
    with reading(engine) as conn:
        assert registry.find_conflicts(conn, fp) == []
        assert registry.find_conflicts(conn, replace(fp, area=Point(44.0, 35.0))) == []


def test_remove(engine: Engine) -> None:
    fp, other = op(subjects=frozenset(SUBJECTS[:1])), op(ref="op-2")
    with writing(engine) as conn:
        registry.put_many(conn, [fp, other])
        registry.remove(conn, FootprintKind.OPERATION, "op-1")
        registry.remove(conn, FootprintKind.OPERATION, "never-there")
        registry.remove(conn, FootprintKind.OPERATION, "op-2", origin="krg")  # not that one
    with reading(engine) as conn:
        assert registry.get(conn, FootprintKind.OPERATION, "op-1") is None
        assert registry.get(conn, FootprintKind.OPERATION, "op-2") == other
        assert [
            (f.key, f.reasons) for f in registry.find_conflicts(conn, replace(fp, ref="op-3"))
        ] == [(other.key, frozenset({ConflictReason.SPACE_TIME}))]
        for table in (footprint_cells, footprint_subjects):
            orphans = sa.select(sa.func.count()).where(
                table.c.footprint_id.not_in(sa.select(footprints.c.id))
            )
            assert conn.execute(orphans).scalar() == 0


def test_a_shared_subject_is_found_anywhere_and_any_time(engine: Engine) -> None:
    cell = frozenset({SUBJECTS[3]})
    later = T0 + timedelta(days=200)
    far = op(ref="far", area=Point(41.0, 36.3), start=later, end=later, subjects=cell)
    with writing(engine) as conn:
        registry.put(conn, far)
    with reading(engine) as conn:
        found = registry.find_conflicts(conn, op(subjects=cell | {SUBJECTS[4]}))
    assert [(f.ref, f.reasons) for f in found] == [("far", frozenset({ConflictReason.SUBJECT}))]


def test_the_search_reads_by_index_not_by_scan(engine: Engine) -> None:
    """On SQLite, the search's plan seeks by key in every table (EXPLAIN QUERY PLAN)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    rng = random.Random(8)
    with writing(engine) as conn:
        registry.put_many(conn, [random_footprint(rng, f"r{i}") for i in range(200)])
    statements: list[tuple[str, object]] = []

    def record(*args: object) -> None:
        statements.append((str(args[2]), args[3]))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        with reading(engine) as conn:
            registry.find_conflicts(conn, op(subjects=frozenset(SUBJECTS[:2])))
            plans = [
                str(row[3])
                for statement, params in statements
                if statement.lstrip().startswith("SELECT")
                for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)  # type: ignore[arg-type]
            ]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert any("footprint_cells USING PRIMARY KEY" in plan for plan in plans)
    assert not [plan for plan in plans if plan.startswith("SCAN")]


# --- positions -------------------------------------------------------------------------------


def save(engine: Engine, locator: AreaLocator, *drafts: object) -> None:
    with writing(engine) as conn:
        add_partner(conn, "joc", "Joint Operations Command", None, FROZEN_NOW)
        positions.save(conn, locator, list(drafts), "test", FROZEN_NOW)  # type: ignore[arg-type]


def position_id(engine: Engine, name: str) -> int:
    from tansiq.store.schema import positions as table

    with reading(engine) as conn:
        query = sa.select(table.c.id).where(table.c.name == name)
        return int(conn.execute(query).scalar_one())


def test_positions_written_are_registered_and_replaced_ones_updated(
    engine: Engine, locator: AreaLocator
) -> None:
    post = make_position(name="post", active_to=datetime(2027, 1, 1, tzinfo=UTC))
    save(engine, locator, post)
    ref = str(position_id(engine, "post"))
    with reading(engine) as conn:
        fp = registry.get(conn, FootprintKind.POSITION, ref)
    assert fp == Footprint(
        kind=FootprintKind.POSITION,
        ref=ref,
        owner="joc",
        area=Point(44.39, 35.44),
        buffer_m=500.0,
        start=datetime(2024, 1, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
        margin=timedelta(0),
    )
    save(engine, locator, replace(post, latitude=35.5, active_to=None))
    with reading(engine) as conn:
        fp = registry.get(conn, FootprintKind.POSITION, ref)
        assert fp is not None
        assert (fp.area, fp.end) == (Point(44.39, 35.5), None)
        # an operation at the new place, in 2026, finds the post there
        found = registry.find_conflicts(conn, op(area=Point(44.39, 35.505)))
        assert [f.key for f in found] == [fp.key]
        assert registry.find_conflicts(conn, op(area=Point(44.39, 35.44))) == []


def test_a_position_moved_out_of_the_theatre_leaves_the_registry(
    engine: Engine, locator: AreaLocator
) -> None:
    post = make_position(name="post")
    save(engine, locator, post)
    ref = str(position_id(engine, "post"))
    save(engine, locator, replace(post, latitude=48.85, longitude=2.35))
    with reading(engine) as conn:
        assert registry.get(conn, FootprintKind.POSITION, ref) is None


def test_an_unchanged_position_keeps_its_footprint(engine: Engine, locator: AreaLocator) -> None:
    post = make_position(name="post")
    save(engine, locator, post)
    save(engine, locator, post)
    ref = str(position_id(engine, "post"))
    with reading(engine) as conn:
        assert registry.get(conn, FootprintKind.POSITION, ref) is not None


def test_positions_stored_before_the_registry_are_registered_by_its_migration(
    bare_engine: Engine,
) -> None:
    config = migrate._config()
    with writing(bare_engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0013")
        conn.execute(sa.text(_PARTNER), {"at": FROZEN_NOW})
        conn.execute(sa.text(_POSITION), {"name": "old", "lat": 35.4})
        conn.execute(sa.text(_POSITION), {"name": "in Paris", "lat": 48.85})

    migrate.upgrade(bare_engine)

    with reading(bare_engine) as conn:
        registered = conn.execute(sa.select(footprints.c.kind, footprints.c.owner)).all()
        found = registry.find_conflicts(conn, op(area=Point(44.4, 35.4)))
        assert [(f.kind, f.owner) for f in found] == [(FootprintKind.POSITION, "joc")]
        fp = registry.get(conn, FootprintKind.POSITION, found[0].ref)
    assert [tuple(row) for row in registered] == [("position", "joc")]
    assert fp is not None
    assert fp.area == Point(44.4, 35.4)


_PARTNER = "INSERT INTO partners (code, name, created_at) VALUES ('joc', 'JOC', :at)"
_POSITION = (
    "INSERT INTO positions (partner_code, kind, name, latitude, longitude, coverage_radius_m, "
    "synthetic, adm1_pcode, adm2_pcode, adm3_pcode, disputed, tlp) "
    "VALUES ('joc', 'checkpoint', :name, :lat, 44.4, 1000, false, '', '', '', false, 'amber')"
)


def test_long_routes_and_big_areas_search_finer_cells_and_miss_nothing(engine: Engine) -> None:
    """A search from a 60 km area or an 80 km route reads 4 km cells along its shape, not its
    whole box: every footprint around it on the same day, within reach or just beyond, is
    still judged exactly as the rule judges it."""
    rng = random.Random(9)
    day = (T0, T0 + timedelta(hours=6), timedelta(hours=1))
    registered = []
    for i in range(600):
        fp = random_footprint(rng, f"r{i}")
        registered.append(replace(fp, start=day[0], end=day[1], margin=day[2]))
    with writing(engine) as conn:
        registry.put_many(conn, registered)
    route = LineString([(43.6, 34.9), (44.0, 35.3), (44.3, 35.2), (44.7, 35.8)])
    queries = [
        op(ref="escort", area=route, buffer_m=800.0),
        op(ref="escort-0", area=route, buffer_m=0.0),
        op(ref="clearance", area=box(43.9, 35.1, 44.56, 35.64), buffer_m=2000.0),
        op(
            ref="ring", area=LineString(box(43.7, 34.9, 44.7, 35.9).exterior.coords), buffer_m=300.0
        ),
    ]
    with reading(engine) as conn:
        for fp in queries:
            cover = registry._Cover.of(fp)
            level, _ = registry._search_cover(fp, cover, cover.cells(cover.level))
            assert level < cover.level, fp.ref  # it did refine
            expected = brute_force(registered, fp)
            assert searched(conn, fp) == expected, fp.ref
            assert expected, fp.ref
