"""The API's interactive docs at `/docs`, served by the node itself.

FastAPI's own `/docs` and `/redoc` load Swagger UI and ReDoc from a CDN, which an air-gapped
node cannot reach (and which would tell an outside host that the node exists). Swagger UI comes
instead from the `swagger-ui-bundle` package, mounted under `/static/vendor/swagger/`, with its
online validator badge turned off. ReDoc is not offered.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from tansiq.api.deps import root_path

VENDOR = "/static/vendor/swagger"


def install(app: FastAPI) -> None:
    """Mount the Swagger UI files and add `GET /docs` (create the app with docs_url=None)."""
    app.mount(VENDOR, StaticFiles(directory=swagger_ui_path), name="vendor-swagger")

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = root_path(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title="tansiq API",
            swagger_js_url=f"{root}{VENDOR}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{VENDOR}/swagger-ui.css",
            swagger_favicon_url=f"{root}/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None},
        )
