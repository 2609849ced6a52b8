"""The TAXII 2.1 endpoints under /taxii2/: discovery, one API root (`exchange`), its collections.

Every route answers with and without its trailing slash (same handler, no redirect: clients
such as taxii2-client poll status URLs without it). Every failure, including unknown paths
(404), wrong methods (405), bad parameters and crashes (500), is a TAXII error resource,
never the app's problem+json: `TaxiiRoute` turns whatever a handler raises into one, and a
catch-all route answers for paths no endpoint matches.

Each request checks, in order: credentials (401), Accept (406), the collection as the caller
sees it (404, then 403), and then the request itself (400, 413, 415).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Final

import orjson
from fastapi import APIRouter, Request
from fastapi.routing import APIRoute
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Match

from tansiq.accounts import Principal
from tansiq.api.auth import authenticate
from tansiq.api.deps import now
from tansiq.settings import Settings
from tansiq.sharing import keys
from tansiq.sharing.taxii import collections, filters, intake, paging, reading, worker
from tansiq.sharing.taxii.collections import Access
from tansiq.sharing.taxii.errors import TaxiiError, as_taxii_error, error_response, not_found
from tansiq.sharing.taxii.media import (
    TAXII_MEDIA_TYPE,
    accepts_taxii,
    declares_taxii,
    taxii_response,
)
from tansiq.store import statuses
from tansiq.store.database import reading as read_transaction
from tansiq.store.database import writing

DISCOVERY: Final = "/taxii2/"
ROOT: Final = "/taxii2/exchange/"
_COLLECTION: Final = ROOT + "collections/{cid}/"
_ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class TaxiiRoute(APIRoute):
    """A route whose every failure is a TAXII error resource (see the module docstring)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def taxii_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return error_response(as_taxii_error(exc))

        return taxii_handler


# --- what every request needs ---------------------------------------------------------------


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _caller(conn: Connection, request: Request) -> Principal:
    """The authenticated caller, who must accept TAXII 2.1 (401, then 406)."""
    caller = authenticate(conn, request.headers.get("authorization"))
    if not accepts_taxii(request.headers.get("accept")):
        raise TaxiiError(
            406, "Not acceptable", f"this server answers in {TAXII_MEDIA_TYPE}; accept it"
        )
    return caller


def _json(body: dict[str, Any]) -> Response:
    return taxii_response(orjson.dumps(body))


# --- discovery, API root, status -------------------------------------------------------------


def discovery(request: Request) -> Response:
    with read_transaction(_engine(request)) as conn:
        _caller(conn, request)
    return _json(
        {
            "title": "tansiq",
            "description": "Intelligence exchange between the partner organisations' nodes.",
            "default": ROOT,
            "api_roots": [ROOT],
        }
    )


def api_root(request: Request) -> Response:
    with read_transaction(_engine(request)) as conn:
        _caller(conn, request)
    return _json(
        {
            "title": "Exchange",
            "description": "Objects released to you, your inbox, and withdrawals.",
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": _settings(request).taxii_max_content_length,
        }
    )


def status(request: Request, sid: str) -> Response:
    """A status, to the partner that posted it only, for 24 hours."""
    with read_transaction(_engine(request)) as conn:
        caller = _caller(conn, request)
        found = statuses.get(conn, sid, caller.partner, now(request))
    if found is None:
        raise not_found(f"no status {sid!r}")
    return taxii_response(intake.status_resource(found))


# --- collections -----------------------------------------------------------------------------


def list_collections(request: Request) -> Response:
    with read_transaction(_engine(request)) as conn:
        caller = _caller(conn, request)
        found = collections.visible(conn, caller)
    return _json({"collections": [a.resource() for a in found]} if found else {})


def get_collection(request: Request, cid: str) -> Response:
    with read_transaction(_engine(request)) as conn:
        caller = _caller(conn, request)
        access = collections.find(conn, caller, cid)
    return _json(access.resource())


def _readable(conn: Connection, request: Request, cid: str) -> tuple[Principal, Access]:
    caller = _caller(conn, request)
    access = collections.find(conn, caller, cid)
    if not access.can_read:
        raise TaxiiError(403, "Forbidden", "this collection cannot be read; post to it")
    return caller, access


def _read(
    request: Request,
    cid: str,
    endpoint: str,
    reader: Callable[[Connection, reading.PageRequest], reading.Served],
    oid: str | None = None,
) -> Response:
    """One page through `reader`, in one read transaction; audited afterwards."""
    engine = _engine(request)
    key = paging.node_key(request.app.state, engine)
    signing_key = keys.app_node_key(request.app.state, engine)
    with read_transaction(engine) as conn:
        caller, access = _readable(conn, request, cid)
        parsed = _filters(request, endpoint, oid)
        page = reading.PageRequest(caller, access, parsed, key, endpoint, signing_key, oid)
        served = reader(conn, page)
    reading.record(engine, page, served)
    return taxii_response(served.body, headers=served.headers)


