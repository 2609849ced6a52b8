"""The operations, approvals, conflicts, tasks and border pages in-process: each is a frame
that needs a session, tells its script only the viewer's own standing, and renders no operation
of anyone (its script asks the API, which releases what the viewer may see)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tansiq import accounts
from tansiq.domain.reports import Role
from tansiq.settings import Settings, sqlite_url
from tansiq.store import migrate
from tansiq.store.database import create_db_engine, writing
from tansiq.store.partners import add_partner, set_node_partner
from tests.conftest import FROZEN_NOW
from tests.web.test_pages import PASSWORD, Client, asset_links

PAGES = {
    "/operations": "ops-list.js",
    "/operations/new": "ops-new.js",
    "/approvals": "ops-inbox.js",
    "/conflicts": "ops-conflicts.js",
    "/tasks": "tasks.js",
    "/border": "border.js",
}
SECRET_OPERATION = "JOC raid on the farm at dawn"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Client:
    """A joc node whose `watch` (a krg approver) may not see joc's draft operation."""
    from tansiq.api.app import create_app
    from tansiq.domain.approvals import Plan
    from tansiq.domain.operations import OperationType, circle
    from tansiq.operations import create, policy_from

    db = Path(tmp_path_factory.mktemp("node")) / "node.db"
    settings = Settings(db=sqlite_url(db))
    engine = create_db_engine(settings.db)
    migrate.upgrade(engine)
    with writing(engine) as conn:
        add_partner(conn, "joc", "Joint Operations Command", None, FROZEN_NOW)
        add_partner(conn, "krg", "Kurdistan Region Security Council", None, FROZEN_NOW)
        add_partner(conn, "krg-asayish", "Asayish", "krg", FROZEN_NOW)
        set_node_partner(conn, "joc")
        accounts.create_user(conn, "watch", "krg-asayish", Role.APPROVER, PASSWORD, FROZEN_NOW)
        planner, _ = accounts.create_user(conn, "planner", "joc", Role.ANALYST, None, FROZEN_NOW)
        plan = Plan(
            name=SECRET_OPERATION,
            op_type=OperationType.RAID,
            area=circle(35.2, 44.4, 500),
            start=FROZEN_NOW,
            end=FROZEN_NOW.replace(hour=(FROZEN_NOW.hour + 2) % 24),
        )
        create(conn, accounts.principal(conn, planner), plan, policy_from(settings), FROZEN_NOW)
    return Client(create_app(settings, engine, background_validation=False))


@pytest.mark.parametrize(("path", "script"), PAGES.items())
def test_each_page_is_a_frame_with_the_viewers_own_standing_only(
    client: Client, path: str, script: str
) -> None:
    answer = client.get(path)

    assert answer.status_code == 200
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    html = answer.text
    assert 'data-partner="krg-asayish"' in html
    assert 'data-side="krg"' in html  # a sub-partner's side is its top-level partner
    assert 'data-role="approver"' in html
    assert SECRET_OPERATION not in html
    assert "operation--" not in html
    assert f"/static/{script}?v=" in " ".join(asset_links(html))


def test_the_header_links_every_page_and_carries_the_conflict_alert(client: Client) -> None:
    html = client.get("/").text

    for name in ("operations", "approvals", "tasks", "border"):
        assert f'data-testid="nav-{name}"' in html
    assert 'data-testid="conflict-badge"' in html
    assert "/static/ops-alert.js" in " ".join(asset_links(html))


def test_one_operation_page_names_only_the_id_asked_for(client: Client) -> None:
    wanted = "operation--00000000-0000-4000-8000-000000000000"
    answer = client.get(f"/operations/{wanted}")

    assert answer.status_code == 200
    assert f'data-operation="{wanted}"' in answer.text


def test_an_operation_id_that_cannot_be_one_is_refused(client: Client) -> None:
    assert client.get("/operations/%3Cscript%3E").status_code in (400, 404, 422)


def test_the_plan_form_offers_the_other_partners_and_every_type(client: Client) -> None:
    html = client.get("/operations/new").text

    assert 'data-testid="release-joc"' in html
    assert 'data-testid="release-krg"' in html
    assert 'data-testid="release-krg-asayish"' not in html  # the viewer's own partner
    for kind in ("raid", "patrol", "checkpoint-move", "clearance", "escort"):
        assert f'<option value="{kind}">' in html
