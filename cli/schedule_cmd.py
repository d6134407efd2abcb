"""`pdca schedule`: 督导节奏 supervision cadence schedules: list, create, pause, resume."""

from __future__ import annotations

import typer

app = typer.Typer(help="督导节奏 supervision cadence schedules: list, create, pause, resume.", no_args_is_help=True)
