"""Incident routes: a GeoJSON layer for the map, a paged JSON list and whole-set downloads.

Releasability: incidents come from public datasets (UCDP) and carry no marking today, so every
logged-in caller may read every incident; anonymous callers get 401 (the router's dependency).
Partner-marked incidents do not exist yet; when they do, these routes must read through a
store function that takes the viewer, as reports do (HOUSE_STYLE 4).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.engine import Connection

from tansiq.api.auth import caller
from tansiq.api.deps import read_conn, settings
from tansiq.domain.incidents import IncidentFilter
from tansiq.errors import InvalidInput, NotFound
from tansiq.exports import RECORD_FIELDS, geojson_bytes, geojson_feature, incident_record
from tansiq.settings import Settings
from tansiq.store.areas import require_area
from tansiq.store.incidents import count_incidents, find_incidents, incident_by_id

router = APIRouter(tags=["incidents"], dependencies=[Depends(caller)])
"""Every route here needs a logged-in caller (tansiq.api.auth), like the page that uses them."""

Conn = Annotated[Connection, Depends(read_conn)]
Config = Annotated[Settings, Depends(settings)]

ROWS_PER_CHUNK = 1_000
"""Records per streamed chunk: big enough to keep per-chunk overhead low, small enough that a
million-row download never holds more than one chunk of text."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection)."""


def incident_filter(
    conn: Annotated[Connection, Depends(read_conn)],
    area: Annotated[str | None, Query(description="COD pcode of any level, e.g. IQG13Q04")] = None,
    date_from: Annotated[
        date | None, Query(alias="from", description="first day, inclusive")
    ] = None,
    date_to: Annotated[date | None, Query(alias="to", description="last day, inclusive")] = None,
    disputed: Annotated[bool, Query(description="only incidents in disputed areas")] = False,
) -> IncidentFilter:
    """The filter shared by every incident route; an unknown area is a client error."""
    filt = IncidentFilter(area=area, date_from=date_from, date_to=date_to, disputed_only=disputed)
    require_area(conn, filt.area)
    return filt


Filter = Annotated[IncidentFilter, Depends(incident_filter)]


def _limit(requested: int | None, config: Settings) -> int:
    cap = config.incidents_page_limit
    if requested is not None and not 1 <= requested <= cap:
        raise InvalidInput(f"limit must be between 1 and {cap}")
    return requested or cap


@router.get("/api/incidents.geojson", response_class=Response)
def incidents_geojson(
    conn: Conn,
    config: Config,
    filt: Filter,
    limit: Annotated[int | None, Query()] = None,
    export: Annotated[
        bool,
        Query(description="every matching incident as a download, beyond the page limit"),
    ] = False,
) -> Response:
    """Matching incidents as a GeoJSON FeatureCollection, with `total` and `returned`.

    Without `export`, at most `limit` (default and cap: the setting `incidents_page_limit`).
    With `export=true`, all of them, streamed as an attachment; `returned` then comes after
    the features, since it is known only once they are all written.
    """
    if export:
        if limit is not None:
            raise InvalidInput("export=true returns every matching incident: leave out limit")
        chunks = geojson_chunks(_records(conn, filt), total=count_incidents(conn, filt))
        return _download(chunks, "application/geo+json", export_filename(filt, "geojson"))
    page = _limit(limit, config)
    records = [incident_record(r) for r in find_incidents(conn, filt, limit=page)]
    body = geojson_bytes(records, total=count_incidents(conn, filt), returned=len(records))
    return Response(body, media_type="application/geo+json")


