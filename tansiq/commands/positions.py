"""`tansiq positions ...`: partners' checkpoints, posts and bases with their coverage."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tansiq import positions
from tansiq.commands.common import (
    DbOption,
    JsonOption,
    engine_for,
    err,
    now,
    print_json,
    settings_from,
)
from tansiq.demo_positions import DEMO_PARTNERS, demo_positions
from tansiq.domain.markings import parse_tlp
from tansiq.errors import InvalidInput
from tansiq.importers.positions import (
    Checked,
    Defaults,
    codes,
    read_positions,
    rejected,
    unknown_partners,
)
from tansiq.store.database import require_schema, writing
from tansiq.store.partners import add_partner, find_partner, list_partners, node_partner_or_none
from tansiq.store.positions import Written

if TYPE_CHECKING:
    from tansiq.geo.locator import AreaLocator

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


@functools.cache
def shipped_locator() -> AreaLocator:
    """The shipped-geography locator, built once per process (it is immutable; ~1 s)."""
    from tansiq.geo.locator import AreaLocator  # slow to import: only for commands that place

    return AreaLocator.from_shipped()


def load_demo_positions(db: str | None) -> Written:
    """The demo set written to the node at `db` (a URL), in one transaction."""
    locator = shipped_locator()  # built before the write lock is taken
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        for code, name in DEMO_PARTNERS:
            if find_partner(conn, code) is None:
                add_partner(conn, code, name, None, now())
        drafts = demo_positions(node_partner_or_none(conn))
        return positions.save(conn, locator, drafts, "console", now())


@positions_app.command("import")
def positions_import(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A CSV file.")
    ],
    partner: Annotated[
        str | None,
        typer.Option(help="Whose positions these are (rows may then leave partner empty)."),
    ] = None,
    tlp: Annotated[
        str, typer.Option(help="TLP of rows without a tlp cell: clear, green, amber, ...")
    ] = "amber",
    release_to: Annotated[
        str | None,
        typer.Option(
            "--release-to",
            help="Partner codes (comma-separated) that rows without a releasable_to cell are "
            "released to. Default: nobody; a position stays with its own partner.",
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import a partner's positions from CSV, all or nothing.

    Columns: partner, kind, name, lat|latitude, lon|longitude, radius_m|coverage_radius_m, and
    optionally active_from, active_to (YYYY-MM-DD, whole UTC days, or date-times with a zone),
    tlp and releasable_to. A file with any bad row, or naming a partner this node does not
    know, is rejected whole with every problem's line and field, and nothing is written.
    (partner, name) is a position's key: importing the same file again changes nothing.
    """
    defaults = Defaults(partner, parse_tlp(tlp), codes(release_to or ""))
    shown = settings_from(db).max_reported_errors
    checked = read_positions(path, defaults)
    written = _write_rows(db, path, checked, defaults, shown)
    rows = checked.rows
    summary = {
        "read": len(rows),
        "created": written.created,
        "updated": written.updated,
        "unchanged": written.unchanged,
    }
    if json:
        print_json(summary)
    else:
        err.print(
            f"{path.name}: read {len(rows)}, created {written.created}, "
            f"updated {written.updated}, unchanged {written.unchanged}"
        )


def _write_rows(
    db: str | None, path: Path, checked: Checked, defaults: Defaults, shown: int
) -> Written:
    """The rows written in one transaction if no row is bad and every partner they name is
    known here; else ImportRejected naming every problem, and nothing written."""
    locator = shipped_locator() if not checked.errors else None  # built before the lock
    with engine_for(db) as engine, writing(engine) as conn:
        require_schema(conn)
        known = {p.code for p in list_partners(conn)}
        _check_defaults(defaults, known)
        problems = [*checked.errors, *unknown_partners(checked.named, known)]
        if problems:
            raise rejected(str(path), problems, shown)
        if not checked.rows:
            return Written()
        assert locator is not None
        drafts = [row.draft for row in checked.rows]
        return positions.save(conn, locator, drafts, "console", now())


def _check_defaults(defaults: Defaults, known: set[str]) -> None:
    """The command's own partner codes exist (said once, not on every row)."""
    named = {defaults.partner} if defaults.partner else set()
    for code in sorted((named | defaults.releasable_to) - known):
        raise InvalidInput(f"unknown partner {code!r}: add it with `tansiq partners add`")
