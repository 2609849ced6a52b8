"""Next month's risk on this node: the forecast of tansiq.analysis.forecast over its incidents.

Only incidents located to a district or better count, by the backtest's rule
(tansiq.event_files.MAX_PRECISION): UCDP `where_prec` 1-3, ACLED geo_precision 1-2 (its 3 is a
region).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from sqlalchemy.engine import Connection

from tansiq.analysis.forecast import Risk, default_month, month_start, parse_month, predict
from tansiq.store.events import event_arrays

MAX_PRECISION: Final = {"ucdp": 3, "acled": 2}
"""Location precision codes kept per source: exact place, near a place, or a district."""


def next_month_risk(conn: Connection, month: str | None, res: int) -> Risk:
    """Expected incidents per region cell in `month` (default: the month after the latest
    incident), from the node's incidents dated before that month."""
    if month is None:
        events = event_arrays(conn, max_precision=MAX_PRECISION)
        return predict(events, default_month(events), res)
    first_day: date = month_start(parse_month(month))
    events = event_arrays(conn, date_to=first_day - timedelta(days=1), max_precision=MAX_PRECISION)
    return predict(events, month, res)
