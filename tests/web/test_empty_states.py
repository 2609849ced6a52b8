"""Every list page says, in the viewer's language, that it has nothing to show, instead of
showing an empty table: incidents (a filter that matches nothing), reports, the inbox, and the
admin pages' audit log, peers, partners and users."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from starlette.requests import Request

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.domain.languages import Language
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import users
from tansiq.store.database import writing
from tansiq.web import i18n
from tansiq.web.pages import Renderer
from tests.conftest import FROZEN_NOW
from tests.nodes import setup_node

PASSWORD = "a password for the empty pages"
EMPTY = re.compile(r'<p class="empty" data-testid="empty-state">([^<]*)</p>')


@pytest.fixture
def browser(engine: Engine, settings: Settings, locator: AreaLocator) -> Iterator[TestClient]:
    """A node with partners and people but nothing else: no incidents, reports or peers."""
    setup_node(engine)
    with writing(engine) as conn:
        user, _ = accounts.create_user(conn, "joc-admin", "joc", Role.ADMIN, PASSWORD, FROZEN_NOW)
        accounts.choose_language(conn, user.name, Language.AR)
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        answer = client.post("/api/session", json={"name": "joc-admin", "password": PASSWORD})
        assert answer.status_code == 200
        yield client


def shown_empty_state(page: str) -> str:
    found = EMPTY.findall(page)
    assert len(found) == 1, "one empty-state message"
    assert "<table" not in page
    return str(found[0])


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/incidents?from=1900-01-01&to=1900-01-31", "No incidents match these filters"),
        ("/reports", "No reports to show."),
        ("/reports?q=nothing-like-this", "No reports to show."),
        ("/reports/inbox", "Nothing new from partners since your last visit."),
        ("/admin/peers", "No peers yet."),
        ("/admin/audit?before=1", "No entries to show."),
    ],
)
def test_a_list_with_nothing_in_it_says_so_in_the_viewers_language(
    browser: TestClient, path: str, message: str
) -> None:
    answer = browser.get(path)

    assert answer.status_code == 200
    arabic = i18n.translation(Language.AR).gettext(message)
    assert arabic != message
    assert shown_empty_state(answer.text) == arabic


def render(template: str, who: accounts.Principal, **context: Any) -> str:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/admin",
        "query_string": b"",
        "headers": [],
        "root_path": "",
        "scheme": "http",
        "server": ("testserver", 80),
    }
    body = Renderer().page(Request(scope), template, who, **context).body
    return bytes(body).decode()


@pytest.mark.parametrize(
    ("template", "context", "message"),
    [
        (
            "admin_partners.html",
            {"partners": [], "own": None, "values": {}},
            "No partners yet: add the first one below.",
        ),
        (
            "admin_users.html",
            {"users": [], "partners": [], "roles": [], "language_names": {}, "values": {}},
            "No users yet: add the first one below.",
        ),
    ],
)
def test_admin_tables_with_nothing_in_them_say_so(
    engine: Engine, template: str, context: dict[str, Any], message: str
) -> None:
    """A node always has its own partner and the administrator looking: these lists are never
    empty through the node's own pages, so their templates are rendered directly."""
    setup_node(engine)
    with writing(engine) as conn:
        user, _ = accounts.create_user(conn, "joc-admin", "joc", Role.ADMIN, None, FROZEN_NOW)
        accounts.choose_language(conn, user.name, Language.CKB)
        chosen = users.by_name(conn, user.name)  # with the language chosen
        assert chosen is not None
        who = accounts.principal(conn, chosen)

    page = render(template, who, **context)

    kurdish = i18n.translation(Language.CKB).gettext(message)
    assert kurdish != message
    assert shown_empty_state(page) == kurdish
