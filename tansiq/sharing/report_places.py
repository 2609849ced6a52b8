"""Reports on the map: a point for each place of each report a viewer may read.

Which reports have a place is decided from their links: a report is shown when at least one
location it links to is readable by the viewer. A link to a hidden location is cut, as on every
read (tansiq.sharing.exchange.render_rows), so the total counts exactly the reports the viewer
gets markers for, and nothing says that a hidden place exists. Only the page's bodies are read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from tansiq.domain.markings import Viewer
from tansiq.sharing import records
from tansiq.store import objects

LOCATION = "location--"
FIRST_LINE_CHARS = 200


def located_reports(
    conn: Connection, viewer: Viewer, limit: int, offset: int = 0
) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """(how many reports with a readable place, a page of them as records, newest first, and
    their places as GeoJSON point features)."""
    shown = _with_readable_place(conn, viewer)
    items = records.records(conn, viewer, _rows(conn, viewer, shown[offset : offset + limit]))
    places = records.places(conn, viewer, [p for item in items for p in item["places"]])
    features = [
        feature(item, place_id, places[place_id])
        for item in items
        for place_id in item["places"]
        if place_id in places
    ]
    return len(shown), items, features


def _with_readable_place(conn: Connection, viewer: Viewer) -> list[str]:
    candidates = objects.linking(conn, viewer, types=("report",), prefix=LOCATION)
    linked = {ref for _, refs in candidates for ref in refs if ref.startswith(LOCATION)}
    readable = objects.readable_ids(conn, viewer, linked)
    return [stix_id for stix_id, refs in candidates if readable.intersection(refs)]


def _rows(conn: Connection, viewer: Viewer, ids: list[str]) -> list[objects.StoredRow]:
    """The latest versions of these reports, in this order."""
    if not ids:  # no ids in a Query selects everything
        return []
    found = objects.page(conn, viewer, objects.Query(ids=ids, limit=len(ids))).rows
    by_id = {row.stix_id: row for row in found}
    return [by_id[i] for i in ids if i in by_id]


def feature(item: dict[str, Any], place_id: str, place: dict[str, Any]) -> dict[str, Any]:
    """One place of a report record as a GeoJSON point, with what the map's popup shows."""
    return {
        "type": "Feature",
        "id": f"{item['id']} {place_id}",
        "geometry": {"type": "Point", "coordinates": [place["longitude"], place["latitude"]]},
        "properties": {
            "report_id": item["id"],
            "title": item["title"],
            "first_line": first_line(item["text"]),
            "lang": item["lang"],
            "tlp": item["tlp"],
            "published": item["published"],
            "version": item["version"],
            "originator": item["originator"],
            "place_id": place_id,
            "place": place["name"],
        },
    }


def first_line(text: str | None) -> str:
    """The first line of a report's text with anything in it, shortened for a popup."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return line if len(line) <= FIRST_LINE_CHARS else line[: FIRST_LINE_CHARS - 1] + "…"
