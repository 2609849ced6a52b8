"""Real `tansiq serve` processes for tests: a free loopback port, and waiting until healthy."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_healthy(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Return once `url` (the node's base URL) answers /api/health; fail if the process dies."""
    health = url.rstrip("/") + "/api/health"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tansiq serve exited with {proc.returncode}")
        try:
            if httpx.get(health, timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"tansiq serve at {url} did not become healthy in time")


@contextmanager
def serving(db: str) -> Iterator[str]:
    """`tansiq serve` on `db` (a URL) at a free loopback port, healthy; yields its base URL and
    stops it afterwards."""
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
