"""The browser tests drive a real node: `tansiq init`, the shipped UCDP import, `tansiq serve`.

The server is a separate process on a free loopback port, exactly as `scripts/demo` runs it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tansiq.settings import sqlite_url
from tests.conftest import REPO, SHIPPED_UCDP
from tests.servers import free_port, wait_until_healthy


def _tansiq(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tansiq", *args],
        check=True,
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real `tansiq serve` process over the shipped demo data."""
    db = sqlite_url(Path(tmp_path_factory.mktemp("node")) / "node.db")
    _tansiq("init", "--db", db)
    _tansiq("import", "ucdp", str(SHIPPED_UCDP), "--db", db)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tansiq", "serve", "--db", db, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
