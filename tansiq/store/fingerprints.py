"""Cheap summaries of what an analysis reads, for caching its answer (tansiq.api.result_cache).

A fingerprint changes whenever what it summarises may have: an import that adds incidents
changes the count and the largest id, one that corrects incidents in place changes the latest
`updated_at`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.store.schema import incidents


def incidents_fingerprint(conn: Connection) -> tuple[int, int, str]:
    """(count, largest id, latest updated_at) of the incidents table."""
    t = incidents.c
    query = sa.select(sa.func.count(), sa.func.max(t.id), sa.func.max(t.updated_at))
    count, largest, latest = conn.execute(query).one()
    return int(count), int(largest or 0), str(latest or "")
