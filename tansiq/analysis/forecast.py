"""Next month's risk: expected events per region cell, from events dated before that month.

Pure: events in, a `Risk` out (the shipped GeoNames towns are read once, as reference data).

The model, chosen on a validation backtest of 2004-2013 (UCDP GED, res 7; its parameters are
the best there of a small grid) and not on 2014-2017:
UCDP snaps events to named places, so the same cells recur and a cell's own history is the
strongest signal. The expected count of a cell is the sum of

- its mean monthly count over all history (long memory: a place that was ever hit stays above
  every place that never was),
- its counts decayed exponentially with a 3-month time constant (a recent surge),
- a small spread term: counts decayed over 12 months, smoothed by a 4 km Gaussian, which
  ranks never-hit cells next to recently hit ones above other never-hit cells,
- a small town term for cells holding a GeoNames town (pop >= 500), where events are reported
  even before any has been.

The last two are small (a town adds 0.001 events a month, a third of what one event in 29 years
of history gives): they order the cells without history and barely move the expected counts.

Tried and not kept, each judged on 2004-2013 validation backtests only (hit_rate_1, also over
2004-2005, 2006-2009 and 2010-2013 for stability; 2014-2017 was not looked at while choosing):
at res 7 only 13 to 84 region cells have history in any validation month, so most of the top
1% (174 cells) is cells without history, and every validation miss (53 of 1,857 events) is in
such a cell, nine in ten ranked 515th or lower. None of these gained more than one event
(0.0005) on validation: history of the cell's res-6, res-5 or res-4 parent (all-time or
12-month decayed, events outside the region included) as a tie-breaking term at weights 1e-8
to 1e-2; spread from events just outside the region (Anbar, Baghdad, Erbil, ... at 4, 8, 15 km
over 12 months); a "front" term of the last 1-2 months' events smoothed at 10-25 km (weights
1e-8 to 1e-2; 1e-5 gains one event in 2010-2013, heavier weights lose up to 6 points); and
the existing terms re-checked (surge 2-4 months or weight 0.5-2, spread 2-6 km or weight 1e-5 to
1e-2, spread of the all-history mean or of counts decayed over 36 or 60 months at 4 or 8 km,
town weight 1e-4 to 1e-2: equal, one event better or worse; without towns 0.961). A gain of
one event is noise, so the model stays as it was.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from typing import Final

import h3
import numpy as np
import numpy.typing as npt

from tansiq.analysis.events import EventArrays, month_index
from tansiq.analysis.neighbours import gaussian_smooth
from tansiq.analysis.region import check_res, region_cells
from tansiq.errors import InvalidInput
from tansiq.geo.reference import gazetteer

SURGE_MONTHS: Final = 3.0
SPREAD_MONTHS: Final = 12.0
SPREAD_KM: Final = 4.0
SPREAD_WEIGHT: Final = 1e-4
TOWN_WEIGHT: Final = 1e-3

_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class Risk:
    """Expected number of events in each region cell during `month`."""

    month: str
    res: int
    cells: tuple[str, ...]
    expected: npt.NDArray[np.float64]


def parse_month(text: str) -> int:
    """Months since 1970-01 of a strict "YYYY-MM"; InvalidInput otherwise."""
    found = _MONTH.fullmatch(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12 or int(found[1]) < 1970:
        raise InvalidInput(f"month must be YYYY-MM (1970 or later), got {text!r}")
    return (int(found[1]) - 1970) * 12 + int(found[2]) - 1


def month_text(index: int) -> str:
    """ "YYYY-MM" of a month index (months since 1970-01)."""
    return f"{1970 + index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> date:
    """The first day of a month index."""
    return date(1970 + index // 12, index % 12 + 1, 1)


def default_month(events: EventArrays) -> str:
    """The month after the latest event's month; InvalidInput when there are no events."""
    if not len(events):
        raise InvalidInput("no events to forecast from")
    return month_text(int(month_index(events.day).max()) + 1)


