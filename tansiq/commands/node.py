"""`tansiq node ...`: this node itself, as its partners must know it."""

from __future__ import annotations

import sys

import typer

from tansiq.commands.common import DbOption, JsonOption, engine_for, err, print_json
from tansiq.sharing.keys import load_node_key
from tansiq.store.database import reading
from tansiq.store.partners import node_partner

node_app = typer.Typer(help="This node: its partner and signing key.", no_args_is_help=True)


@node_app.command("key")
def node_key(db: DbOption = None, json: JsonOption = False) -> None:
    """Print this node's partner and public signing key, for partners to pin.

    Pass it to each partner's administrator out of band (not over the link it protects); they
    pin it with `tansiq peers key PARTNER KEY` or `tansiq peers add ... --public-key KEY`.
    """
    with engine_for(db) as engine:
        key = load_node_key(engine)
        with reading(engine) as conn:
            partner = node_partner(conn)
    if json:
        print_json({"partner": partner, "public_key": key.public()})
        return
    sys.stdout.write(f"{partner} {key.public()}\n")
    hint = f"partners pin it with: tansiq peers key {partner} {key.public()}"
    err.print(hint, markup=False, soft_wrap=True)
