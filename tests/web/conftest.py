"""The browser tests drive a real node: `tansiq init`, the shipped UCDP import, `tansiq serve`.

The server is a separate process on a free loopback port, exactly as `scripts/demo` runs it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tansiq.settings import sqlite_url
from tests.conftest import REPO, SHIPPED_UCDP


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _tansiq(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "tansiq", *args],
        check=True,
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tansiq serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("tansiq serve did not become healthy in time")


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
