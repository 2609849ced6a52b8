"""Rolling-origin backtest of the risk forecast against four baselines.

Each test month is predicted from the counts of the months before it only (a slice of one
cell x month matrix that ends before the month), by the model and by:

- `persistence`: last month's count;
- `mean_12m`, `mean_36m`: the mean monthly count over the last 12 or 36 months;
- `kde_decay`: counts decayed exponentially with a 6-month time constant, smoothed in space
  by a Gaussian of 2 km bandwidth (about one res-7 cell spacing) and renormalised so that
  the region's total is kept.

Scores, pooled over the test months:

- `hit_rate_1`, `hit_rate_5`: the share of the test events that fall in the top 1% (5%) of
  the region's cells by that month's prediction. Ties at the cut-off count fractionally: when
  m cells tie for the last r places, each holds r/m of a place, which is the expected hit rate
  under a uniformly random tie break (the same rule for every model, no seed involved);
- `pai_1`, `pai_5`: hit rate / area share (the share of cells in the top k);
- `log_score`: the mean Poisson log-likelihood of the observed count per cell-month (expected
  counts below 1e-4 raised to 1e-4, for every model alike), and `log_score_gain`, its
  difference from a reference forecast, the cell's mean monthly count over all history, in
  nats per test event (positive: better than the reference).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln

from tansiq.analysis.events import EventArrays, month_index
from tansiq.analysis.forecast import History, decayed_mean, expected_counts, monthly_counts
from tansiq.analysis.neighbours import gaussian_smooth
from tansiq.analysis.region import check_res, region_cells
from tansiq.errors import InvalidInput

SHARES: Final = {"1": 0.01, "5": 0.05}
LOG_SCORE_FLOOR: Final = 1e-4
KDE_KM: Final = 2.0
KDE_MONTHS: Final = 6.0

Cells = npt.NDArray[np.float64]
"""One value per region cell, in region_cells order."""

Forecaster = Callable[[History, int], Cells]
"""(counts of the months before, res) -> expected events per cell in the next month."""


def persistence(history: History, res: int) -> Cells:
    return history.month(history.months - 1)


def mean_12m(history: History, res: int) -> Cells:
    return history.full(history.counts[:, -12:].mean(axis=1))


def mean_36m(history: History, res: int) -> Cells:
    return history.full(history.counts[:, -36:].mean(axis=1))


def kde_decay(history: History, res: int) -> Cells:
    decayed = decayed_mean(history, KDE_MONTHS)
    smoothed = gaussian_smooth(decayed, res, KDE_KM)
    total = smoothed.sum()
    return smoothed * (decayed.sum() / total) if total > 0 else smoothed


def history_mean(history: History, res: int) -> Cells:
    """The log score's reference: the mean monthly count over all history."""
    return history.full(history.counts.mean(axis=1))


FORECASTERS: Final[dict[str, Forecaster]] = {
    "model": expected_counts,
    "persistence": persistence,
    "mean_12m": mean_12m,
    "mean_36m": mean_36m,
    "kde_decay": kde_decay,
}


def top_k(cells: int, share: float) -> int:
    """How many cells make the top `share` of `cells` (at least one)."""
    return max(1, round(share * cells))


def hits_in_top(score: Cells, observed: Cells, k: int) -> float:
    """Events of `observed` in the k highest-scoring cells, ties at the cut-off fractional."""
    kth = -np.partition(-score, k - 1)[k - 1]
    above = score > kth
    tied = score == kth
    share_of_tied = (k - int(above.sum())) / int(tied.sum())
    return float(observed[above].sum() + observed[tied].sum() * share_of_tied)


def poisson_log_score(expected: Cells, observed: Cells) -> float:
    """Sum over cells of log P(observed | Poisson(expected)), expected floored."""
    rate = np.maximum(expected, LOG_SCORE_FLOOR)
    return float((observed * np.log(rate) - rate - gammaln(observed + 1)).sum())


@dataclass(frozen=True, slots=True)
class Scores:
    hit_rate_1: float
    hit_rate_5: float
    pai_1: float
    pai_5: float
    log_score: float
    log_score_gain: float


@dataclass(slots=True)
class _Tally:
    hits_1: float = 0.0
    hits_5: float = 0.0
    log_likelihood: float = 0.0


@dataclass(frozen=True, slots=True)
class Backtest:
    """The scores of each forecaster over [first, last] (month indexes)."""

    res: int
    first: int
    last: int
    cells: int
    test_events: int
    top_1: int
    top_5: int
    scores: dict[str, Scores]


@dataclass(frozen=True, slots=True)
class MonthForecasts:
    """Every forecaster's expected counts for one test month, and what happened."""

    month: int
    expected: dict[str, Cells]
    observed: Cells


def test_range(events: EventArrays, first: int, last: int) -> int:
    """The month the history starts (the earliest event's); InvalidInput for a bad range."""
    if first > last:
        raise InvalidInput("the test range is empty: test-from is after test-to")
    months = month_index(events.day)
    if not len(events) or months.min() >= first:
        raise InvalidInput("no events before the first test month: nothing to learn from")
    return int(months.min())


def month_forecasts(
    events: EventArrays, first: int, last: int, res: int
) -> Iterator[MonthForecasts]:
    """Each test month's forecasts, each from a slice of the counts that ends before it."""
    check_res(res)
    start = test_range(events, first, last)
    counts = monthly_counts(events, res, start, last + 1)
    for month in range(first, last + 1):
        history = counts.first(month - start)
        expected = {name: f(history, res) for name, f in FORECASTERS.items()}
        expected["reference"] = history_mean(history, res)
        yield MonthForecasts(month, expected, counts.month(month - start))


def backtest(events: EventArrays, first: int, last: int, res: int) -> Backtest:
    """Score every forecaster over the test months [first, last] (month indexes)."""
    cells = len(region_cells(res))
    k1, k5 = top_k(cells, SHARES["1"]), top_k(cells, SHARES["5"])
    tallies = {name: _Tally() for name in [*FORECASTERS, "reference"]}
    total = 0.0
    for month in month_forecasts(events, first, last, res):
        total += float(month.observed.sum())
        for name, expected in month.expected.items():
            tally = tallies[name]
            tally.hits_1 += hits_in_top(expected, month.observed, k1)
            tally.hits_5 += hits_in_top(expected, month.observed, k5)
            tally.log_likelihood += poisson_log_score(expected, month.observed)
    if total == 0:
        raise InvalidInput("no region events in the test months: nothing to score")
    scores = _scores(tallies, total, cells, (last - first + 1) * cells, (k1, k5))
    return Backtest(res, first, last, cells, int(total), k1, k5, scores)


def _scores(
    tallies: dict[str, _Tally], events: float, cells: int, cell_months: int, ks: tuple[int, int]
) -> dict[str, Scores]:
    reference = tallies.pop("reference").log_likelihood
    area_1, area_5 = ks[0] / cells, ks[1] / cells
    return {
        name: Scores(
            hit_rate_1=t.hits_1 / events,
            hit_rate_5=t.hits_5 / events,
            pai_1=t.hits_1 / events / area_1,
            pai_5=t.hits_5 / events / area_5,
            log_score=t.log_likelihood / cell_months,
            log_score_gain=(t.log_likelihood - reference) / events,
        )
        for name, t in tallies.items()
    }
