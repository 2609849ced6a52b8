"""The areas table: COD governorates, districts and sub-districts, loaded by `tansiq init`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.areas import Area, AreaLevel
from tansiq.errors import InvalidInput
from tansiq.store.schema import areas


def load_areas(conn: Connection, rows: Iterable[Area]) -> int:
    """Replace the reference areas with the shipped ones; returns how many there are.

    Idempotent: the areas are reference data owned by the package, so a re-run (or an
    upgrade that ships corrected boundaries) simply rewrites them.
    """
    values = [{**asdict(a), "level": int(a.level)} for a in rows]
    conn.execute(areas.delete())
    conn.execute(areas.insert(), values)
    return len(values)


def list_areas(
    conn: Connection, level: AreaLevel | None = None, disputed_only: bool = False
) -> list[Area]:
    """Areas ordered by pcode, optionally one level and only the disputed ones."""
    query = sa.select(areas).order_by(areas.c.pcode)
    if level is not None:
        query = query.where(areas.c.level == int(level))
    if disputed_only:
        query = query.where(areas.c.disputed.is_(True))
    return [_area(row) for row in conn.execute(query).mappings()]


def _area(row: Any) -> Area:
    return Area(**{**row, "level": AreaLevel(row["level"])})


def require_area(conn: Connection, pcode: str | None) -> None:
    """Raise InvalidInput unless the pcode (if any) names a loaded area."""
    if pcode is None:
        return
    found = conn.execute(sa.select(areas.c.pcode).where(areas.c.pcode == pcode)).first()
    if found is None:
        raise InvalidInput(f"unknown area {pcode!r}: see `tansiq areas` for the pcodes")
