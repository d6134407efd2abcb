"""`pdca project`: 书记项目 secretary / committee-member / branch projects."""

from __future__ import annotations

import typer

app = typer.Typer(help="书记项目 secretary / committee-member / branch projects.", no_args_is_help=True)
