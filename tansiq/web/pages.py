"""HTML pages and static assets of a node.

`router()` serves the pages; `mount_static(app)` serves our own `static/` folder and the vendored
Leaflet and Leaflet.markercluster from their xstatic packages. Every asset comes from the node:
the Content-Security-Policy on each page forbids the browser from loading or connecting anywhere
else, so an air-gapped node never waits on (or leaks to) an outside host.

Every page but the login page needs a session (tansiq.api.auth.page_caller sends an anonymous
browser to `/login`). Each is rendered in the viewer's language (tansiq.web.i18n): the one they
chose, else the `tansiq_lang` cookie the login page's switch sets, else their browser's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.engine import Connection

import tansiq
from tansiq import accounts
from tansiq.accounts import Principal
from tansiq.api import session
from tansiq.api.auth import OptionalCaller, PageCaller, same_origin
from tansiq.api.deps import read_conn, root_path, state_now
from tansiq.domain.languages import NATIVE_NAMES, Language, from_accept_language, language
from tansiq.domain.reports import WRITERS
from tansiq.errors import Forbidden, InvalidInput, TooManyAttempts, Unauthorized
from tansiq.sharing import records
from tansiq.sharing.reads import record_read
from tansiq.store.database import writing
from tansiq.web import i18n

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LEAFLET_DIR = Path(xstatic.pkg.leaflet.BASE_DIR)
MARKERCLUSTER_DIR = Path(xstatic.pkg.leaflet_markercluster.BASE_DIR)
LANGUAGE_COOKIE = "tansiq_lang"
MAX_FORM_BYTES = 4096

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
    # same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on a form
    # post, and the session's origin check (tansiq.api.auth) would refuse the node's own forms.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def page_language(request: Request, who: Principal | None) -> Language:
    if who is not None and who.language is not None:
        return who.language
    cookie = request.cookies.get(LANGUAGE_COOKIE, "")
    if cookie in Language._value2member_map_:
        return Language(cookie)
    return from_accept_language(request.headers.get("accept-language"))


class Renderer:
    """Templates rendered in the viewer's language, with the page headers."""

    def __init__(self) -> None:
        self.templates = Jinja2Templates(directory=TEMPLATES_DIR)

    def page(
        self,
        request: Request,
        template: str,
        who: Principal | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = page_language(request, who)
        tr = i18n.translation(lang)
        context.update(
            root=root_path(request),
            version=tansiq.__version__,
            who=who,
            lang=lang.value,
            dir=lang.direction,
            locale=i18n.LOCALE_TAGS[lang],
            languages=[(x.value, NATIVE_NAMES[x]) for x in Language],
            _=tr.gettext,
            ngettext=tr.ngettext,
            strings_json=Markup(_script_safe(i18n.page_strings(lang))),
            path=request.url.path,
            back=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            role_label=i18n.role_label(lang, who.role.value) if who else "",
            num=lambda n: i18n.format_number(n, lang),
            when=lambda moment: i18n.format_when(moment, lang),
            day=lambda d: i18n.format_day(d, lang),
        )
        return self.templates.TemplateResponse(
            request, template, context, status_code=status_code, headers=PAGE_HEADERS
        )


def _script_safe(data: bytes) -> str:
    """JSON to embed in a <script type="application/json">: no "</" can close the element."""
    return data.decode().replace("</", "<\\/")


async def form_lists(
    request: Request, max_bytes: int = MAX_FORM_BYTES, max_fields: int = 20
) -> dict[str, list[str]]:
    """An urlencoded form's fields, each with every value sent (checkboxes repeat a name);
    InvalidInput for a body over `max_bytes` or one that is not a form."""
    body = await request.body()
    if len(body) > max_bytes:
        raise InvalidInput("form too large")
    try:
        return parse_qs(body.decode(), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("not a form") from None


async def form_fields(request: Request) -> dict[str, str]:
    """A small urlencoded form (login, language): the first value of each field."""
    return {key: values[0] for key, values in (await form_lists(request)).items()}


def safe_next(target: str | None, root: str) -> str:
    """Where to go after logging in: a path on this node only (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return root + "/"
    return target


def router(render: Renderer) -> APIRouter:
    """The page routes: `GET /` is the map (the common operating picture)."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/", response_class=HTMLResponse)
    def map_page(request: Request, who: PageCaller) -> HTMLResponse:
        return render.page(request, "map.html", who)

    @pages.get("/reports", response_class=HTMLResponse)
    def reports_page(
        request: Request,
        conn: Annotated[Connection, Depends(read_conn)],
        who: PageCaller,
        q: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        """The reports the caller may read, newest first."""
        total, items = records.listing(conn, who.viewer, "report", q, limit=200)
        record_read(request.app.state.engine, who, [i["id"] for i in items], "page")
        can_write = who.role in WRITERS
        return render.page(
            request, "reports.html", who, q=q, items=items, total=total, can_write=can_write
        )

    @pages.get("/login", response_class=HTMLResponse)
    def login_page(
        request: Request,
        who: OptionalCaller,
        next_: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
    ) -> Response:
        if who is not None:
            return RedirectResponse(safe_next(next_, root_path(request)), status_code=303)
        return render.page(request, "login.html", None, next=next_ or "", failed=False)

    @pages.post("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        form = await form_fields(request)
        target = form.get("next", "")
        try:
            _, token = session.start_session(
                request,
                form.get("name", "")[:100],
                form.get("password", "")[:1000],
                state_now(request.app.state),
            )
        except (Unauthorized, TooManyAttempts) as refused:
            throttled = refused if isinstance(refused, TooManyAttempts) else None
            response: Response = render.page(
                request,
                "login.html",
                None,
                status_code=refused.status,
                next=target,
                failed=True,
                wait_minutes=throttled.minutes if throttled else None,
                name=form.get("name", "")[:100],
            )
            if throttled:
                response.headers["Retry-After"] = str(throttled.retry_after_s)
            return response
        response = RedirectResponse(safe_next(target, root_path(request)), status_code=303)
        session.set_session_cookie(request, response, token)
        return response

    @pages.post("/logout")
    def logout_form(request: Request) -> Response:
        if not same_origin(request):
            raise Forbidden("log out from this node's page")
        response = RedirectResponse(root_path(request) + "/login", status_code=303)
        session.end_session(request, response, state_now(request.app.state))
        return response

    @pages.post("/language")
    async def language_form(request: Request, who: OptionalCaller) -> Response:
        """The language switch: remembered for the user, or in a cookie before login."""
        if not same_origin(request):
            raise Forbidden("choose the language on this node's page")
        form = await form_fields(request)
        chosen = language(form.get("language", ""))
        if who is not None:
            with writing(request.app.state.engine) as conn:
                accounts.choose_language(conn, who.name, chosen)
        back = safe_next(form.get("back"), root_path(request))
        response = RedirectResponse(back, status_code=303)
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen.value,
            max_age=365 * 24 * 3600,
            path=root_path(request) or "/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

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
