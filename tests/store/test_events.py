"""Incidents read for analysis (tansiq.store.events): dates and location precision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
from sqlalchemy.engine import Engine

from tansiq.analysis.events import day_number
from tansiq.store.database import reading, writing
from tansiq.store.events import event_arrays
from tansiq.store.incidents import upsert_incidents
from tests.conftest import FROZEN_NOW
from tests.factories import make_row

# (source, id, day, precision): each source's codes 1-3, and one with none.
STORED = [
    ("ucdp", "u1", date(2016, 1, 5), 1),
    ("ucdp", "u2", date(2016, 2, 5), 2),
    ("ucdp", "u3", date(2016, 3, 5), 3),
    ("ucdp", "u4", date(2016, 4, 5), None),
    ("acled", "a1", date(2016, 1, 6), 1),
    ("acled", "a2", date(2016, 2, 6), 2),
    ("acled", "a3", date(2016, 3, 6), 3),
]


def _stored(engine: Engine) -> None:
    with writing(engine) as conn:
        for source in ("ucdp", "acled"):
            rows = [
                make_row(source=source, source_id=sid, date_start=day, date_end=day, precision=p)
                for s, sid, day, p in STORED
                if s == source
            ]
            upsert_incidents(conn, source, rows, FROZEN_NOW)


def _days(engine: Engine, max_precision: int | dict[str, int] | None = None) -> list[int]:
    with reading(engine) as conn:
        return sorted(event_arrays(conn, max_precision=max_precision).day.tolist())


def _expected(keep: Callable[[str, int | None], bool]) -> list[int]:
    return sorted(day_number(day) for s, _, day, p in STORED if keep(s, p))


def test_precision_limits_one_code_for_all_or_one_per_source(engine: Engine) -> None:
    _stored(engine)

    assert _days(engine) == _expected(lambda s, p: True)
    assert _days(engine, max_precision=2) == _expected(lambda s, p: p is not None and p <= 2)
    per_source = {"ucdp": 3, "acled": 2}
    assert _days(engine, max_precision=per_source) == _expected(
        lambda s, p: p is not None and p <= per_source[s]
    )
    assert _days(engine, max_precision={"ucdp": 1}) == _expected(
        lambda s, p: s == "ucdp" and p == 1
    )
    assert _days(engine, max_precision={}) == []


def test_dates_are_inclusive_and_arrays_parallel(engine: Engine) -> None:
    _stored(engine)
    with reading(engine) as conn:
        found = event_arrays(conn, date(2016, 2, 5), date(2016, 3, 5))

    assert sorted(found.day.tolist()) == [
        day_number(date(2016, 2, 5)),
        day_number(date(2016, 2, 6)),
        day_number(date(2016, 3, 5)),
    ]
    assert len(found.latitude) == len(found.longitude) == len(found.deaths) == 3
    assert np.all(found.deaths == 3)  # the factory's fatalities
