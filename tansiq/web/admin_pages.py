"""The administrator's pages under `/admin`: partners, users and their API tokens, peers and how
far each has been synced, and the audit log with a check of its hash chain.

Only an administrator may open them (anyone else gets 403; an anonymous browser is sent to the
login page). They work through the same service functions as `tansiq partners add`, `tansiq
users add` and `tansiq audit verify`, so the page and the console accept and refuse the same
things; like the console, they add no audit entry of their own for a partner or user added or a
token replaced (those services do not audit). The forms are plain urlencoded posts from this
node's pages (`same_origin`); a bad one is shown again with what was typed and changes nothing.

A new API token is shown once, on the page that answers the form's post, and never again: only
its hash is stored, so there is nothing to redirect to that could show it later. A peer's
token (the one this node sends to it) never reaches a template: the peers page is built from
`PeerStatus`, which does not carry it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.engine import Connection

from tansiq import accounts
from tansiq.accounts import Principal
from tansiq.api.auth import PageCaller, same_origin
from tansiq.api.deps import read_conn, root_path, state_now
from tansiq.domain.audit import AuditEntry, utc
from tansiq.domain.languages import NATIVE_NAMES, Language
from tansiq.domain.reports import Role
from tansiq.errors import Forbidden, InvalidInput, NotFound
from tansiq.sharing.stix import from_micros
from tansiq.sharing.sync import COLLECTIONS
from tansiq.store import audit, users
from tansiq.store import peers as peer_store
from tansiq.store.database import reading, writing
from tansiq.store.keys import Pin, list_pins
from tansiq.store.partners import (
    add_partner,
    check_code,
    find_partner,
    list_partners,
    node_partner_or_none,
)
from tansiq.web import i18n
from tansiq.web.pages import Renderer, form_fields, page_language

Conn = Annotated[Connection, Depends(read_conn)]
AUDIT_PAGE = 50
"""Audit entries on one page of the log."""
PARTNER_NAME_MAX = 200
"""The partners table's name column holds this many characters."""


def admin_caller(who: PageCaller) -> Principal:
    """The page's caller if they are an administrator: these pages change who may log in."""
    if who.role is not Role.ADMIN:
        raise Forbidden("only an administrator may use the admin pages")
    return who


AdminCaller = Annotated[Principal, Depends(admin_caller)]


class FormProblem(InvalidInput):
    """A mistake the form explains in the viewer's language: `key` picks the template's
    message (the English message is for logs and the API)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True, slots=True)
class UserRow:
    """What the users page shows of a user: never a password hash or a token hash."""

    name: str
    partner: str
    role: Role
    has_password: bool
    language: str | None


@dataclass(frozen=True, slots=True)
class PeerStatus:
    """What the peers page shows of a peer: everything but its token."""

    name: str
    url: str
    tls_ca: str | None
    tls_cert: str | None
    has_token: bool
    last_sync_at: datetime | None
    cursors: tuple[tuple[str, datetime | None], ...]
    """Each collection, with the date_added of the last object pulled from it."""
    pin: Pin | None
    """The peer's signing key this node trusts, if one is pinned yet."""


def user_rows(conn: Connection) -> list[UserRow]:
    return [
        UserRow(u.name, u.partner_code, u.role, u.password_hash is not None, u.language)
        for u in users.list_users(conn)
    ]


def peer_statuses(conn: Connection) -> list[PeerStatus]:
    """Each peer with its TLS files, last sync, collection cursors and pinned key."""
    pins = {pin.partner: pin for pin in list_pins(conn)}
    return [_status(conn, peer, pins.get(peer.name)) for peer in peer_store.list_peers(conn)]


def _status(conn: Connection, peer: peer_store.Peer, pin: Pin | None) -> PeerStatus:
    cursors = []
    for name in COLLECTIONS:
        micros = peer_store.cursor(conn, peer.name, name)
        cursors.append((name, from_micros(micros) if micros is not None else None))
    return PeerStatus(
        name=peer.name,
        url=peer.url,
        tls_ca=peer.tls.ca,
        tls_cert=peer.tls.cert,
        has_token=bool(peer.token),
        last_sync_at=utc(peer.last_sync_at) if peer.last_sync_at else None,
        cursors=tuple(cursors),
        pin=replace(pin, pinned_at=utc(pin.pinned_at)) if pin else None,
    )


