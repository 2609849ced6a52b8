"""Who is calling: a Bearer token, HTTP Basic with a password or token, or a page session.

`Token` is read like `Bearer`: taxii2-client's TokenAuth sends that scheme. Scripts and partner
nodes send an Authorization header; the web page logs in once (tansiq.api.session) and then
sends the session cookie, which is HttpOnly and SameSite=Strict.

A request authenticated by the cookie alone that changes something (any method but GET, HEAD
and OPTIONS) must come from a page of this node: its Origin header must name this node. With
SameSite=Strict a browser does not send the cookie from another site anyway; the Origin check
also covers browsers that ignore SameSite. Scripts are not affected: they send a token.

Every route that reads or writes marked objects depends on `caller` (or `page_caller` for HTML
pages, which sends an anonymous browser to the login page); a missing or wrong credential is a
401 with a WWW-Authenticate challenge, and says nothing about what exists.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Connection

from tansiq import accounts
from tansiq.accounts import Principal
from tansiq.api.deps import read_conn, state_now
from tansiq.errors import Forbidden, LoginRequired, Unauthorized

SESSION_COOKIE = "tansiq_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def authenticate(conn: Connection, header: str | None) -> Principal:
    """The principal for an Authorization header value, or Unauthorized."""
    found = _from_header(conn, header)
    if found is None:
        raise Unauthorized("send a valid API token (Authorization: Bearer ...) or Basic login")
    return found


def _from_header(conn: Connection, header: str | None) -> Principal | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() in ("bearer", "token") and value:
        return accounts.by_token(conn, value.strip())
    if scheme.lower() == "basic" and value:
        name, secret = _basic(value.strip())
        return accounts.by_password(conn, name, secret) if name else None
    return None


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    name, _, secret = decoded.partition(":")
    return name, secret


def _from_session(request: Request, conn: Connection) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    found = accounts.by_session(conn, token, state_now(request.app.state))
    if found is not None and request.method not in SAFE_METHODS and not same_origin(request):
        raise Forbidden("a change sent with the page's session must come from this node's page")
    return found


def same_origin(request: Request) -> bool:
    """Whether the request's Origin header names the host it was sent to."""
    origin = request.headers.get("origin")
    if not origin:
        return False
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def optional_caller(
    request: Request, conn: Annotated[Connection, Depends(read_conn)]
) -> Principal | None:
    """The caller if they sent credentials (a header wins over the cookie), else None; bad
    credentials in a header are refused rather than ignored."""
    header = request.headers.get("authorization")
    if header:
        return authenticate(conn, header)
    return _from_session(request, conn)


def caller(
    found: Annotated[Principal | None, Depends(optional_caller)],
) -> Principal:
    if found is None:
        raise Unauthorized(
            "log in, or send a valid API token (Authorization: Bearer ...) or Basic login"
        )
    return found


def page_caller(
    request: Request, found: Annotated[Principal | None, Depends(optional_caller)]
) -> Principal:
    """For HTML pages: the caller, else the browser is sent to the login page."""
    if found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return found


Caller = Annotated[Principal, Depends(caller)]
PageCaller = Annotated[Principal, Depends(page_caller)]
OptionalCaller = Annotated[Principal | None, Depends(optional_caller)]
