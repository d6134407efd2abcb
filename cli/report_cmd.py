"""`pdca report`: 报告 half-year bulletin, year-end summary, ledgers (Markdown, HTML, charts, CSV, XLSX)."""

from __future__ import annotations

import typer

app = typer.Typer(help="报告 half-year bulletin, year-end summary, ledgers (Markdown, HTML, charts, CSV, XLSX).", no_args_is_help=True)
