"""The map page and its assets, in-process: everything it loads comes from the node itself."""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.api.auth import SESSION_COOKIE
from tansiq.domain.reports import Role
from tansiq.settings import Settings, sqlite_url
from tansiq.store import migrate
from tansiq.store.database import create_db_engine, writing
from tansiq.store.partners import add_partner
from tansiq.web.pages import STATIC_DIR
from tests.conftest import FROZEN_NOW

OWN_ASSETS = tuple(
    f"/static/{p.name}" for p in sorted(STATIC_DIR.iterdir()) if p.suffix in (".js", ".css")
)
VENDOR_ASSETS = {
    "/static/vendor/leaflet/leaflet.js": "javascript",
    "/static/vendor/leaflet/leaflet.css": "text/css",
    "/static/vendor/leaflet/images/layers.png": "image/png",
    "/static/vendor/leaflet/images/layers-2x.png": "image/png",
    "/static/vendor/leaflet/images/marker-icon.png": "image/png",
    "/static/vendor/markercluster/leaflet.markercluster.js": "javascript",
    "/static/vendor/markercluster/MarkerCluster.css": "text/css",
}
# URLs that appear in the vendored scripts without being fetched: the SVG namespace, and the
# link in Leaflet's default attribution prefix, which map.js replaces.
KNOWN_VENDOR_URLS = {"http://www.w3.org/2000/svg", "https://leafletjs.com"}
ANY_URL = re.compile(r"""https?://[^\s"'`)<>]+""")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
JS_IMPORT = re.compile(r"""^import\s[^;]*?\sfrom\s'([^']+)';""", re.MULTILINE)


class AssetLinks(HTMLParser):
    """Every URL an HTML page makes the browser load."""

    LOADING_ATTRIBUTES: ClassVar[set[tuple[str, str]]] = {
        ("script", "src"),
        ("link", "href"),
        ("img", "src"),
        ("iframe", "src"),
    }

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if (tag, name) in self.LOADING_ATTRIBUTES and value:
                self.urls.append(value)


def asset_links(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


def is_on_node(url: str) -> bool:
    """True for a URL the browser resolves against this node: no scheme and no host."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def make_app(db: Path) -> FastAPI:
    """A node with one user who has a password; the validator thread is not needed here."""
    settings = Settings(db=sqlite_url(db))
    engine = create_db_engine(settings.db)
    migrate.upgrade(engine)
    with writing(engine) as conn:
        add_partner(conn, "jcc", "Joint Coordination Centre", None, FROZEN_NOW)
        accounts.create_user(conn, "watch", "jcc", Role.WATCH, PASSWORD, FROZEN_NOW)
    return create_app(settings, engine, background_validation=False)


class Client:
    """Requests to an app in-process, through httpx's ASGI transport, logged in as `watch`.

    (Starlette's TestClient now warns that it wants `httpx2`; the ASGI transport needs nothing
    beyond httpx.)
    """

    def __init__(self, app: FastAPI, root_path: str = "") -> None:
        self.transport = httpx.ASGITransport(app=app, root_path=root_path)
        self.cookies = httpx.Cookies()
        login = {"name": "watch", "password": PASSWORD}
        answer = asyncio.run(self._send("POST", "/api/session", json=login))
        assert answer.status_code == 200, answer.text
        # By name only: behind a path prefix the cookie's path is the prefix, which these
        # requests (paths below the prefix, as the app sees them) do not carry.
        self.cookies = httpx.Cookies({SESSION_COOKIE: answer.cookies[SESSION_COOKIE]})

    def get(self, path: str) -> httpx.Response:
        return asyncio.run(self._send("GET", path))

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(
            transport=self.transport, base_url="http://node", cookies=self.cookies
        ) as client:
            return await client.request(method, path, **kwargs)


PASSWORD = "a password for the page tests"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    return Client(make_app(tmp_path_factory.mktemp("node") / "node.db"))


def test_map_page_is_html(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-testid="map"' in response.text
    assert 'data-api-base="/api"' in response.text


def test_map_page_forbids_loading_from_other_hosts(client: Client) -> None:
    policy = client.get("/").headers["content-security-policy"]

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["script-src"] == "'self'"


def test_map_page_loads_only_assets_served_by_the_node(client: Client) -> None:
    links = asset_links(client.get("/").text)

    assert "/static/vendor/leaflet/leaflet.js" in links
    assert "/static/vendor/markercluster/leaflet.markercluster.js" in links
    assert [url for url in links if not is_on_node(url)] == []
    for url in links:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("path", ["/", "/login", "/reports", *OWN_ASSETS])
def test_own_page_and_assets_name_no_outside_url(client: Client, path: str) -> None:
    text = client.get(path).text

    assert ANY_URL.findall(text) == []
    assert "//" not in "".join(CSS_URL.findall(text))


def test_page_modules_import_only_modules_the_node_serves(client: Client) -> None:
    scripts = [p for p in OWN_ASSETS if p.endswith(".js")]
    imports = {
        urljoin(path, target)
        for path in scripts
        for target in JS_IMPORT.findall(client.get(path).text)
    }

    assert "/static/strings.js" in imports
    assert imports <= set(scripts)
    for path in scripts:
        response = client.get(path)
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]


@pytest.mark.parametrize(("path", "content_type"), VENDOR_ASSETS.items())
def test_vendor_files_are_served_locally(client: Client, path: str, content_type: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert content_type in response.headers["content-type"]
    assert len(response.content) > 100


@pytest.mark.parametrize("path", [p for p in (*OWN_ASSETS, *VENDOR_ASSETS) if p.endswith(".css")])
def test_stylesheets_load_images_only_from_the_node(client: Client, path: str) -> None:
    targets = [t for t in CSS_URL.findall(client.get(path).text) if not t.startswith("#")]

    assert [t for t in targets if not is_on_node(t)] == []
    for target in targets:
        assert client.get(urljoin(path, target)).status_code == 200, target


@pytest.mark.parametrize("path", [p for p in VENDOR_ASSETS if p.endswith(".js")])
def test_vendor_scripts_name_no_host_to_fetch_from(client: Client, path: str) -> None:
    urls = set(ANY_URL.findall(client.get(path).text))

    assert urls <= KNOWN_VENDOR_URLS


def test_unknown_static_file_is_not_found(client: Client) -> None:
    assert client.get("/static/no-such-file.js").status_code == 404
    assert client.get("/static/vendor/leaflet/no-such-file.js").status_code == 404


def test_page_behind_a_path_prefix_points_at_its_own_prefix(tmp_path: Path) -> None:
    client = Client(make_app(tmp_path / "node.db"), root_path="/node")

    html = client.get("/").text

    assert 'data-api-base="/node/api"' in html
    assert all(url.startswith("/node/static/") for url in asset_links(html))


def test_the_api_docs_load_swagger_ui_from_the_node(client: Client) -> None:
    """FastAPI's default /docs loads Swagger UI from a CDN; the node serves its own copy."""
    html = client.get("/docs").text
    links = asset_links(html)

    assert "/static/vendor/swagger/swagger-ui-bundle.js" in links
    assert [url for url in links if not is_on_node(url)] == []
    assert ANY_URL.findall(html) == []
    assert '"validatorUrl": null' in html
    for url in links:
        assert client.get(url).status_code == 200, url
    assert client.get("/redoc").status_code == 404
