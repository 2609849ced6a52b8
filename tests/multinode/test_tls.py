"""Node to node over HTTPS with mutual TLS: `tansiq serve --cert --key --client-ca` and a peer
added with `--ca --cert --key`. Certificates are made here with `cryptography`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tansiq.settings import sqlite_url
from tests.cli.runner import tansiq
from tests.conftest import REPO
from tests.servers import free_port

pytestmark = pytest.mark.slow
NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _write(
    folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> Pair:
    pair = Pair(folder / f"{stem}.crt", folder / f"{stem}.key")
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pair


def _issue(
    folder: Path, stem: str, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None
) -> tuple[Pair, x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_cert, issuer_key = ca if ca else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(stem))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(stem))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca is None, path_length=None), critical=True)
    )
    if ca is not None:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    return _write(folder, stem, cert, key), cert, key


@dataclass(frozen=True)
class Pki:
    ca: Pair
    server: Pair
    client: Pair
    stranger: Pair


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca, ca_cert, ca_key = _issue(folder, "ca", None)
    _, other_cert, other_key = _issue(folder, "other-ca", None)
    server = _issue(folder, "joc-node", (ca_cert, ca_key))[0]
    client = _issue(folder, "krg-node", (ca_cert, ca_key))[0]
    stranger = _issue(folder, "stranger", (other_cert, other_key))[0]
    return Pki(ca, server, client, stranger)


def _tansiq(db: str, *args: str) -> str:
    """A command that sets a node up, run in this process (tests/cli/runner.py: the same entry
    point, without the two seconds a new Python process costs); the syncs under test and the
    server run as processes of their own."""
    return tansiq(*args, db=db).stdout


@pytest.fixture(scope="module")
def joc(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A joc node serving HTTPS that requires client certificates; yields its URL and the token
    of krg's peer account."""
    db = sqlite_url(tmp_path_factory.mktemp("joc") / "joc.db")
    _tansiq(db, "init", "--partner", "joc", "--partner-name", "Joint Operations Command")
    _tansiq(db, "partners", "add", "krg", "--name", "KRG")
    token = json.loads(
        _tansiq(db, "users", "add", "krg-node", "--partner", "krg", "--role", "peer", "--json")
    )["token"]
    _tansiq(
        db,
        "reports",
        "add",
        "--title",
        "Over mutual TLS",
        "--tlp",
        "amber",
        "--releasable-to",
        "krg",
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tansiq",
            "serve",
            "--db",
            db,
            "--port",
            str(port),
            "--cert",
            str(pki.server.cert),
            "--key",
            str(pki.server.key),
            "--client-ca",
            str(pki.ca.cert),
        ],
        cwd=REPO,
    )
    try:
        _wait_for_tls(port)
        yield f"https://127.0.0.1:{port}/", token
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for_tls(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the TLS server did not start")


def _krg(tmp_path: Path, url: str, token: str, *tls: str) -> str:
    db = sqlite_url(tmp_path / "krg.db")
    _tansiq(db, "init", "--partner", "krg", "--partner-name", "KRG")
    _tansiq(db, "partners", "add", "joc", "--name", "Joint Operations Command")
    _tansiq(db, "peers", "add", "joc", "--url", url, "--token", token, *tls)
    return db


def _sync(db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tansiq", "sync", "joc", "--json", "--db", db],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_peer_with_a_client_certificate_syncs(
    joc: tuple[str, str], pki: Pki, tmp_path: Path
) -> None:
    url, token = joc
    db = _krg(
        tmp_path,
        url,
        token,
        "--ca",
        str(pki.ca.cert),
        "--cert",
        str(pki.client.cert),
        "--key",
        str(pki.client.key),
    )
    done = _sync(db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 1  # the report


@pytest.mark.parametrize("who", ["none", "stranger"])
def test_no_or_a_foreign_client_certificate_is_refused(
    joc: tuple[str, str], pki: Pki, tmp_path: Path, who: str
) -> None:
    url, token = joc
    tls = ["--ca", str(pki.ca.cert)]
    if who == "stranger":
        tls += ["--cert", str(pki.stranger.cert), "--key", str(pki.stranger.key)]
    done = _sync(_krg(tmp_path, url, token, *tls))
    assert done.returncode == 1
    assert "error: peer joc" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("version", "accepted"),
    [
        (ssl.TLSVersion.TLSv1_2, True),
        (ssl.TLSVersion.TLSv1_3, True),
        (ssl.TLSVersion.TLSv1_1, False),
    ],
)
def test_tls_versions(
    joc: tuple[str, str], pki: Pki, version: ssl.TLSVersion, accepted: bool
) -> None:
    url, _ = joc
    port = int(url.rsplit(":", 1)[1].strip("/"))
    context = ssl.create_default_context(cafile=str(pki.ca.cert))
    context.load_cert_chain(str(pki.client.cert), str(pki.client.key))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1 is: that is the point
        context.minimum_version = context.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that this client really offers it
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.version() == version.name.replace("_", ".")
            handshake = True
    except (ssl.SSLError, OSError):
        handshake = False
    assert handshake is accepted
