"""Three partner nodes, each a real `tansiq serve` process on its own database, peered both ways.

Everything is done as an operator would: `tansiq` commands, each in a process of its own. Starting
Python and importing tansiq costs about a second per command, and the scenarios run hundreds of
commands, so each node has a `Shell`: one Python process that has imported tansiq and forks a
child per command, which runs the CLI's own entry point (`tansiq.cli.main`) with the command's
arguments, environment, stdout and stderr, and exit code. The servers, and the sync that is
killed mid-way, are plain `python -m tansiq` processes.

The network is built once per module; each test makes reports with its own title prefix and looks
only at those, so the tests do not depend on each other's state. With TANSIQ_TEST_PG set, the
module runs a second time with jcc's node on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tansiq.settings import sqlite_url
from tests.conftest import REPO, _pg_drop, _pg_schema_url, _pg_server
from tests.servers import free_port, wait_until_healthy

A = TypeVar("A")
T = TypeVar("T")

PARTNERS: dict[str, tuple[str, str | None]] = {
    "joc": ("Joint Operations Command", None),
    "krg": ("Kurdistan Region Security Council", None),
    "krg-asayish": ("Asayish", "krg"),
    "jcc": ("Joint Coordination Centre", None),
}
"""Every partner, parents before their sub-organisations; every node knows all of them."""

NODES = ("joc", "krg", "jcc")
"""The partners that run a node; krg-asayish is hosted on krg's."""

PEOPLE = {
    "joc": "joc-analyst",
    "krg": "krg-analyst",
    "krg-asayish": "asayish-analyst",
    "jcc": "jcc-analyst",
}
"""One analyst of each partner, on every node."""


