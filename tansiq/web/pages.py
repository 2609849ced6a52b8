"""HTML pages and static assets of a node.

`router()` serves the pages; `mount_static(app)` serves our own `static/` folder and the vendored
Leaflet and Leaflet.markercluster from their xstatic packages. Every asset comes from the node:
the Content-Security-Policy on each page forbids the browser from loading or connecting anywhere
else, so an air-gapped node never waits on (or leaks to) an outside host.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Connection

import tansiq
from tansiq.api.auth import Caller
from tansiq.api.deps import read_conn
from tansiq.sharing import records
from tansiq.sharing.reads import record_read

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
MARKERCLUSTER_DIR = Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)

# 'self' only: no CDN, tile server or web font can load, and fetch() can reach only this node.
# Inline styles stay allowed because Leaflet positions map panes with style attributes.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def router() -> APIRouter:
    """The page routes: `GET /` is the map (the common operating picture)."""
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    pages = APIRouter(include_in_schema=False)

    @pages.get("/", response_class=HTMLResponse)
    def map_page(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        context = {"root": root, "version": tansiq.__version__}
        return templates.TemplateResponse(request, "map.html", context, headers=PAGE_HEADERS)

    @pages.get("/reports", response_class=HTMLResponse)
    def reports_page(
        request: Request,
        conn: Annotated[Connection, Depends(read_conn)],
        who: Caller,
        q: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        """The reports the caller may read, newest first (login: Bearer token or Basic)."""
        total, items = records.listing(conn, who.viewer, "report", q, limit=200)
        context = {
            "root": str(request.scope.get("root_path", "")).rstrip("/"),
            "version": tansiq.__version__,
            "user": who.name,
            "partner": who.partner,
            "role": who.role.value,
            "q": q,
            "items": items,
            "total": total,
        }
        record_read(request.app.state.engine, who, [i["id"] for i in items], "page")
        return templates.TemplateResponse(request, "reports.html", context, headers=PAGE_HEADERS)

    return pages


def mount_static(app: FastAPI) -> None:
    """Serve `/static/` (ours) and `/static/vendor/{leaflet,markercluster}/` (xstatic)."""
    # The vendor mounts go first: Starlette matches mounts in order, and `/static` would
    # otherwise swallow `/static/vendor/...`.
    app.mount("/static/vendor/leaflet", StaticFiles(directory=LEAFLET_DIR), name="vendor-leaflet")
    app.mount(
        "/static/vendor/markercluster",
        StaticFiles(directory=MARKERCLUSTER_DIR),
        name="vendor-markercluster",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
