"""The admin pages: partners, users and tokens, peers, the audit log and its verification."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tansiq import accounts
from tansiq.api.app import create_app
from tansiq.domain.languages import Language
from tansiq.domain.reports import Role
from tansiq.geo.locator import AreaLocator
from tansiq.settings import Settings
from tansiq.store import audit
from tansiq.store.database import reading, writing
from tansiq.store.partners import find_partner, list_partners
from tansiq.store.peers import PeerTls, add_peer, mark_synced, set_cursor
from tansiq.store.users import list_users
from tansiq.web import i18n
from tests.conftest import FROZEN_NOW
from tests.nodes import Account, setup_node

PASSWORD = "a password for the admin pages"
ORIGIN = {"Origin": "http://testserver"}
PEER_TOKEN = "tq_the-token-this-node-sends-to-krg"

GETS = ["/admin", "/admin/partners", "/admin/users", "/admin/peers", "/admin/audit"]
POSTS = {
    "/admin/partners": {"code": "mod", "name": "Ministry of Defence"},
    "/admin/users": {"name": "new-person", "partner": "joc", "role": "analyst"},
    "/admin/users/token": {"name": "joc-analyst"},
}


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    found = setup_node(engine)
    with writing(engine) as conn:
        for name, role in (("joc-admin", Role.ADMIN), ("joc-officer", Role.WATCH)):
            accounts.create_user(conn, name, "joc", role, PASSWORD, FROZEN_NOW)
    return found


@pytest.fixture
def browser(
    engine: Engine, settings: Settings, locator: AreaLocator, people: dict[str, Account]
) -> Iterator[TestClient]:
    app = create_app(settings, engine, locator, background_validation=False)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def log_in(browser: TestClient, name: str = "joc-admin") -> None:
    browser.cookies.clear()
    answer = browser.post("/api/session", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200


def user_names(engine: Engine) -> list[str]:
    with reading(engine) as conn:
        return [u.name for u in list_users(conn)]


def token_works(browser: TestClient, token: str) -> bool:
    """Whether the API takes the token (sent without the browser's session cookie)."""
    answer = browser.get("/api/session", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code == 200


def shown_token(page: str) -> str:
    marker = 'data-testid="new-token"'
    assert page.count(marker) == 1
    before = page[: page.index(marker)]
    return before[before.rindex('value="') + len('value="') :].split('"', 1)[0]


@pytest.mark.parametrize("path", GETS)
def test_other_roles_are_refused_every_admin_page(browser: TestClient, path: str) -> None:
    log_in(browser, "joc-officer")
    assert browser.get(path).status_code == 403


@pytest.mark.parametrize("path", sorted(POSTS))
def test_other_roles_are_refused_every_admin_form_and_nothing_changes(
    browser: TestClient, engine: Engine, people: dict[str, Account], path: str
) -> None:
    before = user_names(engine)
    log_in(browser, "joc-officer")

    assert browser.post(path, data=POSTS[path], headers=ORIGIN).status_code == 403

    assert user_names(engine) == before
    with reading(engine) as conn:
        assert find_partner(conn, "mod") is None
    assert token_works(browser, people["joc-analyst"].token)


def test_a_partner_nodes_token_does_not_open_the_admin_pages(
    browser: TestClient, people: dict[str, Account]
) -> None:
    bearer = {"Authorization": f"Bearer {people['krg-node'].token}"}
    assert browser.get("/admin/users", headers=bearer).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"), [*(("GET", p) for p in GETS), *(("POST", p) for p in POSTS)]
)
def test_anonymous_browsers_are_sent_to_log_in(browser: TestClient, method: str, path: str) -> None:
    answer = browser.request(method, path, headers=ORIGIN)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/login?next={path.replace('/', '%2F')}"


@pytest.mark.parametrize("origin", [None, "http://elsewhere.example"])
@pytest.mark.parametrize("path", sorted(POSTS))
def test_forms_not_sent_from_the_nodes_page_are_refused_and_change_nothing(
    browser: TestClient,
    engine: Engine,
    people: dict[str, Account],
    path: str,
    origin: str | None,
) -> None:
    log_in(browser)
    before = user_names(engine)
    headers = {"Origin": origin} if origin else {}

    assert browser.post(path, data=POSTS[path], headers=headers).status_code == 403

    assert user_names(engine) == before
    with reading(engine) as conn:
        assert find_partner(conn, "mod") is None
    assert token_works(browser, people["joc-analyst"].token)


def test_the_overview_names_the_node_and_counts_what_it_has(browser: TestClient) -> None:
    log_in(browser)
    page = browser.get("/admin").text
    assert "Joint Operations Command" in page
    assert 'data-testid="count-partners">4<' in page
    assert 'data-testid="count-users">9<' in page
    assert 'data-testid="count-peers">0<' in page
    for section in GETS[1:]:
        assert f'href="{section}"' in page


def test_a_partner_added_in_the_form_is_listed_under_its_parent(
    browser: TestClient, engine: Engine
) -> None:
    log_in(browser)
    form = {"code": "krg-peshmerga", "name": "وزارة البيشمركة", "parent": "krg"}

    answer = browser.post("/admin/partners", data=form, headers=ORIGIN)

    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/partners"
    with reading(engine) as conn:
        added = find_partner(conn, "krg-peshmerga")
    assert added is not None
    assert (added.name, added.parent_code) == ("وزارة البيشمركة", "krg")
    assert "وزارة البيشمركة" in browser.get("/admin/partners").text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"code": "krg", "name": "Someone else"}, "A partner with the code krg already exists."),
        ({"code": "KRG!", "name": "Someone else"}, "The code KRG! is not valid"),
        ({"code": "mod", "name": "Someone else", "parent": "nobody"}, "unknown parent partner"),
        ({"code": "mod", "name": "x" * 201}, "The name is too long"),
    ],
)
def test_a_bad_partner_shows_the_form_again_and_changes_nothing(
    browser: TestClient, engine: Engine, form: dict[str, str], message: str
) -> None:
    log_in(browser)
    with reading(engine) as conn:
        before = list_partners(conn)

    answer = browser.post("/admin/partners", data=form, headers=ORIGIN)

    assert answer.status_code == 400
    assert 'data-testid="form-error"' in answer.text
    assert message in answer.text
    assert f'value="{form["code"]}"' in answer.text
    with reading(engine) as conn:
        assert list_partners(conn) == before