@router.get(
    "/api/incidents.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "a CSV attachment"}},
)
def incidents_csv(conn: Conn, filt: Filter) -> StreamingResponse:
    """Every matching incident as a CSV download, oldest first, streamed.

    UTF-8 with a byte order mark (so that Excel reads Arabic as Arabic), a header row, the
    columns of the JSON records (`/api/incidents`), RFC 4180 quoting and CRLF line ends. A
    text cell that starts with = + - @, a tab or a carriage return gets a leading ' so that a
    spreadsheet does not run it as a formula (a number is left as it is).

    Releasability: any logged-in caller gets every matching incident, anyone else a 401.
    Incidents come from public datasets; partner-marked incidents do not exist yet, so there
    is no marking to filter on. When they do, this export must filter by the caller.
    """
    return _download(
        csv_chunks(_records(conn, filt)), "text/csv; charset=utf-8", export_filename(filt, "csv")
    )


@router.get("/api/incidents")
def incidents_list(
    conn: Conn,
    config: Config,
    filt: Filter,
    limit: Annotated[int | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """A page of matching incidents, oldest first, with the total."""
    page = _limit(limit, config)
    items = [incident_record(r) for r in find_incidents(conn, filt, limit=page, offset=offset)]
    return {"total": count_incidents(conn, filt), "limit": page, "offset": offset, "items": items}


# `:int`: only digits name an incident, so /api/incidents/viewport is left to its own route.
@router.get("/api/incidents/{incident_id:int}")
def incident(conn: Conn, incident_id: int) -> dict[str, Any]:
    """One incident as a JSON record (the items of /api/incidents), by its `id`; the map's
    popups ask for it when a point is opened."""
    found = incident_by_id(conn, str(incident_id))
    if found is None:
        raise NotFound(f"no such incident: {incident_id}")
    return incident_record(found)


def _records(conn: Connection, filt: IncidentFilter) -> Iterator[dict[str, Any]]:
    """Every matching incident record, read lazily while the body is sent.

    It reads on the request's connection: FastAPI closes a yield dependency (`read_conn`,
    request scope) only after the response is sent, so the download comes from one transaction.
    """
    return (incident_record(row) for row in find_incidents(conn, filt))


def _download(chunks: Iterator[bytes], media_type: str, filename: str) -> StreamingResponse:
    disposition = f'attachment; filename="{filename}"'
    return StreamingResponse(
        chunks, media_type=media_type, headers={"Content-Disposition": disposition}
    )


def export_filename(filt: IncidentFilter, extension: str) -> str:
    """A download's name that says what it holds: incidents_IQG13Q04_2017-01-01_to_2017-12-31.

    Safe in a header as it is: pcodes and ISO dates are letters, digits and dashes.
    """
    parts = ["incidents"]
    if filt.area:
        parts.append(filt.area)
    if filt.date_from or filt.date_to:
        start = filt.date_from.isoformat() if filt.date_from else "start"
        end = filt.date_to.isoformat() if filt.date_to else "end"
        parts.append(f"{start}_to_{end}")
    if filt.disputed_only:
        parts.append("disputed")
    return "_".join(parts) + "." + extension


def csv_cell(value: Any) -> Any:
    """A record's value as a CSV cell, defused: text a spreadsheet would run as a formula gets a
    leading ' (numbers, booleans and None pass through for the csv module to write)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(records: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """Records as UTF-8 CSV with a BOM and header, a chunk every ROWS_PER_CHUNK rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(RECORD_FIELDS)
    for count, record in enumerate(records, start=1):
        writer.writerow([csv_cell(record[name]) for name in RECORD_FIELDS])
        if count % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    """The buffer's text as UTF-8, and the buffer emptied for the next chunk."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def geojson_chunks(records: Iterable[Mapping[str, Any]], total: int) -> Iterator[bytes]:
    """A FeatureCollection written feature by feature, ending with how many were `returned`."""
    yield b'{"type":"FeatureCollection","total":%d,"features":[' % total
    returned = 0
    batch: list[bytes] = []
    for record in records:
        batch.append(orjson.dumps(geojson_feature(record)))
        if len(batch) == ROWS_PER_CHUNK:
            yield (b"," if returned else b"") + b",".join(batch)
            returned += len(batch)
            batch = []
    if batch:
        yield (b"," if returned else b"") + b",".join(batch)
        returned += len(batch)
    yield b'],"returned":%d}' % returned