def tansiq(
    *args: str,
    db: str,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m tansiq ARGS --db DB` and return what it did."""
    done = subprocess.run(
        [sys.executable, "-m", "tansiq", *args, "--db", db],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"tansiq {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


_SHELL = r"""
import functools, gc, json, os, sys, traceback
import typer.main
import tansiq.cli

# typer makes a click command of the app on every call (0.1 s: it inspects every command's
# signature); made here once, every child inherits it, as one process would make it once.
typer.main.get_command = functools.cache(typer.main.get_command)
typer.main.get_command(tansiq.cli.app)
# What the parent built stays out of the children's garbage collections: a collection would
# touch, and so copy, every page of the parent's heap in each child.
gc.freeze()


def child(request):
    code = 1
    try:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        for fd, name in ((1, "out"), (2, "err")):
            os.dup2(os.open(request[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        os.environ.update(request["env"])
        sys.argv = ["tansiq", *request["args"]]
        try:
            tansiq.cli.main()
            code = 0
        except SystemExit as exc:
            if isinstance(exc.code, int) or exc.code is None:
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


for line in sys.stdin:
    request = json.loads(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        child(request)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n")
    sys.stdout.flush()
"""


class Shell:
    """Runs `tansiq` commands in forked children of one process that imported tansiq once.

    One command at a time (a node's commands queue up); nodes each have their own shell."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SHELL],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            text=True,
        )
        self.lock = threading.Lock()
        self.count = 0

    def run(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        with self.lock:
            self.count += 1
            out, err = (self.workdir / f"{self.count}.{n}" for n in ("out", "err"))
            request = {"args": args, "env": env, "out": str(out), "err": str(err)}
            assert self.proc.stdin is not None
            assert self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline()
            if not answer:
                raise RuntimeError(f"the tansiq shell exited with {self.proc.wait()}")
            code = int(json.loads(answer)["code"])
            return subprocess.CompletedProcess(
                ["tansiq", *args], code, out.read_text(), err.read_text()
            )

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, and kill it if it does not go."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def parallel(work: Callable[[A], T], items: Iterable[A]) -> list[T]:
    """`work` on each item at the same time (independent nodes); the results in order."""
    todo = list(items)
    with ThreadPoolExecutor(max_workers=max(len(todo), 1)) as pool:
        return list(pool.map(work, todo))


@dataclass
class Node:
    """One partner's node: its database, its server and the tokens it issued to the others."""

    code: str
    db: str
    workdir: Path
    url: str = ""
    proc: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    shell: Shell | None = None

    def run(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`tansiq ARGS --db DB` (in this node's shell once it has one)."""
        if self.shell is None:
            return tansiq(*args, db=self.db, check=check, env=env)
        done = self.shell.run([*args, "--db", self.db], env or {})
        if check and done.returncode != 0:
            raise AssertionError(
                f"tansiq {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def json(self, *args: str, env: dict[str, str] | None = None) -> Any:
        return json.loads(self.run(*args, "--json", env=env).stdout)

    def setup(self) -> None:
        """`init` as this partner, every partner, an analyst of each, a peer account per node."""
        name, _ = PARTNERS[self.code]
        self.run("init", "--partner", self.code, "--partner-name", name)
        for code, (full, parent) in PARTNERS.items():
            if code != self.code:
                self.run("partners", "add", code, "--name", full, *_parent(parent))
        for partner, user in PEOPLE.items():
            self.run("users", "add", user, "--partner", partner, "--role", "analyst")
        for other in NODES:
            if other != self.code:
                made = self.json(
                    "users", "add", f"{other}-node", "--partner", other, "--role", "peer"
                )
                self.tokens[other] = made["token"]

    def open_shell(self) -> None:
        self.shell = Shell(self.workdir / "shell")

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        with (self.workdir / "serve.log").open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tansiq", "serve", "--db", self.db, "--port", str(port)],
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until_healthy(self.url, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
        if self.shell is not None:
            self.shell.close()

    def add_report(self, title: str, tlp: str, to: Iterable[str], *extra: str) -> str:
        releasable = ",".join(sorted(to))
        made = self.json(
            "reports", "add", "--title", title, "--tlp", tlp, "--releasable-to", releasable, *extra
        )
        return str(made["id"])

    def sync(self, peer: str | None = None, page_size: int | None = None) -> dict[str, Any]:
        """`tansiq sync [PEER] --json`: one peer's summary, or the totals with `peers`."""
        env = {"TANSIQ_SYNC_PAGE_SIZE": str(page_size)} if page_size else None
        found: dict[str, Any] = self.json("sync", *((peer,) if peer else ()), env=env)
        return found

    def listed(self, partner: str, prefix: str, kind: str = "report") -> list[dict[str, Any]]:
        """What an analyst of `partner` sees here among objects containing `prefix`."""
        found: list[dict[str, Any]] = self.json(
            "reports",
            "list",
            "--as",
            PEOPLE[partner],
            "--q",
            prefix,
            "--type",
            kind,
            "--limit",
            "10000",
        )
        return found


def _parent(parent: str | None) -> tuple[str, ...]:
    return ("--parent", parent) if parent else ()


@dataclass
class Network:
    nodes: dict[str, Node]

    def __getitem__(self, code: str) -> Node:
        return self.nodes[code]

    def sync_round(self) -> dict[str, dict[str, Any]]:
        """Every node pulls from both others (all at once); each node's totals."""
        found = parallel(Node.sync, self.nodes.values())
        return dict(zip(self.nodes, found, strict=True))

    def audit_ok(self) -> None:
        for node, done in zip(
            self.nodes,
            parallel(lambda n: n.run("audit", "verify", check=False), self.nodes.values()),
            strict=True,
        ):
            assert done.returncode == 0, f"audit verify on {node}: {done.stdout}{done.stderr}"


@dataclass(frozen=True)
class Backend:
    """Which nodes keep their database in PostgreSQL (the others use SQLite)."""

    name: str
    postgres: frozenset[str] = frozenset()


BACKENDS = [
    Backend("sqlite"),
    pytest.param(Backend("jcc-on-postgres", frozenset({"jcc"})), marks=pytest.mark.postgres),
]


@pytest.fixture(scope="module", params=BACKENDS, ids=lambda b: b.name)
def network(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Network]:
    """joc, krg and jcc nodes serving, each pulling from both others."""
    backend: Backend = request.param
    server = _pg_server() if backend.postgres else None
    if backend.postgres and server is None:
        pytest.skip("no PostgreSQL server: set TANSIQ_TEST_PG (scripts/test does)")
    base = tmp_path_factory.mktemp("network")
    schemas: list[str] = []
    nodes: dict[str, Node] = {}
    for code in NODES:
        if code in backend.postgres and server is not None:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            db = _pg_schema_url(server, schema)
            schemas.append(schema)
        else:
            db = sqlite_url(base / f"{code}.db")
        nodes[code] = Node(code, db, base / code)
    try:
        parallel(Node.open_shell, nodes.values())
        parallel(Node.setup, nodes.values())
        parallel(Node.start, nodes.values())
        net = Network(nodes)

        def peer_up(node: Node) -> None:
            for other in NODES:
                if other != node.code:
                    token = nodes[other].tokens[node.code]
                    node.run("peers", "add", other, "--url", nodes[other].url, "--token", token)

        parallel(peer_up, nodes.values())
        yield net
    finally:
        for node in nodes.values():
            node.stop()
        for schema in schemas:
            assert server is not None
            _pg_drop(server, schema)
