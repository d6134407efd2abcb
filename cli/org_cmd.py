"""`pdca org`: 组织 the organization directory: import, list, show."""

from __future__ import annotations

import typer

app = typer.Typer(help="组织 the organization directory: import, list, show.", no_args_is_help=True)
