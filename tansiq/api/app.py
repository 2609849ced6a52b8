"""The ASGI app factory: settings and I/O edges in, a FastAPI app out."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from tansiq import __version__
from tansiq.api import areas, health, incidents, problems, reports
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.sharing import taxii
from tansiq.store.database import create_db_engine
from tansiq.web.pages import mount_static
from tansiq.web.pages import router as web_router


def create_app(
    settings: Settings, engine: Engine | None = None, locator: AreaLocator | None = None
) -> FastAPI:
    """Build the node's app. Pass an engine or locator to share them with the caller."""
    app = FastAPI(
        title="tansiq",
        version=__version__,
        description="Joint security coordination node: incidents on the map of Iraq's "
        "disputed areas.",
    )
    app.state.settings = settings
    app.state.engine = engine or create_db_engine(settings.db)
    app.state.locator = locator or AreaLocator.from_shipped()
    problems.install(app)
    for module in (health, incidents, areas, reports):
        app.include_router(module.router)
    taxii.install(app)
    app.include_router(web_router())
    mount_static(app)
    return app
