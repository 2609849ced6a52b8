"""`tansiq positions ...`: partners' checkpoints, posts and bases with their coverage."""

from __future__ import annotations

import typer

from tansiq import positions
from tansiq.commands.common import DbOption, JsonOption, engine_for, err, now, print_json
from tansiq.demo_positions import DEMO_PARTNERS, demo_positions
from tansiq.store.database import require_schema, writing
from tansiq.store.partners import add_partner, find_partner, node_partner_or_none
from tansiq.store.positions import Written

positions_app = typer.Typer(
    help="Partners' positions (checkpoints, posts, bases) and their coverage.",
    no_args_is_help=True,
)


@positions_app.command("demo")
def positions_demo(db: DbOption = None, json: JsonOption = False) -> None:
    """Load the demo's SYNTHETIC positions of joc and krg.

    Checkpoints, posts and bases on towns in and near the disputed districts, each labelled
    "(synthetic)", released to the other side and to this node's partner (joc and krg are added
    as partners if missing). Running it again changes nothing.
    """
    written = load_demo_positions(db)
    summary = {
        "created": written.created,
        "updated": written.updated,
        "unchanged": written.unchanged,
    }
    if json:
        print_json(summary)
    else:
        err.print(
            f"demo positions (synthetic): created {written.created}, "
            f"updated {written.updated}, unchanged {written.unchanged}"
        )


def load_demo_positions(db: str | None) -> Written:
    """The demo set written to the node at `db` (a URL), in one transaction."""
    from tansiq.geo.locator import AreaLocator  # slow to import: only for commands that place

    locator = AreaLocator.from_shipped()  # built before the write lock is taken
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        for code, name in DEMO_PARTNERS:
            if find_partner(conn, code) is None:
                add_partner(conn, code, name, None, now())
        drafts = demo_positions(node_partner_or_none(conn))
        return positions.save(conn, locator, drafts, "console", now())
