"""The border in the store (SQLite and PostgreSQL): sectors stored once, observations placed and
marked, alert rules raising exactly once per burst, tasks to the right partner, visibility."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq import accounts, border
from tansiq.domain.border import AlertRule, ObservationDraft, ObservationKind
from tansiq.domain.markings import Tlp
from tansiq.domain.reports import Role
from tansiq.errors import Forbidden, InvalidInput
from tansiq.store import audit
from tansiq.store import border as store
from tansiq.store import tasks as task_store
from tansiq.store.database import reading, writing
from tansiq.store.schema_border import border_observations
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node

H = timedelta(hours=1)
SINJAR = "IQG15Q07-02"
BAAJ = "IQG15Q02-03"


def near(sector_id: str, east: float = 0.02) -> tuple[float, float]:
    """(lat, lon) of a point about 2 km inside Iraq from the middle of a sector."""
    sector = next(s for s in border.computed_sectors() if s.id == sector_id)
    lon, lat = sector.coordinates[len(sector.coordinates) // 2]
    return lat, lon + east


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    found = setup_node(engine)
    with writing(engine) as conn:
        border.init_sectors(conn, "test", FROZEN_NOW)
    return found


def _obs(
    partner: str = "joc",
    at: datetime = FROZEN_NOW,
    sector: str = SINJAR,
    kind: str = "crossing-attempt",
    **kw: object,
) -> ObservationDraft:
    lat, lon = near(sector)
    return ObservationDraft(kind, lat, lon, at, partner, "api", **kw)  # type: ignore[arg-type]


def _record(engine: Engine, *drafts: ObservationDraft) -> list[int]:
    raised: list[int] = []
    with writing(engine) as conn:
        for draft in drafts:
            raised += border.record_observation(conn, draft, FROZEN_NOW)
    return raised


def _rule(engine: Engine, people: dict[str, Account], rule: AlertRule) -> int:
    with writing(engine) as conn:
        return border.add_rule(conn, people["admin"].principal, rule, FROZEN_NOW)


@pytest.fixture
def admin(engine: Engine, people: dict[str, Account]) -> dict[str, Account]:
    with writing(engine) as conn:
        user, token = accounts.create_user(conn, "joc-admin", "joc", Role.ADMIN, None, FROZEN_NOW)
        people["admin"] = Account(accounts.principal(conn, user), token)
    return people


def test_sectors_are_stored_once(engine: Engine, people: dict[str, Account]) -> None:
    with writing(engine) as conn:
        again = border.init_sectors(conn, "test", FROZEN_NOW)
        stored = store.stored_sectors(conn)
    assert again == 0
    assert [s["id"] for s in stored] == [s.id for s in border.computed_sectors()]


def test_an_observation_is_placed_in_its_sector(engine: Engine, people: dict[str, Account]) -> None:
    _record(engine, _obs(sector=BAAJ))
    with reading(engine) as conn:
        _, rows = store.find_observations(conn, people["joc-analyst"].principal.viewer)
    assert [(r["sector_id"], round(r["distance_m"] / 1000)) for r in rows] == [(BAAJ, 2)]


def test_far_from_the_line_is_refused_and_nothing_stored(
    engine: Engine, people: dict[str, Account]
) -> None:
    lat, lon = 36.32, 41.87  # Sinjar town, some 60 km in
    with pytest.raises(InvalidInput, match=r"lat/lon: .* km from the Syria border line"):
        _record(engine, ObservationDraft("sensor-alert", lat, lon, FROZEN_NOW, "joc", "cot"))
    with reading(engine) as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(border_observations)).scalar() == 0
        )


def test_a_repeated_source_ref_is_stored_once(engine: Engine, people: dict[str, Account]) -> None:
    _record(
        engine,
        _obs(source_ref="uid-1"),
        _obs(source_ref="uid-1"),
        _obs(partner="krg", source_ref="uid-1"),
    )
    with reading(engine) as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(border_observations)).scalar() == 2
        )


def test_observations_follow_their_marking(engine: Engine, people: dict[str, Account]) -> None:
    _record(
        engine,
        _obs(text="joc only"),
        _obs(text="for krg", releasable_to=frozenset({"krg"})),
        _obs(partner="krg", text="krg red", tlp=Tlp.RED),
    )

    def texts(who: str) -> list[str]:
        with reading(engine) as conn:
            total, rows = store.find_observations(conn, people[who].principal.viewer)
        assert total == len(rows)
        return sorted(r["text"] for r in rows)

    assert texts("joc-analyst") == ["for krg", "joc only"]
    assert texts("krg-analyst") == ["for krg", "krg red"]
    assert texts("asayish-analyst") == ["for krg"]  # RED reaches krg itself only
    assert texts("jcc-analyst") == []


@pytest.mark.usefixtures("admin")
def test_n_within_t_raises_once_and_opens_a_task_to_the_sector_partner(
    engine: Engine, people: dict[str, Account]
) -> None:
    with writing(engine) as conn:
        border.assign(
            conn, people["admin"].principal, SINJAR, "Border Guard 3rd Rgt", "krg", FROZEN_NOW
        )
    _rule(engine, people, AlertRule(count=3, hours=2))
    shared = frozenset({"krg"})
    at = [FROZEN_NOW + k * 0.5 * H for k in range(5)]

    first_two = _record(engine, *(_obs(at=t, releasable_to=shared) for t in at[:2]))
    third = _record(engine, _obs(at=at[2], releasable_to=shared))
    more = _record(engine, *(_obs(at=t, releasable_to=shared) for t in at[3:]))

    assert first_two == []
    assert len(third) == 1
    assert more == []  # the same burst: the alert grows instead
    with reading(engine) as conn:
        (alert,) = store.find_alerts(conn, people["krg-analyst"].principal.viewer)
        task = task_store.visible_task(
            conn, people["krg-analyst"].principal.viewer, alert["task_id"]
        )
        assert store.find_alerts(conn, people["joc-analyst"].principal.viewer) == []
        assert store.find_alerts(conn, people["jcc-analyst"].principal.viewer) == []
        assert task_store.find_tasks(conn, people["jcc-analyst"].principal.viewer) == []
        assert audit.verify(conn).ok
    assert (alert["id"], alert["observations"]) == (third[0], 5)
    assert (alert["first_at"], alert["last_at"]) == (at[0], at[4])
    assert task is not None
    assert (task["source_kind"], task["to_partner"], task["state"]) == (
        "border-alert",
        "krg",
        "open",
    )


@pytest.mark.usefixtures("admin")
def test_n_spread_over_more_than_t_raises_nothing(
    engine: Engine, people: dict[str, Account]
) -> None:
    _rule(engine, people, AlertRule(count=3, hours=2))

    assert _record(engine, *(_obs(at=FROZEN_NOW + k * 1.1 * H) for k in range(3))) == []
    assert _record(engine, *(_obs(at=FROZEN_NOW, sector=BAAJ) for _ in range(2))) == []  # N - 1


@pytest.mark.usefixtures("admin")
def test_a_later_burst_raises_again_and_rules_filter(
    engine: Engine, people: dict[str, Account]
) -> None:
    _rule(
        engine, people, AlertRule(count=2, hours=1, kind=ObservationKind.SENSOR_ALERT, sector=BAAJ)
    )

    patrols = _record(engine, *(_obs(sector=BAAJ, kind="patrol-report") for _ in range(3)))
    elsewhere = _record(engine, *(_obs(kind="sensor-alert") for _ in range(3)))
    first = _record(engine, *(_obs(sector=BAAJ, kind="sensor-alert") for _ in range(2)))
    later = _record(
        engine, *(_obs(sector=BAAJ, kind="sensor-alert", at=FROZEN_NOW + 3 * H) for _ in range(2))
    )

    assert (patrols, elsewhere, len(first), len(later)) == ([], [], 1, 1)
    with reading(engine) as conn:
        alerts = store.find_alerts(conn, people["joc-analyst"].principal.viewer)
    assert {a["partner_code"] for a in alerts} == {"joc"}  # no partner assigned: the observer


@pytest.mark.usefixtures("admin")
def test_an_assigned_partner_never_learns_of_what_it_may_not_see(
    engine: Engine, people: dict[str, Account]
) -> None:
    with writing(engine) as conn:
        border.assign(conn, people["admin"].principal, SINJAR, "2nd Bde", "krg", FROZEN_NOW)
    _rule(engine, people, AlertRule(count=2, hours=1))

    raised = _record(engine, _obs(), _obs())  # joc's own, not released to krg

    with reading(engine) as conn:
        assert store.find_alerts(conn, people["krg-analyst"].principal.viewer) == []
        assert task_store.find_tasks(conn, people["krg-analyst"].principal.viewer) == []
        (alert,) = store.find_alerts(conn, people["joc-analyst"].principal.viewer)
    assert alert["id"] == raised[0]


@pytest.mark.usefixtures("admin")
def test_who_may_assign_and_change_rules(engine: Engine, people: dict[str, Account]) -> None:
    analyst = people["joc-analyst"].principal
    with writing(engine) as conn, pytest.raises(Forbidden):
        border.assign(conn, analyst, SINJAR, "x", "krg", FROZEN_NOW)
    with writing(engine) as conn, pytest.raises(Forbidden):
        border.add_rule(conn, analyst, AlertRule(2, 1), FROZEN_NOW)
    rule_id = _rule(engine, people, AlertRule(2, 1))
    with writing(engine) as conn:
        border.remove_rule(conn, people["admin"].principal, rule_id, FROZEN_NOW)
        assert store.active_rules(conn) == []
    assert _record(engine, _obs(), _obs()) == []


def test_the_demo_border_loads_once(engine: Engine, people: dict[str, Account]) -> None:
    with writing(engine) as conn:
        first = border.load_demo_border(conn, FROZEN_NOW)
        again = border.load_demo_border(conn, FROZEN_NOW)
        sectors = store.stored_sectors(conn)
    assert first == {"sectors": 0, "assigned": 32, "rules": 1}  # the fixture stored the sectors
    assert again == {"sectors": 0, "assigned": 0, "rules": 0}
    assert {s["partner_code"] for s in sectors} == {"joc", "krg"}
    assert all("(synthetic)" in s["unit"] for s in sectors)
