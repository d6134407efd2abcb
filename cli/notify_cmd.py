"""`pdca notify`: 通知 notification channels: status, test."""

from __future__ import annotations

import typer

app = typer.Typer(help="通知 notification channels: status, test.", no_args_is_help=True)
