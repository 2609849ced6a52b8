"""`GET /api/coordination/feed`: the coordination feed, for peer nodes' accounts only.

What it carries and why it is not a TAXII collection: tansiq.sharing.coordination. Any other
caller gets the same 404 as for a path that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.engine import Connection

from tansiq.api.auth import Caller
from tansiq.api.deps import read_conn
from tansiq.sharing import coordination

router = APIRouter(tags=["coordination"])


@router.get("/api/coordination/feed")
def feed(
    caller: Caller,
    conn: Annotated[Connection, Depends(read_conn)],
    after: Annotated[int, Query(ge=0, description="the last seq already applied")] = 0,
    limit: Annotated[int, Query(ge=1, le=coordination.MAX_PAGE)] = 500,
) -> dict[str, Any]:
    """Rows after `after`, oldest first, that the calling peer node may read."""
    return coordination.serve_page(conn, caller, after, limit)
