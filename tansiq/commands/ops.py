"""`tansiq ops`: joint operations: plan, submit, two-key approval, deconfliction."""

from __future__ import annotations

import typer

ops_app = typer.Typer(
    help="Joint operations: plan, submit, two-key approval, deconfliction.",
    no_args_is_help=True,
)
