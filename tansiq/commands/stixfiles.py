"""`tansiq export stix` and `tansiq import stix`: STIX 2.1 bundles as files (air gaps, archives)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from tansiq.commands.accounts import AsOption, acting
from tansiq.commands.common import DbOption, JsonOption, engine_for, err, now, print_json
from tansiq.domain.markings import node_viewer
from tansiq.errors import InvalidInput
from tansiq.sharing import exchange, stix
from tansiq.store import audit
from tansiq.store.database import reading, require_schema, writing
from tansiq.store.partners import node_partner, partner_parents, require_partner

export_app = typer.Typer(help="Export marked objects.", no_args_is_help=True)


@export_app.command("stix")
def export_stix(
    partner: Annotated[
        str | None,
        typer.Option("--for", help="Only what is releasable to this partner (default: this node)."),
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
    db: DbOption = None,
) -> None:
    """A STIX 2.1 bundle of what a partner's node may receive from this one."""
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            code = partner or node_partner(conn)
            require_partner(conn, code)
            viewer = node_viewer(code, partner_parents(conn))
            bundle = exchange.export_bundle(conn, viewer)
        ids = [o["id"] for o in bundle["objects"]]
        with writing(engine) as conn:
            audit.append(
                conn,
                at=now(),
                actor="console",
                action="share",
                subject=code,
                detail={"count": len(ids), "export": "stix"},
            )
    data = stix.dumps(bundle)
    if output:
        output.write_bytes(data)
        err.print(f"{len(ids)} objects for {code} written to {output}")
    else:
        sys.stdout.buffer.write(data + b"\n")


def import_stix(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    peer: Annotated[
        str | None, typer.Option(help="Record the objects as received from this partner.")
    ] = None,
    as_user: AsOption = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import a STIX 2.1 bundle: this node's own objects as its own, a partner's as received.

    Each object is judged alone; rejected ones are listed with the reason. A file that is not
    a bundle is rejected whole and nothing is stored.
    """
    bodies = _bundle_objects(path)
    own: list[Any] = []
    theirs: list[Any] = []
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        actor = acting(conn, as_user)
        mine = stix.identity_id(actor.partner)
        for body in bodies:
            by = body.get("created_by_ref") if isinstance(body, dict) else None
            (own if by in (None, mine) and _is_content(body) else theirs).append(body)
        summary = exchange.publish(conn, actor, own, now()) if own else exchange.ReceiveSummary()
        source = exchange.Source(
            partner=actor.partner, peer=peer or f"file:{path.name}", actor=actor.name, relay=True
        )
        received = exchange.receive(conn, source, theirs, now())
    for result in received.results:
        summary.add(result)
    _report(summary, json)


def _is_content(body: Any) -> bool:
    return isinstance(body, dict) and body.get("type") not in exchange.SUPPORT_TYPES


def _bundle_objects(path: Path) -> list[Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{path}: not JSON ({exc}); nothing was stored") from None
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise InvalidInput(f"{path}: not a STIX bundle; nothing was stored")
    found = data.get("objects", [])
    if not isinstance(found, list):
        raise InvalidInput(f"{path}: the bundle's objects are not a list; nothing was stored")
    return found


def _report(summary: exchange.ReceiveSummary, json: bool) -> None:
    rejected = [
        {"id": r.stix_id, "version": r.version, "reason": r.message}
        for r in summary.results
        if not r.ok
    ]
    if json:
        print_json({**summary.counts(), "rejections": rejected})
        return
    c = summary.counts()
    err.print(", ".join(f"{k} {v}" for k, v in c.items()))
    for r in rejected:
        err.print(f"  rejected {r['id'] or '(no id)'}: {r['reason']}", markup=False)
