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
from tansiq.errors import NotFound
from tansiq.sharing import keys
from tansiq.sharing.sync import client_for, sync_peer
from tansiq.store.database import reading, require_schema, writing
from tansiq.store.keys import list_pins
from tansiq.store.partners import find_partner, node_partner
from tansiq.store.peers import PeerTls, add_peer, find_peer, list_peers, require_peer


def _FILE_OPTION(text: str) -> Any:  # noqa: N802 (reads like the Option it returns)
    return typer.Option(exists=True, dir_okay=False, readable=True, help=text)


peers_app = typer.Typer(help="Partner nodes to pull from over TAXII.", no_args_is_help=True)

_PUBLIC_KEY_OPTION = typer.Option(
    "--public-key",
    help="The peer node's public signing key (`tansiq node key` there), to pin.",
    show_default=False,
)


@peers_app.command("add")
def peers_add(
    name: Annotated[str, typer.Argument(help="The peer node's partner code, e.g. krg.")],
    url: Annotated[str, typer.Option(help="The peer node's base URL, e.g. https://krg.example/.")],
    token: Annotated[str, typer.Option(help="An API token the peer issued to this node.")],
    ca: Annotated[Path | None, _FILE_OPTION("CA certificate (PEM) that signs the peer's.")] = None,
    cert: Annotated[
        Path | None, _FILE_OPTION("This node's client certificate (mutual TLS).")
    ] = None,
    key: Annotated[Path | None, _FILE_OPTION("The client certificate's private key.")] = None,
    public_key: Annotated[str | None, _PUBLIC_KEY_OPTION] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Add a peer (or change its URL, token, TLS files and pinned key).

    Name the peer by its partner's code. Without --public-key, the first sync pins the key the
    peer gives (trust on first use).
    """
    tls = PeerTls(*(str(p.resolve()) if p else None for p in (ca, cert, key)))
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        created = add_peer(conn, name, url.rstrip("/") + "/", token, now(), tls)
        pinned = public_key is not None and keys.pin(conn, name, public_key, now(), "console")
    if json:
        print_json({"peer": name, "created": created, "key_pinned": pinned})
    else:
        done = "added" if created else "updated"
        err.print(f"peer {name} {done}{', key pinned' if pinned else ''}")


@peers_app.command("key")
def peers_key(
    name: Annotated[str, typer.Argument(help="The peer (or partner), e.g. krg.")],
    public_key: Annotated[str, typer.Argument(help="Its key from `tansiq node key`: ed25519:…")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Pin (or re-pin) a partner node's public signing key, given out of band.

    Tombstones from that node are then checked against it, and a sync with a peer that gives
    another key is refused. Re-pin when a partner's node was rebuilt with a new key.
    """
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        if find_peer(conn, name) is None and find_partner(conn, name) is None:
            raise NotFound(f"no peer or partner {name!r}: add it first")
        changed = keys.pin(conn, name, public_key, now(), "console")
    if json:
        print_json({"peer": name, "public_key": public_key, "changed": changed})
    else:
        err.print(f"key of {name} {'pinned' if changed else 'already pinned'}")


@peers_app.command("list")
def peers_list(db: DbOption = None, json: JsonOption = False) -> None:
    """List peers, their pinned keys and when each was last synced (never their tokens)."""
    with engine_for(db) as engine, reading(engine) as conn:
        require_schema(conn)
        found = list_peers(conn)
        pins = {pin.partner: pin for pin in list_pins(conn)}
    rows = [
        {
            "peer": p.name,
            "url": p.url,
            "last_sync_at": p.last_sync_at.isoformat() if p.last_sync_at else None,
            "public_key": pins[p.name].public_key if p.name in pins else None,
            "key_pinned_by": pins[p.name].pinned_by if p.name in pins else None,
        }
        for p in found
    ]
    if json:
        print_json(rows)
        return
    table = Table("peer", "url", "last sync", "pinned key")
    for r in rows:
        key = f"{r['public_key']} ({r['key_pinned_by']})" if r["public_key"] else "not yet"
        table.add_row(r["peer"], r["url"], r["last_sync_at"] or "never", key)
    Console().print(table)


def sync(
    name: Annotated[str | None, typer.Argument(help="Peer to pull from (default: all).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Pull what changed on peers since the last sync: new objects, corrections, withdrawals.

    Safe to interrupt and to run again: each page commits with its cursor.
    """
    from tansiq.operations import contacts, policy_from  # the CLI starts faster without it

    settings = settings_from(db)
    with engine_for(db) as engine:
        with reading(engine) as conn:
            require_schema(conn)
            node_partner(conn)
            chosen = [require_peer(conn, name)] if name else list_peers(conn)
            contact_of = contacts(conn, policy_from(settings))
        summaries = []
        with progress("syncing", "objects") as advance:
            for peer in chosen:
                with client_for(peer, settings.sync_timeout_s) as client:
                    pulled = sync_peer(
                        engine, peer, client, now, settings.sync_page_size, advance, contact_of
                    )
                    summaries.append(pulled)
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