def add_new_partner(
    conn: Connection, code: str, name: str, parent: str | None, now: datetime
) -> None:
    """Add a partner that does not exist yet. `add_partner` would rename an existing one; a
    form that says "add" must not quietly change a partner someone else set up."""
    try:
        check_code(code)
    except InvalidInput as exc:
        raise FormProblem("bad-code", str(exc)) from None
    if find_partner(conn, code) is not None:
        raise FormProblem("partner-exists", f"a partner with code {code!r} already exists")
    if len(name) > PARTNER_NAME_MAX:
        raise FormProblem("long-name", f"a partner name is at most {PARTNER_NAME_MAX} characters")
    add_partner(conn, code, name, parent, now)


def add_new_user(conn: Connection, fields: dict[str, str], now: datetime) -> tuple[users.User, str]:
    """Add a user from the form's fields: the user and their API token (shown once)."""
    name = fields.get("name", "").strip()
    if users.by_name(conn, name) is not None:
        raise FormProblem("user-exists", f"a user named {name!r} already exists")
    try:
        role = Role(fields.get("role", ""))
    except ValueError:
        raise InvalidInput("choose a role") from None
    password = fields.get("password") or None
    partner = fields.get("partner", "")
    return accounts.create_user(conn, name, partner, role, password, now)


@dataclass(frozen=True, slots=True)
class AuditWindow:
    """One page of the audit log, newest first, and the `before` of the pages around it."""

    entries: list[AuditEntry]
    older: int | None
    """`before` for the next older page; None on the oldest."""
    newer: int | None
    """`before` for the next newer page, unless that is the newest page (no `before`)."""
    newest: bool
    """Whether this is the newest page."""


def audit_window(conn: Connection, before: int | None) -> AuditWindow:
    """The entries with seq in [before - AUDIT_PAGE, before), newest first.

    Pages are ranges of seq, not offsets, so that the logins appended while an administrator
    reads (each is audited) do not shift the older pages under them.
    """
    newest = audit.latest(conn, 1)
    top = newest[-1].seq + 1 if newest else 1
    end = min(before or top, top)
    start = max(end - AUDIT_PAGE, 1)
    found = audit.entries(conn, after=start - 1, limit=AUDIT_PAGE)
    newer = end + AUDIT_PAGE
    return AuditWindow(
        entries=[e for e in reversed(found) if e.seq < end],
        older=start if start > 1 else None,
        newer=newer if newer < top else None,
        newest=end == top,
    )


def detail_text(entry: AuditEntry) -> str:
    """An entry's detail as JSON text, as `tansiq audit list` prints it (names in Arabic or
    Kurdish stay readable instead of escaped)."""
    if not isinstance(entry.detail, Mapping):
        return str(entry.detail)  # a detail edited into something that is not JSON
    return orjson.dumps(entry.detail, default=dict).decode()


