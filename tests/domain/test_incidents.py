from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tansiq.domain.areas import AreaLevel
from tansiq.domain.incidents import IncidentFilter, pcode_level, row_digest
from tansiq.errors import InvalidInput


@pytest.mark.parametrize(
    ("pcode", "level"),
    [
        ("IQG13", AreaLevel.GOVERNORATE),
        ("IQG13Q04", AreaLevel.DISTRICT),
        ("IQG10Q03N01", AreaLevel.SUBDISTRICT),
    ],
)
def test_pcode_level_follows_the_cod_shape(pcode: str, level: AreaLevel) -> None:
    assert pcode_level(pcode) is level


@pytest.mark.parametrize("bad", ["", "Kirkuk", "IQ13", "IQG1", "IQG13Q4", "IQG13N01", "iqg13"])
def test_malformed_pcodes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="pcode"):
        pcode_level(bad)


def test_a_filter_with_an_empty_range_is_refused_but_one_day_is_fine() -> None:
    IncidentFilter(date_from=date(2017, 1, 1), date_to=date(2017, 1, 1))
    with pytest.raises(InvalidInput, match="empty"):
        IncidentFilter(date_from=date(2017, 1, 2), date_to=date(2017, 1, 1))


@given(st.lists(st.text(), min_size=1, max_size=8), st.integers(0, 7), st.text(min_size=1))
def test_row_digest_changes_when_any_cell_changes(cells: list[str], i: int, extra: str) -> None:
    i %= len(cells)
    changed = [*cells]
    changed[i] = cells[i] + extra
    assert row_digest(cells) == row_digest(list(cells))
    assert row_digest(changed) != row_digest(cells)
