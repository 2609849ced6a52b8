"""The checkpoint registry's service on SQLite and PostgreSQL: register, close, verify, audit,
the deconfliction registry, and releasability (a hidden checkpoint changes nothing).

SYNTHETIC data: the checkpoints below are made up. Their places are on real roads south of
Kirkuk so that distances and zones are realistic; their names say "(synthetic)", their units
"Synthetic ...", and no person is named.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq import checkpoints
from tansiq.domain.checkpoints import (
    CheckpointDraft,
    CheckpointKind,
    Question,
    parse_hours,
)
from tansiq.domain.deconfliction import FootprintKind
from tansiq.domain.markings import Tlp
from tansiq.errors import Conflict, Forbidden, InvalidInput, NotFound
from tansiq.store import footprints
from tansiq.store.database import reading, writing
from tansiq.store.schema import audit_log
from tansiq.store.schema_checkpoints import checkpoint_audience
from tansiq.store.schema_checkpoints import checkpoints as checkpoints_table
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node

NOV = datetime(2026, 11, 1, tzinfo=UTC)
NOON = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 12:00 Iraq time
NIGHT = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 02:00 Iraq time

SYNTHETIC: dict[str, dict[str, Any]] = {
    # joc's, released to krg: on the Kirkuk-Tikrit road south of Kirkuk.
    "road": {
        "partner": "joc",
        "unit": "Synthetic 8th Bde, 2nd Bn",
        "name": "Kirkuk-Tikrit road km 12 (synthetic)",
        "latitude": 35.3700,
        "longitude": 44.3000,
        "valid_from": NOV,
        "releasable_to": frozenset({"krg"}),
    },
    # joc's, released to krg, manned by day only: at the Taza junction.
    "taza": {
        "partner": "joc",
        "unit": "Synthetic 8th Bde, 3rd Bn",
        "name": "Taza junction (synthetic)",
        "latitude": 35.3050,
        "longitude": 44.3300,
        "valid_from": NOV,
        "hours": parse_hours("06:00-18:00"),
        "releasable_to": frozenset({"krg"}),
    },
    # joc's alone (released to nobody): 1.5 km down the road from "road".
    "hidden": {
        "partner": "joc",
        "unit": "Synthetic 8th Bde, HQ",
        "name": "Kirkuk-Tikrit road km 13.5 (synthetic)",
        "latitude": 35.3565,
        "longitude": 44.2950,
        "valid_from": NOV,
        "kind": CheckpointKind.MOBILE,
    },
}


def synthetic(key: str, **overrides: Any) -> CheckpointDraft:
    return CheckpointDraft(**{**SYNTHETIC[key], **overrides})


@pytest.fixture
def node(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


def register(engine: Engine, who: Account, *drafts: CheckpointDraft) -> list[int]:
    with writing(engine) as conn:
        return checkpoints.register(conn, who.principal, list(drafts), FROZEN_NOW)


def ask(engine: Engine, who: Account, lat: float, lon: float, at: datetime, **kw: Any) -> bytes:
    """The verify answer as the API sends it (JSON bytes)."""
    with writing(engine) as conn:
        verdict = checkpoints.verify(
            conn, who.principal, Question(lat, lon, at, **kw), NOON, "test"
        )
    return orjson.dumps(checkpoints.verdict_record(verdict))


def state(engine: Engine) -> tuple[list[Any], list[Any], int]:
    with reading(engine) as conn:
        rows = conn.execute(sa.select(checkpoints_table).order_by(checkpoints_table.c.id)).all()
        audience = conn.execute(sa.select(checkpoint_audience)).all()
        entries = conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()
    return [tuple(r) for r in rows], sorted(tuple(r) for r in audience), int(entries)


def test_a_registered_checkpoint_verifies_inside_its_tolerance_and_period(
    engine: Engine, node: dict[str, Account]
) -> None:
    register(engine, node["joc-analyst"], synthetic("road"))

    near = orjson.loads(ask(engine, node["krg-analyst"], 35.3720, 44.3010, NOON))
    far = orjson.loads(ask(engine, node["krg-analyst"], 35.3760, 44.3010, NOON))
    before = orjson.loads(ask(engine, node["krg-analyst"], 35.3720, 44.3010, NOV - timedelta(1)))

    assert near["verified"] is True
    assert near["checkpoint"]["name"] == "Kirkuk-Tikrit road km 12 (synthetic)"
    assert near["checkpoint"]["owner"] == "joc"
    assert near["checkpoint"]["unit"] == "Synthetic 8th Bde, 2nd Bn"
    assert 230 <= near["checkpoint"]["distance_m"] <= 250
    assert near["checkpoint"]["valid_from"] == "2026-11-01T00:00:00.000Z"
    assert far["verified"] is False
    assert far["nearest"]["reasons"] == ["too-far"]
    assert "within 300 m" in far["answer"]
    assert before["verified"] is False
    assert before["nearest"]["reasons"] == ["not-yet-valid"]
    # A wider tolerance takes in the further point.
    wide = orjson.loads(ask(engine, node["krg-analyst"], 35.3760, 44.3010, NOON, tolerance_m=1000))
    assert wide["verified"] is True


def test_daily_hours(engine: Engine, node: dict[str, Account]) -> None:
    register(engine, node["joc-analyst"], synthetic("taza"))

    by_day = orjson.loads(ask(engine, node["krg-analyst"], 35.3050, 44.3300, NOON))
    at_night = orjson.loads(ask(engine, node["krg-analyst"], 35.3050, 44.3300, NIGHT))

    assert by_day["verified"] is True
    assert at_night["verified"] is False
    assert at_night["nearest"]["reasons"] == ["outside-hours"]
    assert "manned 06:00-18:00 Iraq time only" in at_night["answer"]


POINTS = [
    (35.3565, 44.2950),  # on the hidden checkpoint
    (35.3600, 44.2960),  # between the two, nearer the hidden one
    (35.3700, 44.3000),  # on the visible one
]


@pytest.mark.parametrize(("lat", "lon"), POINTS)
def test_a_checkpoint_not_released_to_the_asker_changes_nothing_in_the_answer(
    engine: Engine, node: dict[str, Account], lat: float, lon: float
) -> None:
    register(engine, node["joc-analyst"], synthetic("road"))
    krg = node["krg-analyst"]
    without = [ask(engine, krg, lat, lon, at) for at in (NOON, NIGHT)]

    register(engine, node["joc-analyst"], synthetic("hidden"))
    with_it = [ask(engine, krg, lat, lon, at) for at in (NOON, NIGHT)]

    assert with_it == without  # byte for byte
    assert b"km 13.5" not in b"".join(with_it)
    # It is there, and would have answered for its owner.
    own = orjson.loads(ask(engine, node["joc-analyst"], 35.3565, 44.2950, NOON))
    assert own["verified"] is True
    assert own["checkpoint"]["name"] == "Kirkuk-Tikrit road km 13.5 (synthetic)"


def test_red_reaches_the_named_partner_only(engine: Engine, node: dict[str, Account]) -> None:
    register(engine, node["joc-analyst"], synthetic("road", tlp=Tlp.RED))

    krg = orjson.loads(ask(engine, node["krg-analyst"], 35.37, 44.30, NOON))
    asayish = orjson.loads(ask(engine, node["asayish-analyst"], 35.37, 44.30, NOON))
    jcc = orjson.loads(ask(engine, node["jcc-analyst"], 35.37, 44.30, NOON))

    assert krg["verified"] is True
    assert asayish["verified"] is False  # a part of krg: RED does not reach it
    assert asayish["nearest"] is None
    assert jcc["nearest"] is None


def test_every_verify_is_audited_with_its_answer(engine: Engine, node: dict[str, Account]) -> None:
    (cp,) = register(engine, node["joc-analyst"], synthetic("road"))
    ask(engine, node["krg-analyst"], 35.3720, 44.3010, NOON)

    with reading(engine) as conn:
        last = (
            conn.execute(sa.select(audit_log).order_by(audit_log.c.seq.desc())).mappings().first()
        )
    assert last is not None
    assert (last["actor"], last["action"], last["subject"]) == (
        "krg-analyst",
        "verify",
        "checkpoints",
    )
    assert orjson.loads(last["detail"]) == {
        "door": "test",
        "lat": 35.372,
        "lon": 44.301,
        "at": "2026-11-25T09:00:00.000Z",
        "tolerance_m": 300.0,
        "verified": True,
        "checkpoint": cp,
        "nearest": None,
    }


def test_a_checkpoint_is_in_the_deconfliction_registry(
    engine: Engine, node: dict[str, Account]
) -> None:
    (cp,) = register(
        engine, node["joc-analyst"], synthetic("road", valid_to=datetime(2027, 1, 1, tzinfo=UTC))
    )

    with reading(engine) as conn:
        fp = footprints.get(conn, FootprintKind.CHECKPOINT, str(cp))
    assert fp is not None
    assert (fp.owner, fp.buffer_m, fp.contact) == ("joc", 300.0, "Synthetic 8th Bde, 2nd Bn")
    assert (fp.start, fp.end, fp.margin) == (NOV, datetime(2027, 1, 1, tzinfo=UTC), timedelta(0))
    assert fp.area.x == pytest.approx(44.30)
    assert fp.area.y == pytest.approx(35.37)

    with writing(engine) as conn:
        checkpoints.close(conn, node["joc-watch"].principal, cp, NOON, NOON)
    with reading(engine) as conn:
        closed = footprints.get(conn, FootprintKind.CHECKPOINT, str(cp))
    assert closed is not None
    assert closed.end == NOON


def test_closed_before_it_starts_leaves_the_registry(
    engine: Engine, node: dict[str, Account]
) -> None:
    (cp,) = register(engine, node["joc-analyst"], synthetic("road", valid_from=NOON))
    with writing(engine) as conn:
        checkpoints.close(conn, node["joc-analyst"].principal, cp, NOV, NOON)
    with reading(engine) as conn:
        assert footprints.get(conn, FootprintKind.CHECKPOINT, str(cp)) is None


def test_closing_is_the_owners(engine: Engine, node: dict[str, Account]) -> None:
    shown, hidden = register(engine, node["joc-analyst"], synthetic("road"), synthetic("hidden"))
    before = state(engine)

    with writing(engine) as conn, pytest.raises(Forbidden, match="joc's to close"):
        checkpoints.close(conn, node["krg-analyst"].principal, shown, NOON, NOON)
    with writing(engine) as conn, pytest.raises(NotFound) as hidden_error:
        checkpoints.close(conn, node["krg-analyst"].principal, hidden, NOON, NOON)
    with writing(engine) as conn, pytest.raises(NotFound) as missing_error:
        checkpoints.close(conn, node["krg-analyst"].principal, 999, NOON, NOON)

    assert str(hidden_error.value).replace(str(hidden), "N") == str(missing_error.value).replace(
        "999", "N"
    )
    assert state(engine) == before
    with writing(engine) as conn:
        checkpoints.close(conn, node["joc-analyst"].principal, shown, NOON, NOON)
    with writing(engine) as conn, pytest.raises(InvalidInput, match="already closed"):
        checkpoints.close(conn, node["joc-analyst"].principal, shown, NOON, NOON)


@pytest.mark.parametrize(
    ("who", "draft", "error", "match"),
    [
        ("krg-node", synthetic("road"), Forbidden, "may not register"),
        ("krg-analyst", synthetic("road"), InvalidInput, "^partner: krg-analyst registers"),
        (
            "joc-analyst",
            synthetic("road", releasable_to=frozenset({"kgr"})),
            InvalidInput,
            "^releasable_to: unknown partner 'kgr'",
        ),
    ],
)
def test_a_refused_registration_changes_nothing(
    engine: Engine,
    node: dict[str, Account],
    who: str,
    draft: CheckpointDraft,
    error: type[Exception],
    match: str,
) -> None:
    before = state(engine)
    with pytest.raises(error, match=match):
        register(engine, node[who], synthetic("taza"), draft)
    assert state(engine) == before


def test_the_same_checkpoint_twice_is_refused(engine: Engine, node: dict[str, Account]) -> None:
    (first,) = register(engine, node["joc-analyst"], synthetic("road"))
    before = state(engine)
    with pytest.raises(Conflict, match=rf"^name: .* is already registered \(id {first}\)"):
        register(engine, node["joc-analyst"], synthetic("road", unit="Synthetic other unit"))
    assert state(engine) == before
    # The same name from another time is another registration.
    register(engine, node["joc-analyst"], synthetic("road", valid_from=NOON))


def test_a_batch_with_one_checkpoint_twice_is_refused(
    engine: Engine, node: dict[str, Account]
) -> None:
    before = state(engine)
    with pytest.raises(InvalidInput, match=r"^name: a checkpoint is given twice"):
        register(
            engine, node["joc-analyst"], synthetic("road"), synthetic("taza"), synthetic("road")
        )
    assert state(engine) == before
