"""The incident pages: a filtered, paged table of incidents, and one incident with its places.

The table filters exactly as `/api/incidents` does (the same IncidentFilter, the same store
functions), so the page's total and the API's agree, and its download links hand the same
filter to the API's CSV and GeoJSON exports (tansiq.api.incidents). Incidents come from public
datasets and carry no marking yet: every logged-in user sees all of them.

The filter form is a plain GET form (no script needed). An empty date field arrives as
`from=`, which the API's typed parameters would refuse, so the page reads the fields as text
and shows a bad value as a message on the page rather than as a problem+json error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.api.auth import PageCaller
from tansiq.api.deps import read_conn
from tansiq.domain.areas import Area, AreaLevel
from tansiq.domain.incidents import IncidentFilter
from tansiq.domain.languages import Language
from tansiq.errors import InvalidInput
from tansiq.store.areas import list_areas, require_area
from tansiq.store.incidents import count_incidents, find_incidents, incident_by_id
from tansiq.web.pages import Renderer, page_language

Conn = Annotated[Connection, Depends(read_conn)]

PAGE_SIZE = 50
MAX_PAGE = (2**31 - 1) // PAGE_SIZE  # keeps the offset within what both databases accept


@dataclass(frozen=True, slots=True)
class FilterForm:
    """The filter form's fields as typed, shown again in the form whatever their value."""

    date_from: str = ""
    date_to: str = ""
    area: str = ""
    disputed: str = ""


@dataclass(frozen=True, slots=True)
class AreaGroup:
    """A governorate and its districts, in the page's script: one <optgroup> of the area list."""

    pcode: str
    name: str
    districts: list[Area] = field(default_factory=list)


def form_filter(conn: Connection, form: FilterForm) -> IncidentFilter:
    """The form as the API's filter; InvalidInput naming the field that is wrong."""
    if form.disputed not in ("", "true", "false"):
        raise InvalidInput("disputed: use true or false")
    filt = IncidentFilter(
        area=form.area.strip() or None,
        date_from=_day(form.date_from, "from"),
        date_to=_day(form.date_to, "to"),
        disputed_only=form.disputed == "true",
    )
    require_area(conn, filt.area)
    return filt


def _day(text: str, name: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{name}: not a date (use YYYY-MM-DD): {text[:40]!r}") from None


def filter_params(filt: IncidentFilter) -> dict[str, str]:
    """The filter as query parameters both the page and the API read (empty ones left out)."""
    params = {
        "from": filt.date_from.isoformat() if filt.date_from else "",
        "to": filt.date_to.isoformat() if filt.date_to else "",
        "area": filt.area or "",
        "disputed": "true" if filt.disputed_only else "",
    }
    return {key: value for key, value in params.items() if value}


def area_name(area: Area, lang: Language) -> str:
    """An area's name in the page's script: Arabic on Arabic and Kurdish pages (the COD has no
    Kurdish names), English on English ones."""
    return area.name_en if lang is Language.EN else area.name_ar


def area_groups(areas: Sequence[Area], lang: Language) -> list[AreaGroup]:
    """Governorates in pcode order, each with its districts, named in the page's script."""
    groups = {
        a.pcode: AreaGroup(a.pcode, area_name(a, lang))
        for a in areas
        if a.level is AreaLevel.GOVERNORATE
    }
    for area in areas:
        if area.level is AreaLevel.DISTRICT and area.parent_pcode in groups:
            groups[area.parent_pcode].districts.append(area)
    return list(groups.values())


def page_query(params: dict[str, str], page: int) -> str:
    """The query string of one page of the table, keeping the filter (page 1 has no number)."""
    return urlencode({**params, "page": page} if page > 1 else params)


def router(render: Renderer) -> APIRouter:
    """`GET /incidents` (the table) and `GET /incidents/{incident_id}` (one incident)."""
    pages = APIRouter(include_in_schema=False)

    def listing(
        request: Request, who: Principal, status: int, areas: list[Area], **context: Any
    ) -> HTMLResponse:
        lang = page_language(request, who)
        return render.page(
            request,
            "incidents.html",
            who,
            status_code=status,
            area_groups=area_groups(areas, lang),
            names={a.pcode: area_name(a, lang) for a in areas},
            **context,
        )

    @pages.get("/incidents", response_class=HTMLResponse)
    def incidents_page(
        request: Request,
        conn: Conn,
        who: PageCaller,
        date_from: Annotated[str, Query(alias="from", max_length=40)] = "",
        date_to: Annotated[str, Query(alias="to", max_length=40)] = "",
        area: Annotated[str, Query(max_length=40)] = "",
        disputed: Annotated[str, Query(max_length=10)] = "",
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    ) -> HTMLResponse:
        """A page of the matching incidents, oldest first like the API, with the total."""
        form = FilterForm(date_from, date_to, area, disputed)
        areas = list_areas(conn)
        try:
            filt = form_filter(conn, form)
        except InvalidInput as exc:
            return listing(
                request, who, exc.status, form=form, areas=areas, error=str(exc), items=[]
            )
        total = count_incidents(conn, filt)
        offset = (page - 1) * PAGE_SIZE
        items = list(find_incidents(conn, filt, limit=PAGE_SIZE, offset=offset))
        params = filter_params(filt)
        pages_count = max(1, math.ceil(total / PAGE_SIZE))
        return listing(
            request,
            who,
            200,
            form=form,
            areas=areas,
            items=items,
            total=total,
            page=page,
            pages=pages_count,
            prev_query=page_query(params, page - 1) if page > 1 else None,
            next_query=page_query(params, page + 1) if page < pages_count else None,
            filter_query=urlencode(params),
            export_query=urlencode({**params, "export": "true"}),
        )

    @pages.get("/incidents/{incident_id}", response_class=HTMLResponse)
    def incident_page(
        request: Request, conn: Conn, who: PageCaller, incident_id: str
    ) -> HTMLResponse:
        """One incident: what happened, where (the three COD levels) and the map link."""
        incident = incident_by_id(conn, incident_id)
        if incident is None:
            return render.page(request, "error.html", who, status_code=404, status=404)
        lang = page_language(request, who)
        levels = ("adm3_pcode", "adm2_pcode", "adm1_pcode")
        wanted = {incident[level] for level in levels}
        names = {a.pcode: area_name(a, lang) for a in list_areas(conn) if a.pcode in wanted}
        return render.page(
            request,
            "incident.html",
            who,
            incident=incident,
            names=names,
        )

    return pages