def _filters(request: Request, endpoint: str, oid: str | None) -> filters.Filters:
    params, settings = request.query_params, _settings(request)
    if oid is None:
        return filters.parse(params, settings, filters.OBJECTS_MATCH)
    if endpoint == "versions":
        return filters.parse(params, settings, filters.VERSIONS_MATCH, ids=(oid,), versions="all")
    return filters.parse(params, settings, filters.OBJECT_MATCH, ids=(oid,))


def get_objects(request: Request, cid: str) -> Response:
    return _read(request, cid, "objects", reading.objects_page)


def get_manifest(request: Request, cid: str) -> Response:
    return _read(request, cid, "manifest", reading.manifest_page)


def get_object(request: Request, cid: str, oid: str) -> Response:
    return _read(request, cid, "object", reading.object_page, oid)


def get_versions(request: Request, cid: str, oid: str) -> Response:
    return _read(request, cid, "versions", reading.versions_page, oid)


# --- writes ----------------------------------------------------------------------------------


def _writable(request: Request, cid: str) -> tuple[Principal, Access]:
    with read_transaction(_engine(request)) as conn:
        caller = _caller(conn, request)
        access = collections.find(conn, caller, cid)
    if not access.can_write:
        raise TaxiiError(403, "Forbidden", "you may not add objects to this collection")
    return caller, access


async def add_objects(request: Request, cid: str) -> Response:
    """Add Objects: 202 with a status, `pending` while the inbox's objects wait for the
    validator, whom it wakes (see tansiq.sharing.taxii.intake)."""
    caller, access = await run_in_threadpool(_writable, request, cid)
    if not declares_taxii(request.headers.get("content-type")):
        raise TaxiiError(
            415, "Unsupported media type", f"send the envelope as Content-Type: {TAXII_MEDIA_TYPE}"
        )
    limit = _settings(request).taxii_max_content_length
    bodies = await intake.read_envelope(request, limit)
    done = await run_in_threadpool(_store, request, caller, access, bodies)
    if done.pendings:
        worker.wake(request.app.state)
    return taxii_response(intake.status_resource(done), 202)


def _store(
    request: Request, caller: Principal, access: Access, bodies: list[Any]
) -> statuses.TaxiiStatus:
    with writing(_engine(request)) as conn:
        return intake.add_objects(conn, caller, access, bodies, now(request))


def delete_object(request: Request, cid: str, oid: str) -> Response:
    """Delete an Object: withdraws the whole object (see intake.delete_object)."""
    with writing(_engine(request)) as conn:
        caller = _caller(conn, request)
        access = collections.find(conn, caller, cid)
        filters.parse(request.query_params, _settings(request), filters.OBJECT_MATCH)
        intake.delete_object(conn, caller, access, oid, now(request))
    return taxii_response(b"")


# --- the router ------------------------------------------------------------------------------


def _unknown(routes: Sequence[BaseRoute]) -> Callable[[Request], Response]:
    def unknown(request: Request) -> Response:
        """401 first, then 405 for a known path with another method, else 404."""
        with read_transaction(_engine(request)) as conn:
            authenticate(conn, request.headers.get("authorization"))
        allowed = sorted(
            {m for r in routes if r.matches(request.scope)[0] is Match.PARTIAL for m in _methods(r)}
        )
        if allowed:
            raise TaxiiError(
                405,
                "Method not allowed",
                f"{request.method} is not allowed here; use {', '.join(allowed)}",
                {"Allow": ", ".join(allowed)},
            )
        raise not_found(f"no TAXII resource at {request.url.path}")

    return unknown


def _methods(route: BaseRoute) -> set[str]:
    return set(getattr(route, "methods", None) or ())


_ENDPOINTS: Final[tuple[tuple[str, Callable[..., Any], str], ...]] = (
    (DISCOVERY, discovery, "GET"),
    (ROOT, api_root, "GET"),
    (ROOT + "status/{sid}/", status, "GET"),
    (ROOT + "collections/", list_collections, "GET"),
    (_COLLECTION, get_collection, "GET"),
    (_COLLECTION + "objects/", get_objects, "GET"),
    (_COLLECTION + "objects/", add_objects, "POST"),
    (_COLLECTION + "manifest/", get_manifest, "GET"),
    (_COLLECTION + "objects/{oid}/", get_object, "GET"),
    (_COLLECTION + "objects/{oid}/", delete_object, "DELETE"),
    (_COLLECTION + "objects/{oid}/versions/", get_versions, "GET"),
)


def router() -> APIRouter:
    """The TAXII routes; include it in the app (or call `install`)."""
    taxii = APIRouter(route_class=TaxiiRoute, tags=["taxii"])
    for path, endpoint, method in _ENDPOINTS:
        taxii.add_api_route(path, endpoint, methods=[method])
        taxii.add_api_route(path.rstrip("/"), endpoint, methods=[method], include_in_schema=False)
    fallback = _unknown(list(taxii.routes))
    taxii.add_api_route(
        "/taxii2/{rest:path}", fallback, methods=_ALL_METHODS, include_in_schema=False
    )
    return taxii