def router(render: Renderer) -> APIRouter:
    """The `/admin` pages, rendered by `render`."""
    pages = APIRouter(include_in_schema=False)

    @pages.get("/admin", response_class=HTMLResponse)
    def overview(request: Request, conn: Conn, who: AdminCaller) -> HTMLResponse:
        """The node's partner, how many of each thing it has, and the way to each section."""
        own = node_partner_or_none(conn)
        newest = audit.latest(conn, 1)
        return render.page(
            request,
            "admin.html",
            who,
            partner=find_partner(conn, own) if own else None,
            partners=len(list_partners(conn)),
            users=len(users.list_users(conn)),
            peers=peer_statuses(conn),
            newest=newest[-1] if newest else None,
        )

    def partners_form(
        request: Request, conn: Connection, who: Principal, status: int = 200, **context: Any
    ) -> HTMLResponse:
        return render.page(
            request,
            "admin_partners.html",
            who,
            status_code=status,
            partners=list_partners(conn),
            own=node_partner_or_none(conn),
            values=context.pop("values", {}),
            **context,
        )

    @pages.get("/admin/partners", response_class=HTMLResponse)
    def partners_page(request: Request, conn: Conn, who: AdminCaller) -> HTMLResponse:
        return partners_form(request, conn, who)

    @pages.post("/admin/partners", response_class=HTMLResponse)
    async def post_partner(request: Request, who: AdminCaller) -> Response:
        if not same_origin(request):
            raise Forbidden("add partners on this node's page")
        fields = await form_fields(request)
        code, name = fields.get("code", "").strip(), fields.get("name", "").strip()
        parent = fields.get("parent", "").strip() or None
        engine = request.app.state.engine
        try:
            with writing(engine) as conn:
                add_new_partner(conn, code, name, parent, state_now(request.app.state))
        except InvalidInput as exc:
            with reading(engine) as conn:
                return partners_form(request, conn, who, 400, **_problem(exc, fields))
        return _see_other(request, "/admin/partners")

    def users_form(
        request: Request, conn: Connection, who: Principal, status: int = 200, **context: Any
    ) -> HTMLResponse:
        lang = page_language(request, who)
        return render.page(
            request,
            "admin_users.html",
            who,
            status_code=status,
            users=user_rows(conn),
            partners=list_partners(conn),
            roles=[(r.value, i18n.role_label(lang, r.value)) for r in Role],
            language_names=_language_names(),
            values=context.pop("values", {}),
            **context,
        )

    @pages.get("/admin/users", response_class=HTMLResponse)
    def users_page(request: Request, conn: Conn, who: AdminCaller) -> HTMLResponse:
        return users_form(request, conn, who)

    @pages.post("/admin/users", response_class=HTMLResponse)
    async def post_user(request: Request, who: AdminCaller) -> Response:
        """Add a user and show their API token on this answer, the only time it is shown."""
        if not same_origin(request):
            raise Forbidden("add users on this node's page")
        fields = await form_fields(request)
        engine = request.app.state.engine
        try:
            with writing(engine) as conn:
                user, token = add_new_user(conn, fields, state_now(request.app.state))
        except (InvalidInput, NotFound) as exc:
            fields.pop("password", None)  # never sent back to the browser
            with reading(engine) as conn:
                return users_form(request, conn, who, 400, **_problem(exc, fields))
        return render.page(request, "admin_token.html", who, user=user.name, token=token, new=True)

    @pages.post("/admin/users/token", response_class=HTMLResponse)
    async def post_token(request: Request, who: AdminCaller) -> Response:
        """Replace a user's API token (the old one stops working) and show the new one once."""
        if not same_origin(request):
            raise Forbidden("issue tokens on this node's page")
        name = (await form_fields(request)).get("name", "")
        with writing(request.app.state.engine) as conn:
            token = accounts.new_token_for(conn, name)
        return render.page(request, "admin_token.html", who, user=name, token=token, new=False)

    @pages.get("/admin/peers", response_class=HTMLResponse)
    def peers_page(request: Request, conn: Conn, who: AdminCaller) -> HTMLResponse:
        """What `tansiq peers list` shows, with each collection's cursor; never a token."""
        return render.page(request, "admin_peers.html", who, peers=peer_statuses(conn))

    @pages.get("/admin/audit", response_class=HTMLResponse)
    def audit_page(
        request: Request,
        conn: Conn,
        who: AdminCaller,
        before: Annotated[int | None, Query(ge=1)] = None,
        verify: bool = False,
    ) -> HTMLResponse:
        """A page of entries, and with `verify` the chain's check (as `tansiq audit verify`).

        The check walks every entry (about a second per 100,000), so it runs when asked for,
        not on every page of the log.
        """
        verdict = audit.verify(conn) if verify else None
        window = audit_window(conn, before)
        return render.page(
            request, "admin_audit.html", who, verdict=verdict, window=window, detail=detail_text
        )

    return pages


def _problem(exc: Exception, fields: dict[str, str]) -> dict[str, Any]:
    """The form's error (a message key when the page can say it in the viewer's language) and
    what was typed, for the form to show again."""
    key = exc.key if isinstance(exc, FormProblem) else None
    return {"error": str(exc), "error_key": key, "values": fields}


def _language_names() -> dict[str, str]:
    return {x.value: NATIVE_NAMES[x] for x in Language}


def _see_other(request: Request, path: str) -> Response:
    root = root_path(request)
    return RedirectResponse(root + path, status_code=303)