def test_a_user_added_in_the_form_gets_a_token_shown_once_that_works(
    browser: TestClient, engine: Engine
) -> None:
    log_in(browser)
    form = {"name": "krg-duty", "partner": "krg", "role": "watch", "password": PASSWORD}

    answer = browser.post("/admin/users", data=form, headers=ORIGIN)

    assert answer.status_code == 200
    assert 'data-testid="token-warning"' in answer.text
    token = shown_token(answer.text)
    assert token_works(browser, token)
    for path in GETS:
        assert token not in browser.get(path).text
    row = browser.get("/admin/users").text.split('data-user="krg-duty"')[1].split("</tr>")[0]
    assert "krg" in row
    assert "watch officer" in row
    assert ">yes<" in row
    assert "not chosen" in row
    log_in(browser, "krg-duty")  # the password works for the web page too
    chosen = browser.put("/api/session/language", json={"language": "ckb"}, headers=ORIGIN)
    assert chosen.status_code == 204
    log_in(browser)
    row = browser.get("/admin/users").text.split('data-user="krg-duty"')[1].split("</tr>")[0]
    assert "کوردی" in row


def test_a_user_without_a_password_uses_only_the_token(browser: TestClient) -> None:
    log_in(browser)
    form = {"name": "jcc-script", "partner": "jcc", "role": "analyst", "password": ""}

    answer = browser.post("/admin/users", data=form, headers=ORIGIN)

    assert token_works(browser, shown_token(answer.text))
    row = browser.get("/admin/users").text.split('data-user="jcc-script"')[1].split("</tr>")[0]
    assert "no: API token only" in row


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"name": "joc-analyst", "partner": "krg", "role": "admin"},
            "A user named joc-analyst already exists.",
        ),
        (
            {"name": "short", "partner": "joc", "role": "analyst", "password": "too short"},
            "at least 12 characters",
        ),
        ({"name": "lost", "partner": "nobody", "role": "analyst"}, "unknown partner"),
        ({"name": "lost", "partner": "joc", "role": "king"}, "choose a role"),
    ],
)
def test_a_bad_user_shows_the_form_again_and_changes_nothing(
    browser: TestClient,
    engine: Engine,
    people: dict[str, Account],
    form: dict[str, str],
    message: str,
) -> None:
    log_in(browser)
    before = user_names(engine)

    answer = browser.post("/admin/users", data=form, headers=ORIGIN)

    assert answer.status_code == 400
    assert 'data-testid="form-error"' in answer.text
    assert message in answer.text
    assert f'value="{form["name"]}"' in answer.text
    assert "too short" not in answer.text  # a typed password is never sent back
    assert 'data-testid="new-token"' not in answer.text
    assert user_names(engine) == before
    assert token_works(browser, people["joc-analyst"].token)


