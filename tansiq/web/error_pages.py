"""Error pages for people: a browser that asks for a page and meets an error gets an HTML page in
its language (with the menu, if it is logged in), not problem+json.

tansiq.api.problems maps every error to its status in one place and asks `wants_page` which
form the answer takes; this module renders the page. The API (`/api/...`), TAXII (`/taxii2/...`,
which answers with its own error resources) and the OpenAPI document always answer as they did,
whatever the client accepts.

The page says only what the status means, in the viewer's language: never the error's message,
which may name the object asked for, and never a traceback.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError

from tansiq.accounts import Principal
from tansiq.api.auth import optional_caller
from tansiq.api.deps import root_path
from tansiq.errors import TansiqError
from tansiq.store.database import reading
from tansiq.web.pages import Renderer

MACHINE_ROOTS = frozenset({"api", "taxii2", "openapi.json"})
"""First path segments whose errors are always for programs (problem+json or TAXII's own)."""


def wants_page(request: Request) -> bool:
    """Whether to answer an error with an HTML page: a browser (its Accept names text/html)
    asking for anything but the API, TAXII or the OpenAPI document."""
    path, root = request.url.path, root_path(request)
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    if path.lstrip("/").split("/", 1)[0] in MACHINE_ROOTS:
        return False
    return "text/html" in request.headers.get("accept", "").lower()


class ErrorPages:
    """Renders the error page for a status, in the viewer's language."""

    def __init__(self, render: Renderer | None = None) -> None:
        self.render = render or Renderer()

    def page(self, request: Request, status: int) -> HTMLResponse:
        who = _viewer(request)
        return self.render.page(request, "error.html", who, status_code=status, status=status)


def _viewer(request: Request) -> Principal | None:
    """Who is looking, if their session (or header) says so; nobody if that cannot be told.
    The error being answered may be the database itself, or a refused credential, so a failure
    here shows the page without the menu rather than failing again."""
    try:
        with reading(request.app.state.engine) as conn:
            return optional_caller(request, conn)
    except (TansiqError, SQLAlchemyError):
        return None
