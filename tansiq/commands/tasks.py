"""`tansiq tasks`: tasks from intelligence: a report or incident handed to a partner to act on."""

from __future__ import annotations

import typer

tasks_app = typer.Typer(
    help="Tasks from intelligence: a report or incident handed to a partner to act on.",
    no_args_is_help=True,
)