def cell_of_events(events: EventArrays, cells: tuple[str, ...], res: int) -> npt.NDArray[np.intp]:
    """Index into `cells` (sorted) of each event's cell, or -1 outside the region."""
    if not len(events):
        return np.empty(0, np.intp)
    points = zip(events.latitude, events.longitude, strict=True)
    names = np.array([h3.latlng_to_cell(la, lo, res) for la, lo in points])
    table = np.array(cells)
    at = np.searchsorted(table, names)
    inside = at < len(table)
    inside[inside] = table[at[inside]] == names[inside]
    return np.where(inside, at, -1).astype(np.intp)


@dataclass(frozen=True, slots=True)
class History:
    """Events per region cell and month, oldest month first.

    Only the cells with events are held (`active`, indexes in region_cells order, with their
    rows of `counts`): at res 9 the region has 850,000 cells, and a full cell x month matrix
    of 30 years would take gigabytes.
    """

    cells: int
    active: npt.NDArray[np.intp]
    counts: npt.NDArray[np.float64]

    @property
    def months(self) -> int:
        return int(self.counts.shape[1])

    def first(self, months: int) -> History:
        """The history of its first `months` months only."""
        return History(self.cells, self.active, self.counts[:, :months])

    def full(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Values of the active cells spread to every cell (0 elsewhere)."""
        spread = np.zeros(self.cells)
        spread[self.active] = values
        return spread

    def month(self, index: int) -> npt.NDArray[np.float64]:
        """Every cell's count in month `index` (0 = the first month)."""
        return self.full(self.counts[:, index])


def monthly_counts(events: EventArrays, res: int, first: int, end: int) -> History:
    """Region events per cell and month, for months first <= month < end (indexes)."""
    cells = tuple(region_cells(res))
    where = cell_of_events(events, cells, res)
    months = month_index(events.day)
    keep = (where >= 0) & (months >= first) & (months < end)
    active = np.unique(where[keep])
    counts = np.zeros((len(active), max(end - first, 0)), np.float64)
    np.add.at(counts, (np.searchsorted(active, where[keep]), months[keep] - first), 1.0)
    return History(len(cells), active, counts)


def decayed_mean(history: History, months: float) -> npt.NDArray[np.float64]:
    """Every cell's weighted mean monthly count, weights exp(-age/months) (last month: age 0)."""
    if history.months == 0:
        return np.zeros(history.cells)
    weights = np.exp(-np.arange(history.months)[::-1] / months)
    return history.full(history.counts @ weights / weights.sum())


@functools.cache
def town_cells(res: int) -> npt.NDArray[np.float64]:
    """1.0 for region cells holding a GeoNames town (cities500), 0.0 elsewhere.

    Only the GeoNames rows of the gazetteer: its UCDP place rows come from the events
    themselves (up to 2017) and would leak later events into earlier forecasts.
    """
    cells = tuple(region_cells(res))
    towns = [e for e in gazetteer() if e.source == "geonames_cities500"]
    latitude = np.array([e.latitude for e in towns])
    longitude = np.array([e.longitude for e in towns])
    empty = np.zeros(len(towns), np.int32)
    where = cell_of_events(EventArrays(latitude, longitude, empty, empty), cells, res)
    flags = np.zeros(len(cells))
    flags[where[where >= 0]] = 1.0
    return flags


def expected_counts(history: History, res: int) -> npt.NDArray[np.float64]:
    """The model: expected events per cell next month, from the months of `history`."""
    if history.months == 0:
        return np.zeros(history.cells)
    long_memory = history.full(history.counts.sum(axis=1) / history.months)
    surge = decayed_mean(history, SURGE_MONTHS)
    spread = gaussian_smooth(decayed_mean(history, SPREAD_MONTHS), res, SPREAD_KM)
    return np.asarray(
        long_memory + surge + SPREAD_WEIGHT * spread + TOWN_WEIGHT * town_cells(res), np.float64
    )


def predict(events: EventArrays, month: str, res: int) -> Risk:
    """Expected events per region cell in `month`, from events dated before it only.

    History runs from the month of the earliest event before `month`.
    """
    check_res(res)
    target = parse_month(month)
    before = events.where(month_index(events.day) < target)
    first = int(month_index(before.day).min()) if len(before) else target
    history = monthly_counts(before, res, first, target)
    return Risk(month_text(target), res, tuple(region_cells(res)), expected_counts(history, res))
