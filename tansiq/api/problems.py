"""The one place errors become HTTP responses: RFC 9457 `application/problem+json`, or for a
browser asking for a page, the translated HTML error page (tansiq.web.error_pages).

Routes raise typed errors (tansiq.errors) and never build error responses by hand. A client's
mistake is a 4xx with a plain explanation; anything unexpected is a 500 that says nothing
about the internals (the traceback goes to the server log only). The API and TAXII always
answer for programs (TAXII with its own error resources, tansiq.sharing.taxii.errors).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from tansiq.api.deps import root_path
from tansiq.errors import LoginRequired, TansiqError, TooManyAttempts
from tansiq.web.error_pages import ErrorPages, wants_page

PROBLEM_JSON = "application/problem+json"
CHALLENGE = 'Bearer realm="tansiq", Basic realm="tansiq"'
log = logging.getLogger("tansiq.api")


@dataclass(frozen=True, slots=True)
class Problem:
    """What an error answers: its status, a short title and the detail for programs."""

    status: int
    title: str
    detail: str
    headers: Mapping[str, str] = field(default_factory=dict)


def problem(status: int, title: str, detail: str) -> JSONResponse:
    """A problem+json response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _tansiq_error(exc: Exception) -> Problem:
    assert isinstance(exc, TansiqError)
    if exc.status >= 500:
        log.error("%s: %s", type(exc).__name__, exc)
    headers = {"WWW-Authenticate": CHALLENGE} if exc.status == 401 else {}
    if isinstance(exc, TooManyAttempts):
        headers = {"Retry-After": str(exc.retry_after_s)}
    return Problem(exc.status, exc.title, str(exc), headers)


def _validation_error(exc: Exception) -> Problem:
    assert isinstance(exc, RequestValidationError)
    details = "; ".join(_describe(error) for error in exc.errors())
    return Problem(400, "Invalid input", details)


def _describe(error: Mapping[str, Any]) -> str:
    location = error.get("loc", ())
    where = ".".join(str(part) for part in location if part not in ("query", "path", "body"))
    return f"{where}: {error.get('msg', 'invalid')}"


def _http_error(exc: Exception) -> Problem:
    assert isinstance(exc, HTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    return Problem(exc.status_code, title, str(exc.detail), exc.headers or {})


def _unexpected(exc: Exception) -> Problem:
    log.exception("unexpected error", exc_info=exc)
    return Problem(500, "Internal error", "The node could not answer; the error was logged.")


async def _login_required(request: Request, exc: Exception) -> Response:
    """A page asked for without a session: the login page, which comes back here after."""
    assert isinstance(exc, LoginRequired)
    root = root_path(request)
    return RedirectResponse(f"{root}/login?{urlencode({'next': exc.path})}", status_code=303)


Handler = Callable[[Request, Exception], Awaitable[Response]]


def _answering(pages: ErrorPages, describe: Callable[[Exception], Problem]) -> Handler:
    """A handler that answers `describe(exc)` as problem+json, or as the HTML error page when a
    browser asked for a page."""

    async def answer(request: Request, exc: Exception) -> Response:
        found = describe(exc)
        response: Response | None = None
        if wants_page(request):
            response = _page(pages, request, found.status)
        if response is None:
            response = problem(found.status, found.title, found.detail)
            response.headers.update(found.headers)
        elif "Allow" in found.headers:  # a browser gets no challenge: it would pop up a dialog
            response.headers["Allow"] = found.headers["Allow"]
        return response

    return answer


def _page(pages: ErrorPages, request: Request, status: int) -> Response | None:
    try:
        return pages.page(request, status)
    except Exception:  # the page must not hide the error it answers: fall back to problem+json
        log.exception("the error page failed")
        return None


def install(app: FastAPI) -> None:
    """Route every error of the app through problem+json, or the HTML error page for browsers."""
    pages = ErrorPages()
    app.add_exception_handler(TansiqError, _answering(pages, _tansiq_error))
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(RequestValidationError, _answering(pages, _validation_error))
    app.add_exception_handler(HTTPException, _answering(pages, _http_error))
    app.add_exception_handler(Exception, _answering(pages, _unexpected))
