"""Next month's risk on this node: the forecast of tansiq.analysis.forecast over its incidents.

Only incidents with a precision code of 3 or less count: for UCDP (`where_prec` 1-3) the same
rule as the backtest's. The store filters one code for every source, so ACLED incidents of
geo_precision 3 (a region) count here although the backtest leaves them out.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Connection

from tansiq.analysis.forecast import Risk, default_month, month_start, parse_month, predict
from tansiq.store.events import event_arrays

MAX_PRECISION = 3
"""Location precision codes kept: exact place, near a place, or second-order area (district)."""


def next_month_risk(conn: Connection, month: str | None, res: int) -> Risk:
    """Expected incidents per region cell in `month` (default: the month after the latest
    incident), from the node's incidents dated before that month."""
    if month is None:
        events = event_arrays(conn, max_precision=MAX_PRECISION)
        return predict(events, default_month(events), res)
    first_day: date = month_start(parse_month(month))
    events = event_arrays(conn, date_to=first_day - timedelta(days=1), max_precision=MAX_PRECISION)
    return predict(events, month, res)
