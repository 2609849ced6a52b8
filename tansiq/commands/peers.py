"""`tansiq peers ...`: the partner nodes this node pulls from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tansiq.commands.common import (
    DbOption,
    JsonOption,
    engine_for,
    err,
    now,
    print_json,
    progress,
    settings_from,
)
from tansiq.sharing.sync import client_for, sync_peer
from tansiq.store.database import reading, require_schema, writing
from tansiq.store.partners import node_partner
from tansiq.store.peers import PeerTls, add_peer, list_peers, require_peer


def _FILE_OPTION(text: str) -> Any:  # noqa: N802 (reads like the Option it returns)
    return typer.Option(exists=True, dir_okay=False, readable=True, help=text)


peers_app = typer.Typer(help="Partner nodes to pull from over TAXII.", no_args_is_help=True)


@peers_app.command("add")
def peers_add(
    name: Annotated[str, typer.Argument(help="A name for the peer, e.g. krg.")],
    url: Annotated[str, typer.Option(help="The peer node's base URL, e.g. https://krg.example/.")],
    token: Annotated[str, typer.Option(help="An API token the peer issued to this node.")],
    ca: Annotated[Path | None, _FILE_OPTION("CA certificate (PEM) that signs the peer's.")] = None,
    cert: Annotated[
        Path | None, _FILE_OPTION("This node's client certificate (mutual TLS).")
    ] = None,
    key: Annotated[Path | None, _FILE_OPTION("The client certificate's private key.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a peer (or change its URL, token and TLS files)."""
    tls = PeerTls(*(str(p.resolve()) if p else None for p in (ca, cert, key)))
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        created = add_peer(conn, name, url.rstrip("/") + "/", token, now(), tls)
    if json:
        print_json({"peer": name, "created": created})
    else:
        err.print(f"peer {name} {'added' if created else 'updated'}")


@peers_app.command("list")
def peers_list(db: DbOption = None, json: JsonOption = False) -> None:
    """List peers and when each was last synced (never their tokens)."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = list_peers(conn)
    rows = [
        {
            "peer": p.name,
            "url": p.url,
            "last_sync_at": p.last_sync_at.isoformat() if p.last_sync_at else None,
        }
        for p in found
    ]
    if json:
        print_json(rows)
        return
    table = Table("peer", "url", "last sync")
    for r in rows:
        table.add_row(r["peer"], r["url"], r["last_sync_at"] or "never")
    Console().print(table)


def sync(
    name: Annotated[str | None, typer.Argument(help="Peer to pull from (default: all).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Pull what changed on peers since the last sync: new objects, corrections, withdrawals.

    Safe to interrupt and to run again: each page commits with its cursor.
    """
    settings = settings_from(db)
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            node_partner(conn)
            chosen = [require_peer(conn, name)] if name else list_peers(conn)
        summaries = []
        with progress("syncing", "objects") as advance:
            for peer in chosen:
                with client_for(peer, settings.sync_timeout_s) as client:
                    summaries.append(
                        sync_peer(engine, peer, client, now, settings.sync_page_size, advance)
                    )
    _print_sync([s.as_dict() for s in summaries], json)


def _print_sync(found: list[dict[str, Any]], json: bool) -> None:
    keys = ("received", "created", "updated", "withdrawn", "rejected")
    totals = {k: sum(int(s[k]) for s in found) for k in keys}
    if json:
        print_json(found[0] if len(found) == 1 else {**totals, "peers": found})
        return
    for s in found:
        err.print(f"{s['peer']}: " + ", ".join(f"{k} {s[k]}" for k in keys))
        for r in s["rejections"][:20]:
            err.print(f"  rejected {r['id'] or '(no id)'}: {r['reason']}", markup=False)
