"""TAXII error resources: every failure under /taxii2/ answers with one, never problem+json.

Routes raise `TaxiiError` (or tansiq's own typed errors, which carry their status);
`error_response` renders any exception as the TAXII error resource (section 3.6.1) with the
TAXII media type, so that a TAXII client can read every answer it gets, 401 and 500 included.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Final

import orjson
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from tansiq.errors import TansiqError
from tansiq.sharing.taxii.media import taxii_response

CHALLENGE: Final = 'Basic realm="tansiq", Bearer realm="tansiq"'
_TITLES: Final[Mapping[int, str]] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request entity too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    500: "Internal error",
}
log = logging.getLogger("tansiq.taxii")


class TaxiiError(Exception):
    """A TAXII request that fails with `status`; `description` is shown to the client."""

    def __init__(
        self,
        status: int,
        title: str,
        description: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.title = title
        self.description = description
        self.headers = dict(headers or {})


def unauthorized(description: str) -> TaxiiError:
    return TaxiiError(401, "Unauthorized", description, {"WWW-Authenticate": CHALLENGE})


def not_found(description: str) -> TaxiiError:
    return TaxiiError(404, "Not found", description)


def bad_request(description: str) -> TaxiiError:
    return TaxiiError(400, "Bad request", description)


def as_taxii_error(exc: Exception) -> TaxiiError:
    """Any exception as the TAXII error a client should see; unexpected ones are logged."""
    if isinstance(exc, TaxiiError):
        return exc
    if isinstance(exc, TansiqError):
        if exc.status >= 500:  # deliberate and safe to show (e.g. database not initialised)
            log.error("%s: %s", type(exc).__name__, exc)
        if exc.status == 401:
            return unauthorized(str(exc))
        return TaxiiError(exc.status, exc.title, str(exc))
    if isinstance(exc, HTTPException):
        title = _TITLES.get(exc.status_code, "HTTP error")
        return TaxiiError(exc.status_code, title, str(exc.detail), exc.headers)
    if isinstance(exc, RequestValidationError):
        return bad_request("; ".join(str(e.get("msg", "invalid")) for e in exc.errors()))
    return _internal(exc)


def _internal(exc: Exception) -> TaxiiError:
    error_id = str(uuid.uuid4())
    log.error("TAXII request failed (error_id %s)", error_id, exc_info=exc)
    error = TaxiiError(500, "Internal error", "The node could not answer; the error was logged.")
    error.headers["X-Tansiq-Error-Id"] = error_id
    return error


def error_body(error: TaxiiError) -> bytes:
    """The error resource; `http_status` is a string, equal to the real status."""
    body = {
        "title": error.title,
        "description": error.description,
        "http_status": str(error.status),
    }
    error_id = error.headers.get("X-Tansiq-Error-Id")
    if error_id:
        body["error_id"] = error_id
    return orjson.dumps(body)


def error_response(error: TaxiiError) -> Response:
    return taxii_response(error_body(error), error.status, error.headers)
