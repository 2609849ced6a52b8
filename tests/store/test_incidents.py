from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from tansiq.domain.incidents import IncidentFilter
from tansiq.errors import InvalidInput
from tansiq.store.database import reading, writing
from tansiq.store.incidents import count_incidents, find_incidents, upsert_incidents
from tests.conftest import FROZEN_NOW
from tests.factories import make_row


def _write(engine: Engine, rows: list[dict[str, object]]) -> tuple[int, int, int]:
    with writing(engine) as conn:
        return upsert_incidents(conn, "ucdp", rows, FROZEN_NOW)


def test_new_rows_are_imported_then_unchanged_on_reimport(engine: Engine) -> None:
    rows = [make_row(source_id=str(i)) for i in range(3)]
    assert _write(engine, rows) == (3, 0, 0)
    assert _write(engine, rows) == (0, 0, 3)
    with reading(engine) as conn:
        assert count_incidents(conn, IncidentFilter()) == 3


def test_a_changed_upstream_row_updates_the_incident(engine: Engine) -> None:
    _write(engine, [make_row(source_id="7", fatalities=3)])
    assert _write(engine, [make_row(source_id="7", fatalities=5)]) == (0, 1, 0)
    with reading(engine) as conn:
        (stored,) = find_incidents(conn, IncidentFilter())
    assert stored["fatalities"] == 5
    assert stored["source_id"] == "7"


def test_same_id_in_another_source_is_another_incident(engine: Engine) -> None:
    _write(engine, [make_row(source_id="1")])
    with writing(engine) as conn:
        assert upsert_incidents(
            conn, "acled", [make_row(source="acled", source_id="1")], FROZEN_NOW
        ) == (1, 0, 0)


def test_filters_by_area_level_dates_and_disputed(engine: Engine) -> None:
    _write(
        engine,
        [
            make_row(source_id="a", date_start=date(2016, 1, 1), date_end=date(2016, 1, 1)),
            make_row(source_id="b", date_start=date(2017, 6, 1), date_end=date(2017, 6, 2)),
            make_row(
                source_id="c",
                adm1_pcode="IQG21",
                adm2_pcode="IQG21Q01",
                adm3_pcode="IQG21Q01N01",
                disputed=False,
            ),
        ],
    )
    with reading(engine) as conn:

        def ids(**kw: object) -> list[str]:
            return [r["source_id"] for r in find_incidents(conn, IncidentFilter(**kw))]  # type: ignore[arg-type]

        assert ids(area="IQG13") == ["a", "b"]
        assert ids(area="IQG13Q04") == ["a", "b"]
        assert ids(area="IQG13Q04N01") == ["a", "b"]
        assert ids(area="IQG21Q01") == ["c"]
        assert ids(date_from=date(2017, 1, 1)) == ["c", "b"]  # oldest first
        assert ids(date_to=date(2016, 12, 31)) == ["a"]
        assert ids(disputed_only=True) == ["a", "b"]
        assert count_incidents(conn, IncidentFilter(area="IQG13", disputed_only=True)) == 2


def test_a_backwards_date_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        IncidentFilter(date_from=date(2017, 2, 1), date_to=date(2017, 1, 1))


def test_a_malformed_pcode_is_refused() -> None:
    with pytest.raises(InvalidInput, match="pcode"):
        IncidentFilter(area="Kirkuk")


def test_a_failed_batch_leaves_the_database_as_it_was(engine: Engine) -> None:
    _write(engine, [make_row(source_id="keep")])
    with pytest.raises(RuntimeError), writing(engine) as conn:
        upsert_incidents(conn, "ucdp", [make_row(source_id="lost")], FROZEN_NOW)
        raise RuntimeError("crash in the middle of a batch")
    with reading(engine) as conn:
        assert [r["source_id"] for r in find_incidents(conn, IncidentFilter())] == ["keep"]
