"""The pages of joint operations, tasks and the border: planning an operation by drawing it on
the map, the operations and one operation, the approvals inbox, conflicts, the tasks board and
the border view.

Releasability. These pages render no operation, conflict, task or observation on the server:
each page is a frame whose script asks the node's API (`/api/operations`, `/api/conflicts`,
`/api/tasks`, `/api/border/...`) with the viewer's session, so a page shows exactly what the API
releases to the viewer and nothing the API would not (a conflict's other side is a partner and
whom to call, never its plan). The server fills in only what is the viewer's own: their partner,
their side (for the inbox) and role, and the list of partners and operation types for the form.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from tansiq.accounts import Principal
from tansiq.api.auth import PageCaller
from tansiq.api.deps import read_conn, settings
from tansiq.domain import operations as ops
from tansiq.domain.markings import Tlp
from tansiq.settings import Settings
from tansiq.store.partners import list_partners, partner_parents
from tansiq.web.pages import Renderer

Conn = Annotated[Connection, Depends(read_conn)]
NodeSettings = Annotated[Settings, Depends(settings)]
OperationId = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9-]+$")]


def viewer_side(conn: Connection, who: Principal, node: Settings) -> str:
    """The approving side the viewer belongs to ("" for none): the inbox lists what waits for
    it. The viewer's own standing, not anyone's data."""
    return ops.side_of(who.partner, partner_parents(conn), node.ops_sides) or ""


def _frame(who: Principal, side: str) -> dict[str, Any]:
    return {
        "viewer_partner": who.partner,
        "viewer_side": side,
        "viewer_role": who.role.value,
        "is_approver": who.role.value == "approver",
        "can_plan": who.role in ops.PLANNERS,
    }


def router(render: Renderer) -> APIRouter:
    """The operations, approvals, conflicts, tasks and border pages (see the module's doc)."""
    pages = APIRouter(include_in_schema=False)

    def frame(
        request: Request,
        conn: Connection,
        who: Principal,
        node: Settings,
        template: str,
        **more: Any,
    ) -> HTMLResponse:
        side = viewer_side(conn, who, node)
        return render.page(request, template, who, **_frame(who, side), **more)

    @pages.get("/operations", response_class=HTMLResponse)
    def operations_page(
        request: Request, conn: Conn, who: PageCaller, node: NodeSettings
    ) -> HTMLResponse:
        """The operations the viewer may see (loaded by ops-list.js)."""
        return frame(request, conn, who, node, "ops_list.html")

    @pages.get("/operations/new", response_class=HTMLResponse)
    def plan_page(
        request: Request, conn: Conn, who: PageCaller, node: NodeSettings
    ) -> HTMLResponse:
        """Plan an operation by drawing its area on the map (ops-new.js, draw.js)."""
        partners = [p for p in list_partners(conn) if p.code != who.partner]
        return frame(
            request,
            conn,
            who,
            node,
            "ops_new.html",
            partners=partners,
            types=[t.value for t in ops.OperationType],
            tlps=[t.value for t in Tlp],
            rules=ops.TYPE_RULES,
        )

    @pages.get("/operations/{operation_id}", response_class=HTMLResponse)
    def operation_page(
        request: Request, conn: Conn, who: PageCaller, node: NodeSettings, operation_id: OperationId
    ) -> HTMLResponse:
        """One operation (ops-show.js asks the API; one not released reads as not found)."""
        return frame(request, conn, who, node, "ops_show.html", operation_id=operation_id)

    @pages.get("/approvals", response_class=HTMLResponse)
    def approvals_page(
        request: Request, conn: Conn, who: PageCaller, node: NodeSettings
    ) -> HTMLResponse:
        """Operations waiting for the viewer's side, the nearest deadline first."""
        return frame(request, conn, who, node, "approvals.html")

    @pages.get("/conflicts", response_class=HTMLResponse)
    def conflicts_page(
        request: Request, conn: Conn, who: PageCaller, node: NodeSettings
    ) -> HTMLResponse:
        """The viewer's partner's conflicts, as disclosed to it, with acknowledge buttons."""
        return frame(request, conn, who, node, "ops_conflicts.html")

    @pages.get("/tasks", response_class=HTMLResponse)
    def tasks_page(
        request: Request, conn: Conn, who: PageCaller, node: NodeSettings
    ) -> HTMLResponse:
        """The tasks board and the per-partner metrics (tasks.js)."""
        return frame(request, conn, who, node, "tasks.html")

    @pages.get("/border", response_class=HTMLResponse)
    def border_page(
        request: Request, conn: Conn, who: PageCaller, node: NodeSettings
    ) -> HTMLResponse:
        """The Syria border: sectors, observations and alerts on the map (border.js)."""
        return frame(request, conn, who, node, "border.html")

    return pages
