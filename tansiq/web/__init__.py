"""The node's browser pages: the common operating picture and the assets it needs, all served
from the node itself (nodes are air-gapped; nothing is fetched from the internet)."""

from fastapi import APIRouter

from tansiq.web import admin_pages, incident_pages, ops_pages, pages, report_pages
from tansiq.web.pages import Renderer, mount_static


def router() -> APIRouter:
    """Every page, rendered by one set of templates in the viewer's language."""
    render = Renderer()
    combined = APIRouter(include_in_schema=False)
    combined.include_router(pages.router(render))
    combined.include_router(report_pages.router(render))
    combined.include_router(incident_pages.router(render))
    combined.include_router(admin_pages.router(render))
    combined.include_router(ops_pages.router(render))
    return combined


__all__ = ["mount_static", "router"]
