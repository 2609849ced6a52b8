"""`tansiq audit`: check the audit chain and read its entries."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tansiq.commands.common import DbOption, JsonOption, engine_for, err, print_json
from tansiq.domain.audit import AuditEntry, AuditVerdict
from tansiq.store import audit as store
from tansiq.store.database import reading, require_schema

audit_app = typer.Typer(
    help="The audit log: who did what, in an append-only hash chain.", no_args_is_help=True
)


@audit_app.command()
def verify(db: DbOption = None, json: JsonOption = False) -> None:
    """Check every entry and the head; exit 1 naming the first edited or deleted entry."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        verdict = store.verify(conn)
    if json:
        print_json(_verdict_json(verdict))
    elif verdict.ok:
        Console().print(f"audit chain intact: {verdict.entries} entries", highlight=False)
    else:
        err.print(_broken_message(verdict), markup=False, highlight=False, soft_wrap=True)
    if not verdict.ok:
        raise typer.Exit(1)


def _verdict_json(verdict: AuditVerdict) -> dict[str, Any]:
    return {
        "ok": verdict.ok,
        "entries": verdict.entries,
        "first_broken": verdict.first_broken,
        "reason": verdict.reason,
    }


def _broken_message(verdict: AuditVerdict) -> str:
    entry = verdict.entry
    named = f" ({entry.action} {entry.subject})" if entry else ""
    return f"audit chain broken at entry {verdict.first_broken}{named}: {verdict.reason}"


LimitOption = Annotated[
    int, typer.Option(min=0, help="Show the newest N entries (0 for all).", show_default=True)
]


@audit_app.command("list")
def list_entries(limit: LimitOption = 50, db: DbOption = None, json: JsonOption = False) -> None:
    """The newest entries, newest last."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = store.latest(conn, limit) if limit else store.entries(conn)
    if json:
        print_json([_entry_json(e) for e in found])
        return
    table = Table("seq", "at (UTC)", "actor", "action", "subject", "detail")
    for e in found:
        cells = (e.actor, e.action, e.subject, orjson.dumps(e.detail, default=dict).decode())
        # Text, not str: entries hold what users typed, which is not rich markup.
        table.add_row(str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), *map(Text, cells))
    Console().print(table)


def _entry_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,
    }
