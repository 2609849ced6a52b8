"""Events as the analyses take them: parallel numpy arrays, one entry per event.

The store (tansiq.store.events) and the backtest's file reader both produce `EventArrays`, so
every analysis is a pure function of arrays and never of where they came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

EPOCH = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class EventArrays:
    """Latitudes, longitudes, start days (days since 1970-01-01) and deaths (0 when unknown)."""

    latitude: npt.NDArray[np.float64]
    longitude: npt.NDArray[np.float64]
    day: npt.NDArray[np.int32]
    deaths: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.day)

    def where(self, keep: npt.NDArray[np.bool_]) -> EventArrays:
        """The events where `keep` is true."""
        return EventArrays(
            self.latitude[keep], self.longitude[keep], self.day[keep], self.deaths[keep]
        )


def day_number(value: date) -> int:
    """Days since 1970-01-01 (what `EventArrays.day` holds)."""
    return value.toordinal() - EPOCH


def month_index(days: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """Months since 1970-01 of each day number (0 = January 1970)."""
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months.astype(np.int32)


def empty_events() -> EventArrays:
    return EventArrays(
        np.empty(0, np.float64),
        np.empty(0, np.float64),
        np.empty(0, np.int32),
        np.empty(0, np.int32),
    )
