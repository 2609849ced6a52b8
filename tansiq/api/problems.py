"""The one place errors become HTTP responses: RFC 9457 `application/problem+json`.

Routes raise typed errors (tansiq.errors) and never build error responses by hand. A client's
mistake is a 4xx with a plain explanation; anything unexpected is a 500 that says nothing
about the internals (the traceback goes to the server log only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from tansiq.api.deps import root_path
from tansiq.errors import LoginRequired, TansiqError

PROBLEM_JSON = "application/problem+json"
CHALLENGE = 'Bearer realm="tansiq", Basic realm="tansiq"'
log = logging.getLogger("tansiq.api")


def problem(status: int, title: str, detail: str) -> JSONResponse:
    """A problem+json response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _tansiq_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TansiqError)
    if exc.status >= 500:
        log.error("%s: %s", type(exc).__name__, exc)
    response = problem(exc.status, exc.title, str(exc))
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = CHALLENGE
    return response


async def _login_required(request: Request, exc: Exception) -> Response:
    """A page asked for without a session: the login page, which comes back here after."""
    assert isinstance(exc, LoginRequired)
    root = root_path(request)
    return RedirectResponse(f"{root}/login?{urlencode({'next': exc.path})}", status_code=303)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = "; ".join(_describe(error) for error in exc.errors())
    return problem(400, "Invalid input", details)


def _describe(error: Mapping[str, Any]) -> str:
    location = error.get("loc", ())
    where = ".".join(str(part) for part in location if part not in ("query", "path", "body"))
    return f"{where}: {error.get('msg', 'invalid')}"


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    return problem(exc.status_code, title, str(exc.detail))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return problem(500, "Internal error", "The node could not answer; the error was logged.")


def install(app: FastAPI) -> None:
    """Route every error of the app through problem+json."""
    app.add_exception_handler(TansiqError, _tansiq_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
