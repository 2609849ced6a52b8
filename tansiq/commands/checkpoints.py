"""`tansiq checkpoints`: the registry of legitimate checkpoints."""

from __future__ import annotations

import typer

checkpoints_app = typer.Typer(
    help="The registry of legitimate checkpoints, and checking a checkpoint seen on the road.",
    no_args_is_help=True,
)
