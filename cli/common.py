"""The `pdca` CLI framework: global options, the error wrapper, JSON output. Every noun module uses it.

How a noun module (cli/case.py, cli/project.py, cli/campaign.py, …) is written::

    from cli.common import RequestOpt, change, deps, emit, noun, opts, run

    app = noun("整顿案件 rectification cases: ...")  # a Typer for the noun; cli/main.py lists it in NOUNS (one line)

    @app.command("show")                          # a read: run()
    def show(case_id: str) -> None:
        from cli import render
        from service import cases                 # service functions only: no tables, no Temporal, no rules, no worker

        def action() -> None:
            state = cases.show(deps(), case_id)   # deps(): service.bootstrap.Deps from --db and --timeout
            emit(state, lambda: render.case_detail(state, opts().lang.value))
        run(action)

    @app.command("close")                         # a change of a stream: change()
    def close(case_id: str, request_id: RequestOpt = None) -> None:
        from service import cases

        change(lambda actor: cases.close_case(deps(), case_id, actor, request_id=request_id))

The pieces:

- ``opts()`` → ``Globals``: the global options of this invocation — ``actor`` (``--as``: which
  signed-in account),
  ``lang`` (a ``Lang``; ``.value`` is "zh"/"en"), ``output`` / ``json``, ``timeout``, ``db``.
- ``deps()`` → ``service.bootstrap.Deps`` wired from them: the one thing a command hands the service
  (its audit database, Temporal client, task queue and timeout, who is signed in); ``acting()`` → the
  acting ``Actor`` as the stored credential names it (the workflows verify the credential itself).
- ``change(send)``: the body of a command that changes a case or a project: ``send(actor)`` returns
  the service's ``service.commands.Done``, printed by ``render.done`` (or as JSON). Campaign commands
  answer a ``Done`` too (``CampaignDone``), with their own screens.
- ``emit(data, show)``: with ``-o json`` prints ``data`` as JSON (pydantic models, dataclasses, lists,
  dicts), else calls ``show()``. Every command emits, including those that change state and operations.
- ``run(action)`` / ``run_then_exit(action)``: an ``InputError`` or ``service.errors.ServiceError``
  becomes one line on stderr and its exit code (``exit_code``: by the error's class); ``run_then_exit``
  for commands that opened a Temporal client (see its docstring). Raise ``service.errors.Refused`` (1) /
  ``Unavailable`` (3), or ``InputError`` (1).
- ``noun(help)``: a Typer whose help ends with the global options. Per-command options shared by
  several nouns: ``RequestOpt`` (``--request-id``), ``PolicyOpt`` (``--policy``), ``EvidenceOpt``.

Global options are declared once, on the root callback (``root``, installed by cli/main.py). They are
accepted anywhere on the line, as the ``temporal`` CLI does: Click only takes a group's options before
the subcommand, so the root group (``GlobalFirst``) moves the known global options and their values to
the front before Click parses (``hoist``) — for the `pdca` executable, ``python -m cli.main`` and a
``CliRunner`` alike. A noun module must not declare an option with a global option's name.

Exit codes: 0 done; 1 refused (``InputError``, ``Refused``, ``NotFound``); 2 usage (Click);
3 unavailable (``Unavailable``: Temporal, the worker or the audit database did not answer in time).

Start-up cost: `pdca --help` must not pay for what it does not use (issue 12). cli/main.py imports a
noun's module only when the line names it (``LazyRoot``), and this module imports only Typer and
service/errors.py at the top: the renderer, the labels, pydantic and the settings are imported inside
the functions that use them. A noun module keeps what its commands' signatures need (their option
types) at the top and imports the service, the store, Temporal and the screens inside its commands.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer._click import Context as ClickContext  # Typer ships its own Click (typer._click)
from typer._click.globals import get_current_context
from typer.core import TyperGroup

from service.errors import Refused, ServiceError, Unavailable

if TYPE_CHECKING:
    from settings.errors import InputError

T = TypeVar("T")

# ----------------------------------------------------------------------------- exit codes

OK = 0  # done
REFUSED = 1  # the input or the rules refused: fix and retry
USAGE = 2  # the command line itself (Click's own code)
UNAVAILABLE = 3  # Temporal, the worker or the database could not be reached in time: retry later (same --request-id)

EXIT_CODES = """Exit codes: 0 done; 1 refused (bad input or file, the rules or permissions refused, unknown id);
2 usage (the command line itself); 3 unavailable (Temporal, the worker or the audit database did not answer
in time: retry)."""


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class Output(StrEnum):
    table = "table"
    json = "json"


# ----------------------------------------------------------------------------- the global options


@dataclasses.dataclass(frozen=True)
class Globals:
    """The global options of this invocation (``opts()``)."""

    actor: str | None = None  # --as
    lang: Lang = Lang.zh  # --lang
    output: Output = Output.table  # -o/--output, --json
    timeout: float = 30.0  # --timeout
    db: str | None = None  # --db

    @property
    def json(self) -> bool:
        return self.output == Output.json


_VALUED = ("--as", "--lang", "--output", "-o", "--timeout", "--db")
_FLAGS = ("--json", "--version")


def hoist(args: Sequence[str]) -> list[str]:
    """Move the global options (and their values) to the front, keeping their order and the order of
    everything else: ``case show X --json --lang en`` → ``--json --lang en case show X``. Accepts
    ``--opt value``, ``--opt=value`` and ``-ovalue``; stops at ``--``. A global option's name given as
    another option's value must be written ``--note=--json``."""
    front: list[str] = []
    rest: list[str] = []
    items = list(args)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--":
            rest += items[i:]
            break
        name = arg.split("=", 1)[0]
        if arg in _FLAGS:
            front.append(arg)
        elif name in _VALUED and "=" in arg and name.startswith("--"):
            front.append(arg)
        elif arg in _VALUED:
            front += items[i : i + 2]
            i += 1
        elif arg.startswith("-o") and not arg.startswith("--") and len(arg) > 2:
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


