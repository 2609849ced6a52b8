"""The ASGI app factory: settings and I/O edges in, a FastAPI app out.

While it runs, the app runs the intake validator's thread (tansiq.sharing.taxii.worker), which
stores the objects partners post to the TAXII inbox once stix2-validator has passed them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from tansiq import __version__
from tansiq import operations as operation_service
from tansiq.api import (
    analysis,
    areas,
    border,
    checkpoints,
    coordination,
    deadlines,
    docs,
    geocode,
    grid_folding,
    health,
    incidents,
    node,
    operations,
    positions,
    problems,
    reports,
    session,
    tasks,
    viewport,
)
from tansiq.api.deps import state_now
from tansiq.api.throttle import LoginThrottle
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.sharing import taxii
from tansiq.sharing.taxii import worker
from tansiq.store.database import create_db_engine
from tansiq.web import mount_static
from tansiq.web import router as web_router


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the intake validator, the grid folder and the deadline sweeper while the app runs,
    unless the caller does their work itself (tests)."""
    if not app.state.background_validation:
        yield
        return
    settings = app.state.settings
    clock = partial(state_now, app.state)
    policy = operation_service.policy_from(settings)
    with (
        worker.running(app.state, clock),
        grid_folding.running(app.state.engine, settings.grid_fold_seconds),
        deadlines.running(app.state.engine, policy, clock, settings.deadline_sweep_seconds),
    ):
        yield


def create_app(
    settings: Settings,
    engine: Engine | None = None,
    locator: AreaLocator | None = None,
    *,
    background_validation: bool = True,
) -> FastAPI:
    """Build the node's app. Pass an engine or locator to share them with the caller.

    With `background_validation=False` no validator thread runs: call
    `tansiq.sharing.taxii.validator.drain` to store what partners posted (deterministic tests).
    Nor does the grid folder (tansiq.api.grid_folding): the map stays exact without it.
    """
    app = FastAPI(
        title="tansiq",
        version=__version__,
        description="Joint security coordination node: incidents on the map of Iraq's "
        "disputed areas.",
        lifespan=_lifespan,
        docs_url=None,  # tansiq.api.docs serves Swagger UI from the node, not from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.background_validation = background_validation
    app.state.engine = engine or create_db_engine(settings.db)
    app.state.locator = locator or AreaLocator.from_shipped()
    app.state.login_throttle = LoginThrottle(
        settings.login_max_failures,
        settings.login_max_failures_per_address,
        timedelta(minutes=settings.login_lockout_minutes),
    )
    problems.install(app)
    docs.install(app)
    for module in (
        health,
        session,
        node,
        incidents,
        viewport,
        areas,
        reports,
        positions,
        geocode,
        analysis,
        operations,
        tasks,
        checkpoints,
        border,
        coordination,
    ):
        app.include_router(module.router)
    taxii.install(app)
    app.include_router(web_router())
    mount_static(app)
    return app
