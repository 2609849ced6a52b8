"""`tansiq cot`: cursor-on-Target: send the releasable picture to TAK, take friendly tracks in."""

from __future__ import annotations

import typer

cot_app = typer.Typer(
    help="Cursor-on-Target: send the releasable picture to TAK, take friendly tracks in.",
    no_args_is_help=True,
)