class GlobalFirst(TyperGroup):
    """The root group: hoists the global options before Click parses (see ``hoist``), so they are
    accepted anywhere on the line — from `pdca`, ``python -m cli.main`` and ``CliRunner`` alike."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if ctx.parent is None:
            args = hoist(args)
        return super().parse_args(ctx, args)


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        try:
            version = metadata.version("pdca-rectification")
        except metadata.PackageNotFoundError:
            version = "unknown (not installed)"
        print(f"pdca {version}")
        raise typer.Exit()


def root(
    ctx: typer.Context,
    actor: Annotated[
        str | None,
        typer.Option("--as", envvar="PDCA_ACTOR", help="Act as this signed-in account (`pdca login ID`) [default: the last to sign in]."),
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", envvar="PDCA_LANG", help="Labels: zh (中文) or en.")] = Lang.zh,
    output: Annotated[Output, typer.Option("--output", "-o", help="table (for people) or json (for programs).")] = Output.table,
    as_json: Annotated[bool, typer.Option("--json", help="Shorthand for --output json.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for Temporal and the worker.")] = 30,
    db: Annotated[
        str | None, typer.Option("--db", envvar="PDCA_DATABASE_URL", help="Audit database URL [default: SQLite $PDCA_HOME/audit.db].")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the installed version and exit.")
    ] = False,
) -> None:
    """The root callback (cli/main.py installs it): keeps the global options for ``opts()``."""
    ctx.obj = Globals(actor=actor, lang=lang, output=Output.json if as_json else output, timeout=timeout, db=db)


def opts() -> Globals:
    """The global options of the running command (defaults outside a command, e.g. in a unit test)."""
    ctx = get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Globals) else Globals(lang=Lang(_lang_setting()))


GLOBALS_EPILOG = (
    "Global options, anywhere on the line: --as ID, --lang zh|en, -o/--output table|json (--json), "
    "--timeout SECONDS, --db URL (see `pdca --help`)."
)


def noun(help: str) -> typer.Typer:
    """A Typer for a noun (or a verb group inside one: ``plan``, ``sanction``); its help ends with the
    global options."""
    return typer.Typer(help=help, epilog=GLOBALS_EPILOG, no_args_is_help=True, rich_markup_mode=None, cls=_Noun)


class _Noun(TyperGroup):
    """A noun's group: each of its commands' help ends with the global options, too."""

    def get_command(self, ctx: ClickContext, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not command.epilog:
            command.epilog = GLOBALS_EPILOG
        return command


# ----------------------------------------------------------------------------- per-command options

RequestOpt = Annotated[
    str | None,
    typer.Option("--request-id", help="Idempotency key: a command retried with the same id is applied once [default: a fresh one]."),
]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", envvar="PDCA_POLICY", help="Policy YAML [default: built-in].")]
EvidenceOpt = Annotated[list[str] | None, typer.Option("--evidence", help="Evidence reference (file, link, archive no.); repeatable.")]


# ----------------------------------------------------------------------------- what a command body uses


def deps() -> Any:
    """The service's dependencies for this command (``service.bootstrap.Deps``: ``--db``, ``--timeout``)."""
    from service.bootstrap import bootstrap

    g = opts()
    return bootstrap(database_url=g.db, timeout=g.timeout, actor_id=g.actor)


