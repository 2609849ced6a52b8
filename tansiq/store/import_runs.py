"""The import_runs table: one row per committed import, for the node's own record."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Connection

from tansiq.domain.incidents import ImportSummary
from tansiq.store.schema import import_runs


def record_import_run(
    conn: Connection,
    source: str,
    path: Path,
    sha256: str,
    summary: ImportSummary,
    finished_at: datetime,
) -> None:
    """Record a finished import in the same transaction as its rows."""
    conn.execute(
        import_runs.insert(),
        {
            "source": source,
            "file_name": path.name,
            "file_sha256": sha256,
            "finished_at": finished_at,
            **summary.as_dict(),
        },
    )