def test_a_new_token_replaces_the_old_one_and_ends_the_users_sessions(
    browser: TestClient, people: dict[str, Account]
) -> None:
    log_in(browser, "joc-officer")
    officer_session = dict(browser.cookies)
    old = people["joc-watch"].token
    log_in(browser)

    answer = browser.post("/admin/users/token", data={"name": "joc-watch"}, headers=ORIGIN)
    browser.post("/admin/users/token", data={"name": "joc-officer"}, headers=ORIGIN)

    assert answer.status_code == 200
    new = shown_token(answer.text)
    assert token_works(browser, new)
    assert not token_works(browser, old)
    assert new not in browser.get("/admin/users").text
    browser.cookies.clear()
    browser.cookies.update(officer_session)
    assert browser.get("/reports").status_code == 303  # the officer must log in again


def test_a_new_token_for_nobody_is_not_found(browser: TestClient) -> None:
    log_in(browser)
    answer = browser.post("/admin/users/token", data={"name": "nobody"}, headers=ORIGIN)
    assert answer.status_code == 404


def test_peers_show_their_sync_state_and_never_their_token(
    browser: TestClient, engine: Engine
) -> None:
    with writing(engine) as conn:
        tls = PeerTls("/etc/tansiq/krg-ca.pem", "/etc/tansiq/joc.pem", "/etc/tansiq/joc.key")
        add_peer(conn, "krg", "https://krg.example/", PEER_TOKEN, FROZEN_NOW, tls)
        add_peer(conn, "jcc", "http://jcc.example/", PEER_TOKEN + "-jcc", FROZEN_NOW)
        set_cursor(conn, "krg", "intel", 1_764_072_000_000_000, FROZEN_NOW)  # 2025-11-25 12:00
        mark_synced(conn, "krg", FROZEN_NOW)
    log_in(browser)

    page = browser.get("/admin/peers").text

    krg = page.split('data-peer="krg"')[1].split("</tr>")[0]
    assert "https://krg.example/" in krg
    assert "/etc/tansiq/krg-ca.pem" in krg
    assert "Mutual TLS" in krg
    assert "25 Nov 2026, 15:00:00" in krg  # last synced, Baghdad time
    assert "25 Nov 2025, 15:00:00" in krg  # the intel cursor
    assert "nothing yet" in krg  # withdrawals not pulled yet
    assert ">set<" in krg
    jcc = page.split('data-peer="jcc"')[1].split("</tr>")[0]
    assert "never" in jcc
    assert "Not encrypted" in jcc
    for path in GETS:
        assert "tq_the-token" not in browser.get(path).text


def test_the_audit_chain_verifies_and_names_an_edited_entry(
    browser: TestClient, engine: Engine
) -> None:
    log_in(browser)
    log_in(browser)
    log_in(browser)

    intact = browser.get("/admin/audit", params={"verify": "true"}).text
    assert 'data-ok="true"' in intact
    assert "every entry verified, up to entry 3." in intact

    with writing(engine) as conn:
        conn.execute(sa.text("UPDATE audit_log SET subject = 'someone-else' WHERE seq = 2"))
    broken = browser.get("/admin/audit", params={"verify": "true"}).text

    assert 'data-ok="false"' in broken
    assert 'data-first-broken="2"' in broken
    assert "The chain is broken at entry 2." in broken
    assert "It was edited" in broken
    assert "subject: someone-else" in broken
    assert '<tr data-seq="2" class="alert" data-testid="broken-entry">' in broken


def test_the_audit_log_is_paged_newest_first(browser: TestClient, engine: Engine) -> None:
    with writing(engine) as conn:
        for n in range(1, 120):
            audit.append(
                conn, at=FROZEN_NOW, actor="sync", action="sync", subject=f"peer-{n}", detail={}
            )
    log_in(browser)  # entry 120

    first = browser.get("/admin/audit").text
    assert first.count("<tr data-seq=") == 50
    assert first.index('data-seq="120"') < first.index('data-seq="71"')
    assert 'data-seq="70"' not in first
    assert 'data-ok="' not in first  # verified only when asked
    assert 'href="/admin/audit?before=71"' in first

    second = browser.get("/admin/audit", params={"before": 71}).text
    assert second.count("<tr data-seq=") == 50
    assert 'data-seq="70"' in second
    assert 'data-seq="21"' in second
    last = browser.get("/admin/audit", params={"before": 21}).text
    assert last.count("<tr data-seq=") == 20
    assert 'data-testid="audit-older"' not in last
    assert 'href="/admin/audit?before=71"' in last  # newer


def test_an_arabic_admin_page_is_right_to_left_and_translated(browser: TestClient) -> None:
    log_in(browser)
    arabic = i18n.translation(Language.AR).gettext

    page = browser.get("/admin/audit", params={"verify": "true"}, headers={"Accept-Language": "ar"})

    assert '<html lang="ar" dir="rtl"' in page.text
    for message in ("Verify the chain", "Audit log", "Users", "Partners"):
        assert arabic(message) != message
        assert arabic(message) in page.text
    assert "Verify the chain" not in page.text
