"""Running `tansiq` as a user does, in this process or in a new one.

`tansiq` runs the console script's own entry point, `tansiq.cli.main`, with `sys.argv` set,
inside Click's CliRunner isolation (its own stdin, stdout, stderr and environment). The error
handling, exit codes and messages are main's, as in the installed `tansiq` command; what a new
process would add is done here as Python itself does it: an uncaught exception prints its
traceback to stderr and exits 1, a non-integer SystemExit prints itself to stderr, a log record
at WARNING or above goes to stderr (the CLI sets up no logging, so Python's last-resort handler
would print it), and ResourceWarnings are ignored (as by Python's default filters; this suite
turns warnings into errors) while what the command left open is dropped at its end. This saves
the ~1 s of imports a `python -m tansiq` process costs. Two more savings: the shipped-geography
`AreaLocator` (immutable, ~1 s to build) is built once and shared by every run, as the
`locator` fixture does for the other tests; and so is the click command typer makes of the
`tansiq` app, which it otherwise rebuilds on every call of the app (0.06-0.1 s, inspecting the
signature of every command), as a process does once.

`tansiq_process` spawns `python -m tansiq`: for tests whose point is the process (the entry
point itself, kill -9, concurrent writers, servers, the environment at start-up).

Both return a `subprocess.CompletedProcess[str]`, so a test can switch between them freely.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import os
import subprocess
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import typer.main
from click.testing import CliRunner

from tansiq.cli import main
from tansiq.geo.locator import AreaLocator
from tests.conftest import REPO


def tansiq(
    *args: str,
    db: str | None,
    check: bool = True,
    env: Mapping[str, str | None] | None = None,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """Run `tansiq ARGS [--db DB]` in this process and return what it did.

    `env` overrides environment variables for the run (None removes one); `cwd` is the working
    directory, as `python -m tansiq` would be started in.
    """
    argv = ["tansiq", *args, *(("--db", db) if db else ())]
    returncode, stdout, stderr = _run_main(argv, env or {}, cwd)
    done = subprocess.CompletedProcess(argv, returncode, stdout, stderr)
    if check and returncode != 0:
        raise AssertionError(f"tansiq {' '.join(args)} failed ({returncode}):\n{stderr}")
    return done


def tansiq_process(
    *args: str,
    db: str | None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m tansiq ARGS [--db DB]` as a new process and return what it did."""
    done = subprocess.run(
        [sys.executable, "-m", "tansiq", *args, *(("--db", db) if db else ())],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"tansiq {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


def _run_main(argv: list[str], env: Mapping[str, str | None], cwd: Path) -> tuple[int, str, str]:
    """main() under `argv`, `env` and `cwd`: its exit code, stdout and stderr."""
    # The isolation swaps sys.stdout/sys.stderr and os.environ for the whole process.
    assert threading.current_thread() is threading.main_thread(), "run tansiq() from one thread"
    with (
        contextlib.chdir(cwd),
        CliRunner().isolation(env=env) as (out, err, _),
        _argv(argv),
        _excepthook(),
        _last_resort_logging(),
        _exit_cleanup(),
        mock.patch.object(AreaLocator, "from_shipped", _shipped_locator),
        mock.patch.object(typer.main, "get_command", _command),
    ):
        try:
            main()
            returncode = 0
        except SystemExit as exc:
            returncode = _exit_status(exc.code)
        except Exception as exc:  # what the interpreter does with an uncaught exception
            traceback.print_exception(exc, file=sys.stderr)
            returncode = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return returncode, _text(out.getvalue()), _text(err.getvalue())


def _exit_status(code: object) -> int:
    """The process exit status Python gives `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _text(data: bytes) -> str:
    """Bytes as `subprocess.run(text=True)` would give them (universal newlines)."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


@contextlib.contextmanager
def _argv(argv: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved


@contextlib.contextmanager
def _excepthook() -> Iterator[None]:
    """Typer installs its own sys.excepthook on every run; leave the test process's alone."""
    saved = sys.excepthook
    try:
        yield
    finally:
        sys.excepthook = saved


_build_command = typer.main.get_command


@functools.cache
def _command(app: typer.Typer) -> Any:
    """typer's click command for `app`, built on the first run and reused (see the docstring)."""
    return _build_command(app)


_build_shipped_locator = AreaLocator.from_shipped


@functools.cache
def _shipped_locator() -> AreaLocator:
    return _build_shipped_locator()


@contextlib.contextmanager
def _exit_cleanup() -> Iterator[None]:
    """Ignore ResourceWarnings, and drop what the command left behind as its process's exit
    would: e.g. an engine a failed command did not dispose of (psycopg warns when an open
    connection is collected). Only objects made during the run are scanned (gc.freeze)."""
    gc.freeze()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                yield
            finally:
                gc.collect()
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _last_resort_logging() -> Iterator[None]:
    """Log records at WARNING or above reach the captured stderr, as in a new process (where the
    root logger has no handlers and Python's last-resort handler prints the message)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
