"""Logging in and out of the web page, and the language a user chose.

`POST /api/session` checks a password and sets the session cookie (HttpOnly, SameSite=Strict,
Secure when the node serves HTTPS); `DELETE /api/session` ends it. The HTML login form posts to
`/login` (tansiq.web.login), which uses the same functions. Logins, failed logins and logouts
go to the audit chain: an administrator sees who tried what, and when. Too many wrong
passwords for a name or from an address refuse logins for a while (tansiq.api.throttle).
"""

from __future__ import annotations

import logging
import math
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.engine import Connection

from tansiq import accounts
from tansiq.accounts import Principal
from tansiq.api import throttle
from tansiq.api.auth import SESSION_COOKIE, Caller
from tansiq.api.deps import now, root_path
from tansiq.api.throttle import LoginThrottle
from tansiq.domain.languages import Language
from tansiq.errors import TooManyAttempts, Unauthorized
from tansiq.store import audit
from tansiq.store.database import writing

router = APIRouter(tags=["session"])
log = logging.getLogger("tansiq.api")


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class LanguageIn(BaseModel):
    language: Language


def whoami(who: Principal) -> dict[str, Any]:
    return {
        "user": who.name,
        "partner": who.partner,
        "role": who.role.value,
        "language": who.language.value if who.language else None,
    }


def start_session(
    request: Request, name: str, password: str, at: datetime
) -> tuple[Principal, str]:
    """Check the password and open a session (audited either way); Unauthorized if wrong,
    TooManyAttempts while the name or the address is throttled (tansiq.api.throttle)."""
    shown = name.replace("\x00", "")[:100]  # what the audit can record of a name
    limiter: LoginThrottle = request.app.state.login_throttle
    counted = throttle.keys(shown, request.client.host if request.client else None)
    wait = limiter.retry_after(counted, at)
    if wait is not None:
        with writing(request.app.state.engine) as conn:
            _audit_login(conn, at, shown, "login-throttled")
        log.warning("login for %r refused: too many failures", shown)
        raise TooManyAttempts(math.ceil(wait.total_seconds()))
    with writing(request.app.state.engine) as conn:
        try:
            who, token = accounts.log_in(conn, name, password, at)
        except Unauthorized:
            _audit_login(conn, at, shown, "login-failed")
            failed = True
        else:
            _audit_login(conn, at, shown, "login")
            failed = False
    if failed:
        limiter.failed(counted, at)
        log.warning("failed login for %r", shown)
        raise Unauthorized("wrong user name or password")
    limiter.succeeded(counted[0])
    return who, token


def _audit_login(conn: Connection, at: datetime, name: str, action: str) -> None:
    audit.append(conn, at=at, actor=name, action=action, subject=name, detail={})


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    root = root_path(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_HOURS * 3600),
        path=root or "/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def end_session(request: Request, response: Response, at: datetime) -> None:
    """End the request's session, if any, and tell the browser to forget the cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with writing(request.app.state.engine) as conn:
            who = accounts.by_session(conn, token, at)
            if accounts.log_out(conn, token) and who is not None:
                audit.append(
                    conn, at=at, actor=who.name, action="logout", subject=who.name, detail={}
                )
    root = root_path(request)
    response.delete_cookie(SESSION_COOKIE, path=root or "/", httponly=True, samesite="strict")


@router.post("/api/session")
def log_in(
    request: Request, response: Response, body: LoginIn, at: Annotated[datetime, Depends(now)]
) -> dict[str, Any]:
    """Log in with a user name and password: sets the session cookie the page uses."""
    who, token = start_session(request, body.name, body.password, at)
    set_session_cookie(request, response, token)
    return whoami(who)


@router.get("/api/session")
def current(who: Caller) -> dict[str, Any]:
    """Who the caller is: user, partner, role and chosen language."""
    return whoami(who)


@router.delete("/api/session", status_code=204)
def log_out(request: Request, at: Annotated[datetime, Depends(now)]) -> Response:
    """End the page's session (a no-op for a token, which stays valid)."""
    response = Response(status_code=204)
    end_session(request, response, at)
    return response


@router.put("/api/session/language", status_code=204)
def choose_language(request: Request, who: Caller, body: LanguageIn) -> Response:
    """Remember the caller's interface language (en, ar or ckb) for every later visit."""
    with writing(request.app.state.engine) as conn:
        accounts.choose_language(conn, who.name, body.language)
    return Response(status_code=204)
