"""What every `pdca` command module shares: options, the error-to-exit-code wrapper, the audit log.

Sub-command modules (cli/org.py, cli/project.py, …) import from here, never from cli.main, so
cli.main can register them without an import cycle.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError

from cli.errors import CliError
from domain.labels import label
from store.db import default_database_url, display_url, make_engine
from store.eventlog import AuditLog
from store.projections import PROJECTORS

T = TypeVar("T")


class Lang(StrEnum):
    zh = "zh"
    en = "en"


# ----------------------------------------------------------------------------- options

LangOpt = Annotated[Lang, typer.Option("--lang", envvar="PDCA_LANG", help="Labels: zh (中文, default) or en.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON instead of a table.")]
CaseArg = Annotated[str, typer.Argument(help="Case id, e.g. rect-V001-2026 (printed by `pdca open`).")]
ActorOpt = Annotated[str | None, typer.Option("--as", help="Acting person's id in the actor directory [env PDCA_ACTOR].")]
ActorsOpt = Annotated[
    Path | None, typer.Option("--actors", help="Actor directory YAML [env PDCA_ACTORS; default $PDCA_HOME/actors.yaml].")
]
RequestOpt = Annotated[
    str | None,
    typer.Option("--request-id", help="Idempotency key: a command retried with the same id is applied once."),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for Temporal and the worker.")]
DbOpt = Annotated[
    str | None, typer.Option("--db", envvar="PDCA_DATABASE_URL", help="Audit database URL [default: SQLite under PDCA_HOME].")
]


def run(action: Callable[[], T], lang: Lang | None = None) -> T:
    """Run a command body; a CliError becomes one line on stderr and its exit code."""
    try:
        return action()
    except CliError as error:
        zh = (lang or os.environ.get("PDCA_LANG") or "zh") == "zh"
        reason = f"{label('error.' + error.code, 'zh' if zh else 'en')}{'：' if zh else ': '}" if error.code else ""
        print(f"{'错误：' if zh else 'error: '}{reason}{error.message}", file=sys.stderr)
        raise typer.Exit(error.exit_code) from None


def run_then_exit(action: Callable[[], None], lang: Lang) -> None:
    """For commands that opened a Temporal client: exit at once with the command's code.

    The SDK's Rust runtime keeps threads that can abort the interpreter while it finalizes
    (seen here: "PyGILState_Release ... must be current"), turning a clean refusal into exit 134.
    Everything is flushed first; nothing else is pending by then.
    """
    code = 0
    try:
        run(action, lang)
    except typer.Exit as done:
        code = done.exit_code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def run_async(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def audit_log(db: str | None) -> AuditLog:
    return AuditLog(make_engine(db or default_database_url()), PROJECTORS)


def reading(db: str | None, action: Callable[[AuditLog], T]) -> T:
    url = db or default_database_url()
    try:
        return action(audit_log(url))
    except (OperationalError, ProgrammingError) as error:
        raise CliError(f"audit database {display_url(url)} is not ready ({error.orig}): run `pdca up` or `pdca migrate`") from None
