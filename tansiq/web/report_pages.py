"""The report pages: write one, read one with its history, withdraw one.

The form posts to the node as a plain HTML form (urlencoded, no script needed); the page's map
only fills in the latitude and longitude when the writer clicks it. What the form sends goes
through the same model and service as `POST /api/reports` (tansiq.api.reports), so the page
and the API accept and refuse exactly the same reports.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.api.auth import PageCaller, same_origin
from tansiq.api.deps import read_conn, state_now
from tansiq.api.reports import PlaceIn, ReportIn, create_report
from tansiq.domain.grading import CREDIBILITY, RELIABILITY
from tansiq.domain.markings import Tlp
from tansiq.domain.reports import WRITERS
from tansiq.errors import Forbidden, InvalidInput
from tansiq.sharing import exchange, records
from tansiq.sharing.reads import record_read
from tansiq.store import objects
from tansiq.store.database import writing
from tansiq.store.partners import list_partners
from tansiq.web.pages import MAX_FORM_BYTES, Renderer

Conn = Annotated[Connection, Depends(read_conn)]


async def _fields(request: Request) -> dict[str, list[str]]:
    body = await request.body()
    if len(body) > 10 * MAX_FORM_BYTES + 100_000:
        raise InvalidInput("form too large")
    try:
        return parse_qs(body.decode(), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("not a form") from None


def report_in(fields: dict[str, list[str]]) -> ReportIn:
    """The form's fields as the API's model; InvalidInput naming the field that is wrong."""

    def one(name: str) -> str:
        return fields.get(name, [""])[0].strip()

    grade = one("reliability") + one("credibility")
    places = []
    if one("lat") or one("lon"):
        places.append({"lat": one("lat"), "lon": one("lon"), "name": one("place")})
    try:
        return ReportIn(
            title=one("title"),
            text=one("text"),
            lang=one("lang") or "en",
            grade=grade if len(grade) == 2 else None,
            tlp=one("tlp") or "amber",
            releasable_to=[code for code in fields.get("releasable_to", []) if code],
            places=[PlaceIn.model_validate(p) for p in places],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}") from None


def router(render: Renderer) -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def form(
        request: Request, conn: Connection, who: Principal, status: int, **context: Any
    ) -> HTMLResponse:
        partners = [p for p in list_partners(conn) if p.code != who.partner]
        return render.page(
            request,
            "report_form.html",
            who,
            status_code=status,
            partners=partners,
            tlps=[t.value for t in Tlp],
            reliabilities=sorted(RELIABILITY),
            credibilities=sorted(CREDIBILITY),
            values=context.pop("values", {}),
            **context,
        )

    @pages.get("/reports/new", response_class=HTMLResponse)
    def new_report(request: Request, conn: Conn, who: PageCaller) -> HTMLResponse:
        if who.role not in WRITERS:
            raise Forbidden(f"a {who.role.value} may not write reports; ask an analyst")
        return form(request, conn, who, 200)

    @pages.post("/reports/new", response_class=HTMLResponse)
    async def post_report(request: Request, who: PageCaller) -> Response:
        if not same_origin(request):
            raise Forbidden("write reports on this node's page")
        fields = await _fields(request)
        try:
            stix_id = create_report(request, who, report_in(fields))
        except (InvalidInput, Forbidden) as exc:
            with writing(request.app.state.engine) as conn:
                values: dict[str, Any] = {k: v[0] for k, v in fields.items()}
                values["releasable_to"] = fields.get("releasable_to", [])
                return form(request, conn, who, exc.status, error=str(exc), values=values)
        return RedirectResponse(f"{_root(request)}/reports/{stix_id}", status_code=303)

    @pages.get("/reports/{stix_id}", response_class=HTMLResponse)
    def report_page(request: Request, conn: Conn, who: PageCaller, stix_id: str) -> HTMLResponse:
        rows = objects.page(
            conn, who.viewer, objects.Query(ids=[stix_id], versions="all", limit=200)
        ).rows
        versions = records.records(conn, who.viewer, rows) if rows else []
        if not versions or versions[-1]["type"] != "report":
            return render.page(request, "not_found.html", who, status_code=404)
        record_read(request.app.state.engine, who, [stix_id], "page")
        current = versions[-1]
        places = records.places(conn, who.viewer, current["places"]).values()
        owner = current["originator"] == who.partner and who.role in WRITERS
        return render.page(
            request,
            "report.html",
            who,
            report=current,
            places=list(places),
            versions=list(reversed(versions)),
            can_withdraw=owner,
        )

    @pages.post("/reports/{stix_id}/withdraw")
    def withdraw(request: Request, who: PageCaller, stix_id: str) -> Response:
        if not same_origin(request):
            raise Forbidden("withdraw reports on this node's page")
        at = state_now(request.app.state)
        with writing(request.app.state.engine) as conn:
            exchange.withdraw(conn, who, stix_id, at)
        return RedirectResponse(f"{_root(request)}/reports", status_code=303)

    return pages


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")
