"""`GET /api/health`: is the node up, and is its database ready."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy.engine import Connection

from tansiq import __version__
from tansiq.api.deps import read_conn
from tansiq.domain.incidents import IncidentFilter
from tansiq.store.database import require_schema
from tansiq.store.incidents import count_incidents

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(conn: Annotated[Connection, Depends(read_conn)]) -> dict[str, Any]:
    """`status: ok` with the number of stored incidents; 503 if the database is not set up."""
    require_schema(conn)
    return {
        "status": "ok",
        "version": __version__,
        "incidents": count_incidents(conn, IncidentFilter()),
    }