def acting() -> Any:
    """The acting person (``domain.actors.Actor``) as this user's stored credential names them (``--as`` /
    PDCA_ACTOR, else the last to sign in); ``Refused`` when not signed in. Only a claim: the workflows
    verify the credential the command carries and take the actor from it."""
    return deps().caller.actor


def run_async(coro: Awaitable[T]) -> T:
    import asyncio

    return asyncio.run(coro)  # type: ignore[arg-type]


def change(send: Callable[[Any], Awaitable[Any]]) -> NoReturn:
    """The body of every command that changes a case or a project: ``send(actor)`` → the service's
    ``Done``, printed as one line (or as JSON); exits with the command's code (``run_then_exit``)."""

    from cli import render

    def action() -> None:
        result = run_async(send(acting()))
        emit(result, lambda: render.done(result, opts().lang.value))

    run_then_exit(action)


def to_json(data: Any) -> Any:
    """``data`` as plain JSON values: pydantic models, dataclasses, lists and dicts of them."""
    from pydantic import BaseModel

    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if dataclasses.is_dataclass(data) and not isinstance(data, type):
        return {f.name: to_json(getattr(data, f.name)) for f in dataclasses.fields(data)}
    if isinstance(data, dict):
        return {str(k): to_json(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [to_json(item) for item in data]
    if isinstance(data, Path):
        return str(data)
    return data


def print_json(data: Any) -> None:
    print(json.dumps(to_json(data), ensure_ascii=False, indent=2, default=str))


def emit(data: Any, show: Callable[[], None]) -> None:
    """The command's answer: ``data`` as JSON with ``--output json``, else ``show()`` (the Rich screen)."""
    if opts().json:
        print_json(data)
    else:
        show()


# an error's exit code, by its class (the first that matches); InputError (settings.errors) is REFUSED too
_EXIT_CODE_OF: tuple[tuple[type[BaseException], int], ...] = ((Unavailable, UNAVAILABLE), (Refused, REFUSED))


def exit_code(error: BaseException) -> int:
    """The exit code of an error ``run`` reports: ``Unavailable`` 3; ``Refused`` (``NotFound``,
    ``Closed``) and ``InputError`` 1; any other service error 1."""
    return next((code for cls, code in _EXIT_CODE_OF if isinstance(error, cls)), REFUSED)


def error_line(error: InputError | ServiceError, lang: str) -> str:
    """``错误：<label>：message`` / ``error: <label>: message`` (the label only for a refusal's code)."""
    from i18n import label

    zh = lang == "zh"
    sep = "：" if zh else ": "
    reason = f"{label('error.' + error.code, 'zh' if zh else 'en')}{sep}" if error.code else ""
    return f"{'错误' if zh else 'error'}{sep}{reason}{error.message}"


def run(action: Callable[[], T]) -> T:
    """Run a command body; an ``InputError`` or a ``ServiceError`` becomes one line on stderr and its
    exit code (1 refused, 3 unavailable)."""
    from settings.errors import InputError

    try:
        return action()
    except (InputError, ServiceError) as error:
        print(error_line(error, opts().lang.value), file=sys.stderr)
        raise typer.Exit(exit_code(error)) from None


def run_then_exit(action: Callable[[], None]) -> NoReturn:
    """``run`` for commands that opened a Temporal client: exit at once with the command's code.

    The SDK's Rust runtime keeps threads that can abort the interpreter while it finalizes
    (seen here: "PyGILState_Release ... must be current"), turning a clean refusal into exit 134.
    Everything is flushed first; nothing else is pending by then.
    """
    code = OK
    try:
        run(action)
    except typer.Exit as done:
        code = done.exit_code
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _lang_setting() -> str:
    from settings import get_settings
    from settings.errors import InputError

    try:
        return get_settings().lang
    except InputError:  # the bad setting is what is being reported
        return "zh"
