"""`tansiq demo`, the README's first command after installing: a node serving the real data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.servers import free_port, wait_until_healthy


@pytest.mark.slow
def test_demo_builds_a_fresh_node_and_serves_the_map(tmp_path: Path) -> None:
    demo_db = tmp_path / "demo.db"
    demo_db.write_bytes(b"a stale file the demo must replace")
    port = free_port()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "tansiq", "demo", "--file", str(demo_db)),
            *("--port", str(port), "--password", PASSWORD),
        ],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, proc, seconds=120)
        health = httpx.get(f"{url}/api/health", trust_env=False).json()
        with httpx.Client(base_url=url, trust_env=False) as browser:
            anonymous = browser.get("/")
            login = {"name": "demo-watch", "password": PASSWORD}
            assert browser.post("/api/session", json=login).status_code == 200
            page = browser.get("/")
            disputed = browser.get(
                "/api/incidents.geojson", params={"disputed": "true", "limit": 1}
            ).json()
            positions = browser.get("/api/positions.geojson").json()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=20)
    assert health["incidents"] == 7_219
    assert anonymous.status_code == 303
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert 0 < disputed["total"] < 7_219
    # The demo's synthetic positions of both sides, released to the JCC's people.
    shown = [f["properties"] for f in positions["features"]]
    assert positions["total"] == len(shown) > 10
    assert {p["partner"] for p in shown} == {"joc", "krg"}
    assert all(p["synthetic"] and p["name"].endswith("(synthetic)") for p in shown)
    assert f"http://127.0.0.1:{port}/" in stderr.decode()
    assert f"password: {PASSWORD}" in stderr.decode()


PASSWORD = "the demo's password"
