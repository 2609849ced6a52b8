"""Copies of peers' operations: written as the owner's node sends them, never edited here.

An operation belongs to its owner's node, which alone plans it and moves it through its
states; a node it is released to holds a copy (for its approvers to decide on and its people
to see), replaced whole by each newer row the owner sends, with every version's content so
that decisions of older versions can still be checked and shown void.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tansiq.domain.operations import Content
from tansiq.store.schema_operations import operation_audience, operation_versions, operations


def origin_of(conn: Connection, operation_id: str) -> str | None:
    """Where the operation was planned ("" here), or None if it is not held."""
    query = sa.select(operations.c.origin).where(operations.c.id == operation_id)
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def stored_version(conn: Connection, operation_id: str) -> int | None:
    query = sa.select(operations.c.version).where(operations.c.id == operation_id)
    found = conn.execute(query).scalar()
    return None if found is None else int(found)


def stored_workflow(conn: Connection, operation_id: str) -> tuple[int, datetime] | None:
    """The copy's version and when it last changed, if there is one."""
    query = sa.select(operations.c.version, operations.c.updated_at).where(
        operations.c.id == operation_id
    )
    row = conn.execute(query).first()
    return None if row is None else (int(row[0]), row[1])


def replace_copy(
    conn: Connection,
    origin: str,
    operation_id: str,
    content: Content,
    workflow: Mapping[str, Any],
    versions: Sequence[tuple[int, dict[str, Any], str]],
) -> None:
    """Write the copy: the current content's columns, the owner's workflow columns (state,
    version, deadlines...), its audience, and the versions not held yet."""
    digest = content.digest()
    values = {
        "owner": content.owner,
        "name": content.name,
        "op_type": content.op_type.value,
        "area_kind": content.area.kind.value,
        "area_wkt": content.area.wkt,
        "extent_m": content.area.extent_m,
        "start_at": content.start,
        "end_at": content.end,
        "units": _json(list(content.units)),
        "subjects": _json(sorted(content.subjects)),
        "links": _json(sorted(content.links)),
        "tlp": content.tlp.value,
        "releasable_to": _json(sorted(content.marking.releasable_to)),
        "content_hash": digest,
        "origin": origin,
        **workflow,
    }
    exists = stored_version(conn, operation_id) is not None
    if exists:
        conn.execute(operations.update().where(operations.c.id == operation_id).values(**values))
        conn.execute(
            operation_audience.delete().where(operation_audience.c.operation_id == operation_id)
        )
    else:
        conn.execute(operations.insert().values(id=operation_id, **values))
    audience = sorted(content.marking.audience())
    conn.execute(
        operation_audience.insert(),
        [{"operation_id": operation_id, "partner_code": code} for code in audience],
    )
    _add_versions(conn, operation_id, versions, str(workflow["created_by"]), workflow["updated_at"])


def _add_versions(
    conn: Connection,
    operation_id: str,
    versions: Sequence[tuple[int, dict[str, Any], str]],
    by: str,
    at: datetime,
) -> None:
    v = operation_versions.c
    held = {
        int(n)
        for n in conn.execute(sa.select(v.version).where(v.operation_id == operation_id)).scalars()
    }
    rows = [
        {
            "operation_id": operation_id,
            "version": number,
            "content": _json(content),
            "content_hash": digest,
            "created_by": by,
            "created_at": at,
        }
        for number, content, digest in versions
        if number not in held
    ]
    if rows:
        conn.execute(operation_versions.insert(), rows)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()
