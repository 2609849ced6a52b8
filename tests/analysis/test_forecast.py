"""The risk forecast and its backtest: metrics on hand-made cases, no look-ahead, real data."""

from __future__ import annotations

from datetime import date, timedelta

import h3
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tansiq.analysis.backtest import backtest, hits_in_top, month_forecasts, top_k
from tansiq.analysis.events import EventArrays, day_number
from tansiq.analysis.forecast import default_month, parse_month, predict
from tansiq.analysis.region import cell_centres, region_cells
from tansiq.errors import InvalidInput
from tansiq.event_files import read_event_file
from tests.conftest import SHIPPED_UCDP

RES = 5  # 355 cells: fast, and the top 1% is 4 cells


def events_at(points: list[tuple[str, date]]) -> EventArrays:
    """One event at the centre of each (cell, day)."""
    lat, lon = cell_centres([cell for cell, _ in points])
    days = np.array([day_number(day) for _, day in points], np.int32)
    return EventArrays(lat, lon, days, np.zeros(len(points), np.int32))


def test_hits_in_top_counts_the_top_k_cells() -> None:
    score = np.array([3.0, 2.0, 1.0, 0.0])
    observed = np.array([1.0, 2.0, 3.0, 4.0])
    assert hits_in_top(score, observed, 1) == 1.0
    assert hits_in_top(score, observed, 2) == 3.0
    assert hits_in_top(score, observed, 4) == 10.0


def test_ties_at_the_cut_off_count_fractionally() -> None:
    # One place left for three tied cells: each holds a third of it.
    score = np.array([2.0, 1.0, 1.0, 1.0, 0.0])
    observed = np.array([0.0, 3.0, 0.0, 0.0, 5.0])
    assert hits_in_top(score, observed, 2) == pytest.approx(1.0)
    # All tied: the expected share of a random pick of k cells.
    assert hits_in_top(np.zeros(5), observed, 2) == pytest.approx(8 * 2 / 5)


def test_top_k_is_a_share_of_the_cells_rounded_at_least_one() -> None:
    assert top_k(17_399, 0.01) == 174
    assert top_k(17_399, 0.05) == 870
    assert top_k(10, 0.01) == 1


def test_backtest_hit_rates_and_pai_on_a_made_up_history() -> None:
    cells = region_cells(RES)
    a, b = cells[10], cells[200]
    history = [(a, date(2010, month, 15)) for month in range(1, 13)]
    test = [(a, date(2011, 1, 3)), (b, date(2011, 1, 20))]  # b never had an event
    result = backtest(
        events_at(history + test), parse_month("2011-01"), parse_month("2011-01"), RES
    )
    n, k = len(cells), top_k(len(cells), 0.01)
    assert result.test_events == 2
    assert result.cells == n
    assert result.top_1 == k == 4
    persistence = result.scores["persistence"]
    # a is in the top; b ties with every other empty cell for the k-1 places left.
    assert persistence.hit_rate_1 == pytest.approx((1 + (k - 1) / (n - 1)) / 2)
    assert persistence.pai_1 == pytest.approx(persistence.hit_rate_1 / (k / n))
    assert result.scores["mean_36m"].hit_rate_1 == pytest.approx(persistence.hit_rate_1)


def test_backtest_uses_the_same_model_as_predict(shipped: EventArrays) -> None:
    month = parse_month("2015-06")
    (forecasts,) = month_forecasts(shipped, month, month, 6)
    np.testing.assert_allclose(forecasts.expected["model"], predict(shipped, "2015-06", 6).expected)


EPOCH = date(1970, 1, 1)


@pytest.fixture(scope="module")
def shipped() -> EventArrays:
    """The shipped GED file's events located better than a district."""
    return read_event_file(SHIPPED_UCDP)[1]


@settings(max_examples=15, deadline=None)
@given(
    extra=st.lists(st.tuples(st.integers(0, 354), st.integers(0, 800)), min_size=1, max_size=30),
    month=st.sampled_from(["2009-03", "2014-06", "2017-01"]),
)
def test_events_on_or_after_the_month_never_change_its_forecast(
    shipped: EventArrays, extra: list[tuple[int, int]], month: str
) -> None:
    events = shipped
    first_day = date.fromisoformat(f"{month}-01")
    cells = region_cells(RES)
    later = events_at([(cells[i], first_day + timedelta(days=d)) for i, d in extra])
    together = EventArrays(
        np.concatenate([events.latitude, later.latitude]),
        np.concatenate([events.longitude, later.longitude]),
        np.concatenate([events.day, later.day]),
        np.concatenate([events.deaths, later.deaths]),
    )
    before = predict(events, month, RES)
    after = predict(together, month, RES)
    assert before.cells == after.cells
    np.testing.assert_array_equal(before.expected, after.expected)


def test_the_forecast_ranks_recently_hit_cells_high(shipped: EventArrays) -> None:
    risk = predict(shipped, "2017-07", 7)
    assert risk.month == "2017-07"
    assert len(risk.cells) == len(risk.expected) == 17_399
    assert (risk.expected >= 0).all()
    # Al-Mosul, the most hit cell of the first half of 2017, is in the top ten.
    mosul = region_cells(7).index(h3.latlng_to_cell(36.335, 43.119, 7))
    assert mosul in np.argsort(-risk.expected)[:10]


@pytest.mark.parametrize("text", ["2016-13", "2016-00", "2016-1", "16-01", "2016/01", "", "x"])
def test_bad_months_are_invalid_input(shipped: EventArrays, text: str) -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM"):
        predict(shipped, text, 7)


def test_default_month_is_the_month_after_the_last_event(shipped: EventArrays) -> None:
    assert default_month(shipped) == "2018-01"
    assert default_month(events_at([(region_cells(RES)[0], date(2019, 12, 31))])) == "2020-01"
    with pytest.raises(InvalidInput):
        default_month(shipped.where(shipped.day < 0))


def test_backtest_refuses_a_bad_range(shipped: EventArrays) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        backtest(shipped, parse_month("2016-02"), parse_month("2016-01"), 7)
    with pytest.raises(InvalidInput, match="no events before"):
        backtest(shipped, parse_month("1980-01"), parse_month("1980-02"), 7)


def test_on_the_shipped_events_the_model_beats_the_baselines_in_2016(
    shipped: EventArrays,
) -> None:
    result = backtest(shipped, parse_month("2016-01"), parse_month("2016-12"), 7)
    model = result.scores.pop("model")
    assert result.test_events > 300
    for name, baseline in result.scores.items():
        assert model.hit_rate_1 > baseline.hit_rate_1, name
        assert model.log_score > baseline.log_score, name
