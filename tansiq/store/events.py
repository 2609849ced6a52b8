"""Incidents read for analysis: only the columns the analyses use, as numpy arrays.

Incidents are public datasets (UCDP, ACLED) on every node, so what is read here is releasable to
every signed-in user; marked material (reports, positions) never comes through this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.analysis.events import EventArrays, day_number, empty_events
from tansiq.store.schema import incidents


def event_arrays(
    conn: Connection,
    date_from: date | None = None,
    date_to: date | None = None,
    max_precision: int | Mapping[str, int] | None = None,
) -> EventArrays:
    """Incidents starting within [date_from, date_to] (inclusive, open when None).

    `max_precision` keeps only incidents whose location precision code is at most that value
    (UCDP `where_prec`: 1 exact place ... 3 district; ACLED geo_precision 1-3), or at most the
    value given for their source (`{"ucdp": 3, "acled": 2}`: the sources' codes differ in
    meaning; a source not named is left out); incidents with no precision are kept only when no
    limit is asked for.
    """
    t = incidents.c
    query = sa.select(t.latitude, t.longitude, t.date_start, t.fatalities)
    if date_from is not None:
        query = query.where(t.date_start >= date_from)
    if date_to is not None:
        query = query.where(t.date_start <= date_to)
    if isinstance(max_precision, Mapping):
        query = query.where(
            sa.or_(
                sa.false(),
                *(
                    sa.and_(t.source == source, t.precision <= most)
                    for source, most in max_precision.items()
                ),
            )
        )
    elif max_precision is not None:
        query = query.where(t.precision.is_not(None), t.precision <= max_precision)
    rows = conn.execution_options(yield_per=50_000).execute(query).all()
    if not rows:
        return empty_events()
    lat, lon, start, deaths = zip(*rows, strict=True)
    return EventArrays(
        np.asarray(lat, dtype=np.float64),
        np.asarray(lon, dtype=np.float64),
        np.fromiter((day_number(d) for d in start), dtype=np.int32, count=len(start)),
        np.asarray([d or 0 for d in deaths], dtype=np.int32),
    )
