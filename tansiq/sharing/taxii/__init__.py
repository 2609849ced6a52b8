"""The node's TAXII 2.1 server (docs/INTEROP.md section 1): discovery at /taxii2/, one API root.

Wire it into the app with `install(app)` (or `app.include_router(router())`). Routes read the
settings and engine from `app.state` and, when present, a clock from `app.state.clock`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from tansiq.sharing.taxii.errors import TaxiiError, error_response
from tansiq.sharing.taxii.media import TAXII_MEDIA_TYPE
from tansiq.sharing.taxii.routes import DISCOVERY, ROOT, router

__all__ = ["DISCOVERY", "ROOT", "TAXII_MEDIA_TYPE", "TaxiiError", "install", "router"]


async def _taxii_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TaxiiError)
    return error_response(exc)


def install(app: FastAPI) -> None:
    """Serve TAXII on `app`: the routes, and TAXII errors rendered as TAXII error resources."""
    app.include_router(router())
    app.add_exception_handler(TaxiiError, _taxii_error)
