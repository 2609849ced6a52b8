"""`tansiq tasks` as people run it: raise from a report, move, list, show, escalate, metrics."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tansiq.commands.common import now
from tansiq.store.database import create_db_engine, writing
from tansiq.store.schema_tasks import tasks as tasks_table
from tests.cli.runner import tansiq


@pytest.fixture
def node(db_url: str) -> str:
    tansiq("init", "--partner", "joc", db=db_url)
    tansiq("partners", "add", "krg", "--name", "KRG", db=db_url)
    tansiq("partners", "add", "jcc", "--name", "JCC", db=db_url)
    for user, partner in (("ali", "joc"), ("rebin", "krg"), ("sara", "jcc")):
        tansiq("users", "add", user, "--partner", partner, "--role", "analyst", db=db_url)
    return db_url


def _report(db: str, *release: str) -> str:
    args = ["reports", "add", "--title", "Cell near Sinjar", "--as", "ali", "--json"]
    if release:
        args += ["--releasable-to", ",".join(release)]
    return str(json.loads(tansiq(*args, db=db).stdout)["id"])


def _json(*args: str, db: str) -> object:
    return json.loads(tansiq(*args, "--json", db=db).stdout)


def test_a_task_from_a_report_to_its_end(node: str) -> None:
    report = _report(node, "krg")
    task = _json(
        "tasks",
        "add",
        "--from-report",
        report,
        "--to",
        "krg",
        "--title",
        "Check the village",
        "--ack-within",
        "2h",
        "--as",
        "ali",
        db=node,
    )
    assert isinstance(task, dict)
    task_id = str(task["id"])
    assert task["state"] == "open"

    assert _json("tasks", "ack", task_id, "--as", "rebin", db=node)["state"] == "acknowledged"  # type: ignore[index]
    tansiq("tasks", "start", task_id, "--as", "rebin", db=node)
    done = _json("tasks", "done", task_id, "--feedback", "house searched", "--as", "rebin", db=node)
    shown = _json("tasks", "show", task_id, "--as", "ali", db=node)

    assert done == {**shown, "overdue_ack": False, "overdue_done": False}  # type: ignore[dict-item]
    assert isinstance(shown, dict)
    assert shown["feedback"] == "house searched"
    assert _json("tasks", "list", "--as", "sara", db=node) == []
    hidden = tansiq("tasks", "show", task_id, "--as", "sara", db=node, check=False)
    assert hidden.returncode == 1
    assert f"no such task: {task_id}" in hidden.stderr
    metrics = _json("tasks", "metrics", "--as", "rebin", db=node)
    assert isinstance(metrics, list)
    assert metrics[0]["share_done"] == 1.0


def test_refusals_say_why(node: str) -> None:
    joc_only = _report(node)

    unreleased = tansiq(
        "tasks",
        "add",
        "--from-report",
        joc_only,
        "--to",
        "krg",
        "--title",
        "x",
        "--as",
        "ali",
        db=node,
        check=False,
    )
    bad_duration = tansiq(
        "tasks",
        "add",
        "--from-incident",
        "1",
        "--to",
        "krg",
        "--title",
        "x",
        "--ack-within",
        "soon",
        "--as",
        "ali",
        db=node,
        check=False,
    )
    both = tansiq(
        "tasks",
        "add",
        "--from-incident",
        "1",
        "--from-report",
        joc_only,
        "--to",
        "krg",
        "--title",
        "x",
        db=node,
        check=False,
    )

    assert unreleased.returncode == 1
    assert "not released to krg" in unreleased.stderr
    assert "--ack-within" in bad_duration.stderr
    assert "exactly one of --from-report and --from-incident" in both.stderr


def test_escalate_sweeps_overdue_tasks_once(node: str) -> None:
    report = _report(node, "krg")
    task_id = str(
        _json(
            "tasks",
            "add",
            "--from-report",
            report,
            "--to",
            "krg",
            "--title",
            "x",
            "--as",
            "ali",
            db=node,
        )["id"]  # type: ignore[index]
    )
    engine = create_db_engine(node)
    with writing(engine) as conn:  # as if raised five hours ago: past its 4 h to acknowledge
        earlier = now() - timedelta(hours=5)
        conn.execute(
            sa.update(tasks_table).values(created_at=earlier, ack_due=earlier + timedelta(hours=4))
        )
    engine.dispose()

    assert _json("tasks", "escalate", db=node) == [{"id": int(task_id), "level": 1}]
    assert _json("tasks", "escalate", db=node) == []
    listed = _json("tasks", "list", "--state", "open", "--as", "rebin", db=node)
    assert isinstance(listed, list)
    assert listed[0]["overdue_ack"] is True
    assert listed[0]["escalation_level"] == 1
