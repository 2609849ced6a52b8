"""Next month's risk: expected events per region cell, from events dated before that month.

Pure: events in, a `Risk` out. The model is chosen and tuned on a validation backtest
(tansiq.analysis.backtest); see `predict`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import h3
import numpy as np
import numpy.typing as npt

from tansiq.analysis.events import EventArrays, month_index
from tansiq.analysis.region import region_cells
from tansiq.errors import InvalidInput

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


def predict(events: EventArrays, month: str, res: int) -> Risk:
    """Expected events per region cell in `month`, from events dated before it only."""
    cells = tuple(region_cells(res))
    target = parse_month(month)
    months = month_index(events.day)
    before = events.where(months < target)
    where = cell_of_events(before, cells, res)
    ages = target - month_index(before.day)
    keep = (where >= 0) & (ages <= 36)
    counts = np.bincount(where[keep], minlength=len(cells)).astype(np.float64)
    return Risk(month_text(target), res, cells, counts / 36.0)
