"""The positions store on SQLite and PostgreSQL: who sees what, the filters, idempotent writes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from tansiq import positions
from tansiq.domain.markings import Marking, Tlp, Viewer
from tansiq.domain.positions import Period, PositionDraft, PositionFilter
from tansiq.domain.viewport import Bbox
from tansiq.errors import InvalidInput
from tansiq.geo.locator import AreaLocator
from tansiq.store import migrate
from tansiq.store.database import reading, writing
from tansiq.store.positions import Written, count_positions, find_positions
from tansiq.store.schema import position_audience
from tests.conftest import FROZEN_NOW
from tests.factories import make_position
from tests.nodes import Account, setup_node

EVERYTHING = PositionFilter()


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


def _save(engine: Engine, locator: AreaLocator, *drafts: PositionDraft) -> Written:
    with writing(engine) as conn:
        return positions.save(conn, locator, list(drafts), "test", FROZEN_NOW)


def _names(engine: Engine, viewer: Viewer, filt: PositionFilter = EVERYTHING) -> set[str]:
    with reading(engine) as conn:
        found = {row["name"] for row in find_positions(conn, viewer, filt)}
        assert count_positions(conn, viewer, filt) == len(found)
    return found


def _viewer(people: dict[str, Account], name: str) -> Viewer:
    return people[name].principal.viewer


def test_a_position_without_a_release_stays_with_its_partner(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    _save(engine, locator, make_position(name="own"))

    seen = {name for name in people if _names(engine, _viewer(people, name))}

    assert seen == {"joc-analyst", "joc-watch"}


def test_a_released_position_reaches_its_audience_and_no_one_else(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    _save(engine, locator, make_position(name="shared", releasable_to=frozenset({"krg"})))

    seen = {name for name in people if _names(engine, _viewer(people, name))}

    # krg's sub-organisation and its node see it too; jcc does not.
    assert seen == {"joc-analyst", "joc-watch", "krg-analyst", "asayish-analyst", "krg-node"}


def test_the_rule_in_sql_is_the_rule_in_the_domain(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    cases = [(tlp, to) for tlp in Tlp for to in ({"krg"}, {"krg-asayish", "jcc"}, set())]
    drafts = [
        make_position(name=f"{tlp.value} {sorted(to)}", tlp=tlp, releasable_to=frozenset(to))
        for tlp, to in cases
    ]
    _save(engine, locator, *drafts)

    for name in people:
        viewer = _viewer(people, name)
        expected = {
            d.name
            for d in drafts
            if viewer.sees(d.tlp, Marking(d.tlp, "joc", d.releasable_to).audience())
        }
        assert _names(engine, viewer) == expected, name


def test_an_unknown_viewer_sees_nothing(engine: Engine, locator: AreaLocator) -> None:
    setup_node(engine)
    _save(engine, locator, make_position(releasable_to=frozenset({"krg", "jcc"})))

    nobody = Viewer("nobody", frozenset(), frozenset())

    assert _names(engine, nobody) == set()


def test_writing_the_same_positions_again_changes_nothing(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    drafts = [
        make_position(name="a"),
        make_position(name="b", active_to=datetime(2025, 1, 1, tzinfo=UTC)),
    ]

    first = _save(engine, locator, *drafts)
    second = _save(engine, locator, *drafts)

    assert first == Written(created=2)
    assert second == Written(unchanged=2)


def test_a_changed_position_replaces_the_stored_one_and_its_audience(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    _save(engine, locator, make_position(releasable_to=frozenset({"krg", "jcc"})))
    krg, jcc = _viewer(people, "krg-analyst"), _viewer(people, "jcc-analyst")
    assert _names(engine, krg)
    assert _names(engine, jcc)

    written = _save(engine, locator, make_position(releasable_to=frozenset({"krg"})))

    assert written == Written(updated=1)
    assert _names(engine, krg)
    assert _names(engine, jcc) == set()
    with reading(engine) as conn:
        rows = conn.execute(sa.select(position_audience)).all()
    assert sorted(code for _, code in rows) == ["joc", "krg"]


def test_a_position_is_placed_in_its_areas(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    _save(engine, locator, make_position())

    with reading(engine) as conn:
        (row,) = find_positions(conn, _viewer(people, "joc-analyst"), EVERYTHING)

    assert (row["adm1_pcode"], row["adm2_pcode"]) == ("IQG13", "IQG13Q04")  # Kirkuk
    assert row["disputed"]
    assert row["partner_name"] == "Joint Operations Command"
    assert row["releasable_to"] == []
    assert row["active_from"] == datetime(2024, 1, 1, tzinfo=UTC)


def test_a_box_keeps_the_positions_inside_it(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    _save(
        engine,
        locator,
        make_position(name="kirkuk"),
        make_position(name="sinjar", latitude=36.32, longitude=41.88),
    )
    joc = _viewer(people, "joc-analyst")

    around_kirkuk = PositionFilter(bbox=Bbox(44.0, 35.0, 45.0, 36.0))

    assert _names(engine, joc, around_kirkuk) == {"kirkuk"}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 12, 31), {"always"}),
        (date(2024, 1, 1), {"always", "from 2024", "2024 only"}),
        (date(2024, 12, 31), {"always", "from 2024", "2024 only"}),
        (date(2025, 1, 1), {"always", "from 2024"}),
    ],
)
def test_active_on_a_day_follows_the_period_with_open_ends(
    engine: Engine,
    locator: AreaLocator,
    people: dict[str, Account],
    day: date,
    expected: set[str],
) -> None:
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, 18, tzinfo=UTC)
    _save(
        engine,
        locator,
        make_position(name="always", active_from=None, active_to=None),
        make_position(name="from 2024", active_from=start, active_to=None),
        make_position(name="2024 only", active_from=start, active_to=end),
    )

    found = _names(engine, _viewer(people, "joc-analyst"), PositionFilter(active=Period.day(day)))

    assert found == expected


def test_paging_keeps_the_order_and_the_total(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    _save(engine, locator, *(make_position(name=f"p{i}") for i in range(5)))
    joc = _viewer(people, "joc-analyst")

    with reading(engine) as conn:
        pages = [find_positions(conn, joc, EVERYTHING, limit=2, offset=o) for o in (0, 2, 4)]

    assert [[r["name"] for r in page] for page in pages] == [["p0", "p1"], ["p2", "p3"], ["p4"]]


def test_an_unknown_partner_writes_nothing(
    engine: Engine, locator: AreaLocator, people: dict[str, Account]
) -> None:
    with pytest.raises(InvalidInput, match="'isf'"):
        _save(
            engine,
            locator,
            make_position(name="ok"),
            make_position(releasable_to=frozenset({"isf"})),
        )

    assert _names(engine, _viewer(people, "joc-analyst")) == set()


def test_positions_stored_before_markings_stay_with_their_partner(bare_engine: Engine) -> None:
    config = migrate._config()
    with writing(bare_engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0011")
        conn.execute(sa.text(_PARTNER), {"at": FROZEN_NOW})
        conn.execute(sa.text(_POSITION))

    migrate.upgrade(bare_engine)

    joc = Viewer("joc", frozenset({"joc"}), frozenset({"joc"}))
    krg = Viewer("krg", frozenset({"krg"}), frozenset({"krg"}))
    with reading(bare_engine) as conn:
        (row,) = find_positions(conn, joc, EVERYTHING)
        assert find_positions(conn, krg, EVERYTHING) == []
    assert (row["tlp"], row["releasable_to"]) == ("amber", [])


_PARTNER = "INSERT INTO partners (code, name, created_at) VALUES ('joc', 'JOC', :at)"
_POSITION = (
    "INSERT INTO positions (partner_code, kind, name, latitude, longitude, coverage_radius_m, "
    "synthetic, adm1_pcode, adm2_pcode, adm3_pcode, disputed) "
    "VALUES ('joc', 'checkpoint', 'old', 35.4, 44.4, 1000, false, '', '', '', false)"
)
