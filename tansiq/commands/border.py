"""`tansiq border`: the Syria border: sectors, observations and alerts."""

from __future__ import annotations

import typer

border_app = typer.Typer(
    help="The Syria border: sectors, observations and alerts.",
    no_args_is_help=True,
)
