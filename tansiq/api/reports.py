"""Reports, cells and comments over HTTP: the same service the CLI calls, behind a token.

Reads filter by the caller's releasability in SQL and record an audit entry for the marked
objects they return; an object the caller may not see answers 404 exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.api.auth import Caller
from tansiq.api.deps import now, read_conn
from tansiq.domain.grading import parse_grade
from tansiq.domain.markings import parse_tlp
from tansiq.domain.reports import CellDraft, Place, ReportDraft
from tansiq.errors import NotFound
from tansiq.places import place_all
from tansiq.sharing import exchange, records, report_places, stix
from tansiq.sharing.reads import record_read
from tansiq.store import objects
from tansiq.store.database import writing

router = APIRouter(tags=["reports"])
Conn = Annotated[Connection, Depends(read_conn)]
T = TypeVar("T")


class PlaceIn(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    name: str = Field(default="", max_length=200)


class ReleaseIn(BaseModel):
    tlp: str = "amber"
    releasable_to: list[str] = Field(default_factory=list, max_length=50)

    def release(self) -> exchange.Release:
        return exchange.Release(parse_tlp(self.tlp), frozenset(self.releasable_to))


class ReportIn(ReleaseIn):
    title: str = Field(min_length=1, max_length=300)
    text: str = Field(default="", max_length=100_000)
    lang: Literal["ar", "ku", "en"] = "en"
    grade: str | None = None
    published: datetime | None = None
    places: list[PlaceIn] = Field(default_factory=list, max_length=100)
    cells: list[str] = Field(default_factory=list, max_length=100)
    incidents: list[str] = Field(
        default_factory=list, max_length=100, description="stored incidents: SOURCE:ID"
    )


class ReportEdit(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    text: str | None = Field(default=None, max_length=100_000)
    lang: Literal["ar", "ku", "en"] | None = None


class CellIn(ReleaseIn):
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = Field(default_factory=list, max_length=50)
    area: str | None = None
    description: str = Field(default="", max_length=10_000)


class CommentIn(ReleaseIn):
    kind: Literal["note", "sighting", "opinion"]
    on: str
    text: str = Field(default="", max_length=100_000)
    count: int = Field(default=1, ge=0, le=999_999_999)
    opinion: Literal["strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"] = (
        "neutral"
    )


def _write(request: Request, work: Callable[[Connection], T]) -> T:
    with writing(request.app.state.engine) as conn:
        return work(conn)


@router.get("/api/reports")
def list_reports(
    request: Request,
    conn: Conn,
    who: Caller,
    q: Annotated[str | None, Query(max_length=200, description="text to search for")] = None,
    type: Annotated[str, Query(description="report, intrusion-set, note, ...")] = "report",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """The latest visible versions, newest first, with the total the caller may see."""
    total, found = records.listing(conn, who.viewer, type, q, limit, offset)
    record_read(request.app.state.engine, who, [r["id"] for r in found], "api")
    return {"total": total, "returned": len(found), "items": found}


@router.get("/api/reports.geojson", response_class=Response)
def reports_geojson(
    request: Request,
    conn: Conn,
    who: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    """The places of the reports the caller may read, for the map: a GeoJSON FeatureCollection
    of points, one per place (`report_id`, `title`, `first_line`, `tlp`, `published`, `place`),
    for a page of the reports with a readable place, newest first; `total` and `returned`
    count reports."""
    total, items, features = report_places.located_reports(conn, who.viewer, limit, offset)
    record_read(request.app.state.engine, who, [item["id"] for item in items], "api")
    body = {"type": "FeatureCollection", "total": total, "returned": len(items)}
    return Response(orjson.dumps({**body, "features": features}), media_type="application/geo+json")


@router.get("/api/objects/{stix_id}")
def get_object(request: Request, conn: Conn, who: Caller, stix_id: str) -> dict[str, Any]:
    row = objects.latest(conn, who.viewer, stix_id)
    found = records.records(conn, who.viewer, [row]) if row else []
    if not found:
        raise NotFound(f"no such object: {stix_id}")
    record_read(request.app.state.engine, who, [stix_id], "api")
    item = found[0]
    item["places"] = list(records.places(conn, who.viewer, item["places"]).values())
    return item


def report_draft(request: Request, body: ReportIn) -> tuple[ReportDraft, exchange.Release]:
    """A report as the caller wrote it (API or page form), its places located."""
    draft = ReportDraft(
        title=body.title,
        text=body.text,
        published=body.published or now(request),
        lang=body.lang,
        grade=parse_grade(body.grade) if body.grade else None,
        places=place_all(
            request.app.state.locator, [Place(p.lat, p.lon, p.name) for p in body.places]
        ),
        cell_ids=tuple(body.cells),
        incident_ids=tuple(body.incidents),
    )
    return draft, body.release()


def create_report(request: Request, who: Principal, body: ReportIn) -> str:
    """Store a new report of the caller's partner; its STIX id."""
    draft, release = report_draft(request, body)
    at = now(request)
    return _write(request, lambda c: exchange.create_report(c, who, draft, release, at))


@router.post("/api/reports", status_code=201)
def add_report(request: Request, who: Caller, body: ReportIn) -> dict[str, str]:
    return {"id": create_report(request, who, body)}


@router.post("/api/cells", status_code=201)
def add_cell(request: Request, who: Caller, body: CellIn) -> dict[str, str]:
    cell = CellDraft(body.name, tuple(body.aliases), body.area, body.description)
    release, at = body.release(), now(request)
    return {"id": _write(request, lambda c: exchange.create_cell(c, who, cell, release, at))}


@router.post("/api/comments", status_code=201)
def add_comment(request: Request, who: Caller, body: CommentIn) -> dict[str, str]:
    """A note, sighting (count 0 = looked, not seen) or opinion on an object the caller reads."""
    release, at = body.release(), now(request)

    def work(conn: Connection) -> str:
        obj = stix.comment_object(
            body.kind, who.partner, body.on, body.text, body.count, body.opinion, at
        )
        return exchange.add_comment(conn, who, obj, release, at)

    return {"id": _write(request, work)}


@router.patch("/api/reports/{stix_id}", status_code=204)
def edit_report(request: Request, who: Caller, stix_id: str, body: ReportEdit) -> Response:
    changes = {
        k: v
        for k, v in (("name", body.title), ("description", body.text), ("lang", body.lang))
        if v is not None
    }
    _write(request, lambda c: exchange.edit(c, who, stix_id, changes, now(request)))
    return Response(status_code=204)


@router.post("/api/objects/{stix_id}/marking", status_code=204)
def mark_object(request: Request, who: Caller, stix_id: str, body: ReleaseIn) -> Response:
    release = body.release()
    _write(request, lambda c: exchange.mark(c, who, stix_id, release, now(request)))
    return Response(status_code=204)


@router.post("/api/objects/{stix_id}/withdraw", status_code=204)
def withdraw_object(request: Request, who: Caller, stix_id: str) -> Response:
    _write(request, lambda c: exchange.withdraw(c, who, stix_id, now(request)))
    return Response(status_code=204)


@router.get("/api/stix/bundle")
def export_stix(request: Request, conn: Conn, who: Caller) -> Response:
    """Everything the caller may read, as one STIX 2.1 bundle."""
    bundle = exchange.export_bundle(conn, who.viewer)
    ids = [o["id"] for o in bundle["objects"]]
    record_read(request.app.state.engine, who, ids, "api")
    return Response(stix.dumps(bundle), media_type="application/stix+json;version=2.1")
