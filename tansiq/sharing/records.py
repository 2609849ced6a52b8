"""Stored STIX objects as the flat records the API, the CLI and the pages show.

Built from the body as rendered for the viewer (links to hidden objects already cut), so a
record never names what its reader may not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy.engine import Connection

from tansiq.domain.markings import Viewer
from tansiq.sharing import exchange, links, stix
from tansiq.store import objects


def record(row: objects.StoredRow, body: bytes, audience: frozenset[str]) -> dict[str, Any]:
    obj = orjson.loads(body)
    refs = obj.get("object_refs", [])
    grade = stix.grade_of(obj)
    return {
        "id": obj["id"],
        "type": obj["type"],
        "version": obj.get("modified", obj.get("created")),
        "created": obj.get("created"),
        "title": row.name,
        "text": obj.get("description", obj.get("content", "")),
        "lang": obj.get("lang"),
        "published": obj.get("published"),
        "grade": str(grade) if grade else None,
        "confidence": obj.get("confidence"),
        "tlp": row.tlp.value,
        "originator": row.originator,
        "releasable_to": sorted(audience - {row.originator}),
        "received_from": row.peer,
        "received_at": _utc_text(row.received_at),
        "places": [r for r in refs if r.startswith("location--")],
        "cells": [r for r in refs if r.startswith("intrusion-set--")],
        "incidents": [r for r in refs if r.startswith("incident--")],
        "aliases": obj.get("aliases", []),
    }


def _utc_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite returns naive
    return stix.stix_time(aware)


def records(
    conn: Connection, viewer: Viewer, rows: list[objects.StoredRow]
) -> list[dict[str, Any]]:
    return _records(conn, exchange.render_rows(conn, viewer, rows))


def _records(
    conn: Connection, rendered: list[tuple[objects.StoredRow, bytes]]
) -> list[dict[str, Any]]:
    audiences = objects.audiences(conn, [row.pk for row, _ in rendered])
    return [record(row, body, audiences.get(row.pk, frozenset())) for row, body in rendered]


def listing(
    conn: Connection,
    viewer: Viewer,
    stix_type: str,
    text: str | None,
    limit: int,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """One page of the latest visible objects of a type, newest first, and how many there are.

    Comments (notes, sightings, opinions) on objects the viewer cannot read are not shown, so
    they are not counted either: for those types the whole match is rendered to count it.
    """
    if stix_type not in links.DEPENDENT_TYPES:
        rows = objects.search(
            conn, viewer, types=(stix_type,), text=text, limit=limit, offset=offset
        )
        total = objects.count(conn, viewer, types=(stix_type,), text=text)
        return total, records(conn, viewer, rows)
    rows = objects.search(conn, viewer, types=(stix_type,), text=text, limit=None)
    shown = exchange.render_rows(conn, viewer, rows)
    return len(shown), _records(conn, shown[offset : offset + limit])


def places(conn: Connection, viewer: Viewer, ids: list[str]) -> Mapping[str, dict[str, Any]]:
    """The readable locations among these ids, as {id: {name, latitude, longitude, ...}}."""
    if not ids:  # an empty id list selects nothing (in a Query it would select everything)
        return {}
    query = objects.Query(types=("location",), ids=ids, limit=len(ids))
    rows = objects.page(conn, viewer, query).rows
    out = {}
    for row in rows:
        obj = orjson.loads(row.body)
        out[row.stix_id] = {
            "name": obj.get("name", ""),
            "latitude": obj.get("latitude"),
            "longitude": obj.get("longitude"),
            "administrative_area": obj.get("administrative_area"),
        }
    return out
