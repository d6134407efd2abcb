"""`pdca calendar`: 工作日历 the working-day calendar: show a year, check an override file."""

from __future__ import annotations

import typer

app = typer.Typer(help="工作日历 the working-day calendar: show a year, check an override file.", no_args_is_help=True)
