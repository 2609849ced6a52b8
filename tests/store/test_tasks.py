"""Tasks in the store (SQLite and PostgreSQL): raising, visibility, moves, escalation, metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tansiq import tasks
from tansiq.domain.markings import Tlp
from tansiq.domain.reports import ReportDraft
from tansiq.domain.tasks import SourceKind, TaskAction
from tansiq.errors import Conflict, Forbidden, InvalidInput, NotFound
from tansiq.sharing import exchange
from tansiq.sharing.exchange import Release
from tansiq.store import audit
from tansiq.store import tasks as store
from tansiq.store.database import reading, writing
from tansiq.store.incidents import upsert_incidents
from tansiq.store.schema import audit_log
from tansiq.store.schema_tasks import tasks as tasks_table
from tests.conftest import FROZEN_NOW
from tests.factories import make_row
from tests.nodes import Account, setup_node

H = timedelta(hours=1)


@pytest.fixture
def people(engine: Engine) -> dict[str, Account]:
    return setup_node(engine)


def _report(engine: Engine, who: Account, to: set[str], tlp: Tlp = Tlp.AMBER) -> str:
    draft = ReportDraft(title="Cell near Sinjar", text="seen at dusk", published=FROZEN_NOW)
    with writing(engine) as conn:
        return exchange.create_report(
            conn, who.principal, draft, Release(tlp, frozenset(to)), FROZEN_NOW
        )


def _raise(engine: Engine, who: Account, ref: str, to: str = "krg", **kw: object) -> int:
    kind = kw.pop("kind", SourceKind.REPORT)
    with writing(engine) as conn:
        return tasks.raise_task(
            conn,
            who.principal,
            source_kind=kind,  # type: ignore[arg-type]
            source_ref=ref,
            to_partner=to,
            title="Check the crossing",
            body="",
            now=FROZEN_NOW,
            **kw,  # type: ignore[arg-type]
        )


def _act(engine: Engine, who: Account, task_id: int, action: TaskAction, text: str = "") -> str:
    with writing(engine) as conn:
        return str(tasks.act(conn, who.principal, task_id, action, text, FROZEN_NOW + H)["state"])


def _seen(engine: Engine, who: Account) -> list[int]:
    with reading(engine) as conn:
        return [t["id"] for t in store.find_tasks(conn, who.principal.viewer)]


def test_a_task_is_seen_by_issuer_and_receiver_only(
    engine: Engine, people: dict[str, Account]
) -> None:
    task_id = _raise(engine, people["joc-analyst"], _report(engine, people["joc-analyst"], {"krg"}))

    assert _seen(engine, people["joc-watch"]) == [task_id]
    assert _seen(engine, people["krg-analyst"]) == [task_id]
    assert _seen(engine, people["jcc-analyst"]) == []
    assert _seen(engine, people["asayish-analyst"]) == []  # a part of krg, not krg
    with reading(engine) as conn:
        for outsider in ("jcc-analyst", "asayish-analyst"):
            with pytest.raises(NotFound, match=f"no such task: {task_id}"):
                tasks.get_task(conn, people[outsider].principal, task_id)
        assert tasks.metrics(conn, people["jcc-analyst"].principal, FROZEN_NOW) == []


def test_a_report_not_released_to_the_receiver_is_refused(
    engine: Engine, people: dict[str, Account]
) -> None:
    joc_only = _report(engine, people["joc-analyst"], set())

    with pytest.raises(InvalidInput, match="not released to krg: they could not read"):
        _raise(engine, people["joc-analyst"], joc_only)
    with reading(engine) as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tasks_table)).scalar() == 0


def test_a_report_the_creator_cannot_read_answers_like_a_missing_one(
    engine: Engine, people: dict[str, Account]
) -> None:
    joc_only = _report(engine, people["joc-analyst"], set())
    missing = "report--00000000-0000-4000-8000-000000000000"

    with pytest.raises(NotFound) as hidden:
        _raise(engine, people["krg-analyst"], joc_only, to="joc")
    with pytest.raises(NotFound) as absent:
        _raise(engine, people["krg-analyst"], missing, to="joc")
    assert str(hidden.value).replace(joc_only, "ID") == str(absent.value).replace(missing, "ID")


def test_a_task_from_an_incident(engine: Engine, people: dict[str, Account]) -> None:
    with writing(engine) as conn:
        upsert_incidents(conn, "ucdp", [make_row(source_id="77")], FROZEN_NOW)
        incident_id = str(conn.execute(sa.text("SELECT id FROM incidents")).scalar())
    task_id = _raise(engine, people["joc-watch"], incident_id, kind=SourceKind.INCIDENT)

    with reading(engine) as conn:
        task = tasks.get_task(conn, people["krg-analyst"].principal, task_id)
    assert (task["source_kind"], task["source_ref"]) == ("incident", incident_id)
    assert task["ack_due"] == FROZEN_NOW + 2 * H  # an incident's default
    with pytest.raises(NotFound, match="no such incident: 999"):
        _raise(engine, people["joc-watch"], "999", kind=SourceKind.INCIDENT)


def test_the_receiver_moves_it_and_every_move_is_audited(
    engine: Engine, people: dict[str, Account]
) -> None:
    task_id = _raise(engine, people["joc-analyst"], _report(engine, people["joc-analyst"], {"krg"}))
    krg = people["krg-analyst"]

    with pytest.raises(Forbidden, match="only the people of krg"):
        _act(engine, people["joc-analyst"], task_id, TaskAction.ACK)
    with pytest.raises(NotFound):
        _act(engine, people["jcc-analyst"], task_id, TaskAction.ACK)
    with pytest.raises(Conflict, match="cannot start a task that is open"):
        _act(engine, krg, task_id, TaskAction.START)
    assert _act(engine, krg, task_id, TaskAction.ACK) == "acknowledged"
    assert _act(engine, krg, task_id, TaskAction.START) == "in-progress"
    with pytest.raises(InvalidInput, match="feedback"):
        _act(engine, krg, task_id, TaskAction.DONE, "")
    assert _act(engine, krg, task_id, TaskAction.DONE, "two arrested") == "done"
    with pytest.raises(InvalidInput, match="closed"):
        _act(engine, krg, task_id, TaskAction.DECLINE, "too late")

    with reading(engine) as conn:
        task = tasks.get_task(conn, people["joc-analyst"].principal, task_id)
        actions = conn.execute(
            sa.select(audit_log.c.action).where(audit_log.c.subject == f"task:{task_id}")
        ).scalars()
        assert list(actions) == ["task-open", "task-ack", "task-start", "task-done"]
        assert audit.verify(conn).ok
    assert (task["feedback"], task["closed_by"]) == ("two arrested", "krg-analyst")
    assert task["acknowledged_at"] == FROZEN_NOW + H


def test_overdue_tasks_escalate_once_per_level(engine: Engine, people: dict[str, Account]) -> None:
    report = _report(engine, people["joc-analyst"], {"krg"})
    late = _raise(engine, people["joc-analyst"], report, ack_within=H, done_within=10 * H)
    acked = _raise(engine, people["joc-analyst"], report, ack_within=H, done_within=10 * H)
    _act(engine, people["krg-analyst"], acked, TaskAction.ACK)  # at +1 h: in time

    def sweep(hours: float) -> list[tuple[int, int]]:
        with writing(engine) as conn:
            return tasks.escalate_overdue(conn, FROZEN_NOW + hours * H)

    assert sweep(1) == []
    assert sweep(2) == [(late, 1)]
    assert sweep(2) == []  # idempotent
    assert sweep(3) == []
    assert sweep(11) == [(late, 2), (acked, 2)]
    assert sweep(12) == []
    with reading(engine) as conn:
        levels = conn.execute(
            sa.select(audit_log.c.subject).where(audit_log.c.action == "task-escalate")
        ).scalars()
        assert list(levels) == [f"task:{late}", f"task:{late}", f"task:{acked}"]
        assert tasks.get_task(conn, people["krg-analyst"].principal, late)["escalation_level"] == 2


def test_metrics_over_the_visible_tasks(engine: Engine, people: dict[str, Account]) -> None:
    report = _report(engine, people["joc-analyst"], {"krg", "jcc"})
    first = _raise(engine, people["joc-analyst"], report)
    second = _raise(engine, people["joc-analyst"], report)
    _raise(engine, people["joc-analyst"], report, to="jcc")
    _act(engine, people["krg-analyst"], first, TaskAction.ACK)
    _act(engine, people["krg-analyst"], second, TaskAction.DECLINE, "not ours")

    with reading(engine) as conn:
        krg_view = tasks.metrics(conn, people["krg-analyst"].principal, FROZEN_NOW + 5 * H)
        joc_view = tasks.metrics(conn, people["joc-analyst"].principal, FROZEN_NOW + 5 * H)

    assert [m["partner"] for m in krg_view] == ["krg"]  # krg does not see joc's task to jcc
    (krg,) = krg_view
    assert (krg["received"], krg["acknowledged"], krg["median_ack_hours"]) == (2, 1, 1.0)
    assert (krg["share_done"], krg["share_declined"], krg["overdue_ack"]) == (0.0, 0.5, 0)
    jcc = next(m for m in joc_view if m["partner"] == "jcc")
    assert (jcc["received"], jcc["overdue_ack"], jcc["overdue"]) == (1, 1, 1)  # due at +4 h


def test_open_task_refuses_unknown_partners_and_bad_deadlines(
    engine: Engine, people: dict[str, Account]
) -> None:
    with writing(engine) as conn, pytest.raises(InvalidInput, match="to_partner: unknown partner"):
        tasks.open_task(
            conn,
            source_kind="border-alert",
            source_ref="1",
            from_partner="joc",
            to_partner="nobody",
            title="x",
            body="",
            by="system",
            now=FROZEN_NOW,
        )
    with writing(engine) as conn, pytest.raises(InvalidInput, match="done_within"):
        tasks.open_task(
            conn,
            source_kind="operation",
            source_ref="op-1",
            from_partner="joc",
            to_partner="krg",
            title="Review break-glass",
            body="",
            by="system",
            now=FROZEN_NOW,
            ack_within=2 * H,
            done_within=H,
        )
    with writing(engine) as conn:
        task_id = tasks.open_task(
            conn,
            source_kind="operation",
            source_ref="op-1",
            from_partner="joc",
            to_partner="krg",
            title="Review break-glass",
            body="",
            by="system",
            now=FROZEN_NOW,
        )
        assert tasks.get_task(conn, people["krg-analyst"].principal, task_id)["state"] == "open"
