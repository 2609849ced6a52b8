"""The report pages: write one, read one with its history, withdraw one.

The form posts to the node as a plain HTML form (urlencoded, no script needed); the page's map
only fills in the latitude and longitude when the writer clicks it. What the form sends goes
through the same model and service as `POST /api/reports` (tansiq.api.reports), so the page
and the API accept and refuse exactly the same reports.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.api.auth import PageCaller, same_origin
from tansiq.api.deps import read_conn, root_path, state_now
from tansiq.api.reports import PlaceIn, ReportIn, create_report
from tansiq.domain.grading import CREDIBILITY, RELIABILITY
from tansiq.domain.markings import Tlp
from tansiq.domain.reports import WRITERS
from tansiq.errors import Forbidden, InvalidInput
from tansiq.sharing import exchange, records
from tansiq.sharing.reads import record_read
from tansiq.store import objects, users
from tansiq.store.database import writing
from tansiq.store.partners import list_partners
from tansiq.web.pages import MAX_FORM_BYTES, Renderer, form_lists

Conn = Annotated[Connection, Depends(read_conn)]


REPORT_FORM_BYTES = 10 * MAX_FORM_BYTES + 100_000
"""A report form: its text may be up to 100,000 characters."""


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
        fields = await form_lists(request, REPORT_FORM_BYTES, max_fields=200)
        try:
            stix_id = create_report(request, who, report_in(fields))
        except (InvalidInput, Forbidden) as exc:
            with writing(request.app.state.engine) as conn:
                values: dict[str, Any] = {k: v[0] for k, v in fields.items()}
                values["releasable_to"] = fields.get("releasable_to", [])
                return form(request, conn, who, exc.status, error=str(exc), values=values)
        return RedirectResponse(f"{root_path(request)}/reports/{stix_id}", status_code=303)

    @pages.get("/reports/inbox", response_class=HTMLResponse)
    def inbox(request: Request, who: PageCaller) -> HTMLResponse:
        """Partners' reports new since the user's last visit, oldest first; seen once shown."""
        with writing(request.app.state.engine) as conn:
            rows, more = _new_from_partners(conn, who, users.inbox_after(conn, who.name))
            items = records.records(conn, who.viewer, rows)
            if rows:
                users.set_inbox_after(conn, who.name, rows[-1].date_added)
        record_read(request.app.state.engine, who, [i["id"] for i in items], "page")
        return render.page(request, "inbox.html", who, items=items, more=more)

    @pages.get("/reports/{stix_id}", response_class=HTMLResponse)
    def report_page(request: Request, conn: Conn, who: PageCaller, stix_id: str) -> HTMLResponse:
        rows = objects.page(
            conn, who.viewer, objects.Query(ids=[stix_id], versions="all", limit=200)
        ).rows
        versions = records.records(conn, who.viewer, rows) if rows else []
        if not versions or versions[-1]["type"] != "report":
            return render.page(request, "error.html", who, status_code=404, status=404)
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
        return RedirectResponse(f"{root_path(request)}/reports", status_code=303)

    return pages


INBOX_PAGE = 100
"""Reports the inbox shows at a time; the rest wait for the next visit."""


def _new_from_partners(
    conn: Connection, who: Principal, after: int | None
) -> tuple[list[objects.StoredRow], bool]:
    """Up to INBOX_PAGE reports of other partners added after `after`, and whether more wait.
    Pages through the date_added index, skipping the caller's own partner's reports."""
    found: list[objects.StoredRow] = []
    while True:
        query = objects.Query(after=after, types=("report",), limit=500)
        page = objects.page(conn, who.viewer, query)
        for row in page.rows:
            if row.originator != who.partner:
                found.append(row)
                if len(found) == INBOX_PAGE:
                    return found, True
        if not page.more or not page.rows:
            return found, False
        after = page.rows[-1].date_added
