"""`pdca campaign`: 年度整顿工作 the annual campaign: preview and approve designations, start cases, status, summary."""

from __future__ import annotations

import typer

app = typer.Typer(help="年度整顿工作 the annual campaign: preview and approve designations, start cases, status, summary.", no_args_is_help=True)
