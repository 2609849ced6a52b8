"""The browser tests drive a real node: `tansiq init`, the shipped UCDP import, `tansiq serve`.

The server is a separate process on a free loopback port, exactly as `scripts/demo` runs it.
The commands that set its database up run in this process (tests/cli/runner.py: the CLI's own
entry point, as the installed `tansiq` runs it), which saves the two seconds of start-up a new
Python process costs each of them; none of these tests is about the command's process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tansiq.settings import sqlite_url
from tests.cli.runner import tansiq
from tests.conftest import SHIPPED_UCDP
from tests.servers import serving


def tansiq_on(db: str, *args: str) -> str:
    """`tansiq ARGS --db DB` (run in this process); its stdout (it must succeed)."""
    return tansiq(*args, db=db).stdout


@dataclass(frozen=True)
class LiveUser:
    """A person on the live node: logs in to the page with the password, scripts use the token."""

    name: str
    password: str
    token: str

    def get_json(self, url: str, path: str, timeout: float = 120) -> Any:
        """GET `path` of the node at `url` with this person's token; the decoded JSON."""
        token = {"Authorization": f"Bearer {self.token}"}
        answer = httpx.get(url + path, headers=token, trust_env=False, timeout=timeout)
        answer.raise_for_status()
        return answer.json()


def add_live_user(db: str, name: str, partner: str, role: str, password: str) -> LiveUser:
    """A user added to the node at `db` with a password, and the token `users add` printed."""
    added = tansiq_on(
        db, "users", "add", name, "--partner", partner, "--role", role,
        "--password", password, "--json",
    )  # fmt: skip
    return LiveUser(name, password, json.loads(added)["token"])


LIVE_PASSWORD = "a password for the browser tests"
LIVE_USERS: dict[str, LiveUser] = {}
"""Filled by `live_server`: the JCC node's watch officer, analyst and administrator."""


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real `tansiq serve` process over the shipped demo data, a JCC node
    with a watch officer (`watch`) and an analyst (`analyst`) who have passwords."""
    db = sqlite_url(Path(tmp_path_factory.mktemp("node")) / "node.db")
    tansiq_on(db, "init", "--partner", "jcc", "--partner-name", "Joint Coordination Centre")
    tansiq_on(db, "import", "ucdp", str(SHIPPED_UCDP))
    for code, name in (("joc", "Joint Operations Command"), ("krg", "Kurdistan Region")):
        tansiq_on(db, "partners", "add", code, "--name", name)
    for name in ("watch", "analyst", "admin"):
        LIVE_USERS[name] = add_live_user(db, name, "jcc", name, LIVE_PASSWORD)
    with serving(db) as url:
        yield url


@pytest.fixture(scope="session")
def live_report(live_server: str) -> str:
    """The id of an AMBER report in Arabic, with a place, written by the live node's analyst
    (for the pages that show one report)."""
    report = {
        "title": "خلية تتحرك قرب مخمور",
        "text": "شوهدت سيارتان بلا لوحات عند الغروب.",
        "lang": "ar",
        "tlp": "amber",
        "grade": "B2",
        "releasable_to": ["krg"],
        "places": [{"lat": 35.78, "lon": 43.58, "name": "مخمور"}],
    }
    token = {"Authorization": f"Bearer {LIVE_USERS['analyst'].token}"}
    answer = httpx.post(
        f"{live_server}/api/reports", json=report, headers=token, trust_env=False, timeout=30
    )
    answer.raise_for_status()
    report_id: str = answer.json()["id"]
    return report_id
