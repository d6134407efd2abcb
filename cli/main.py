"""pdca — 整顿软弱涣散党组织 PDCA 闭环管理 / PDCA rectification cycles, from the command line.

The root: global options (cli/common.py ``root``), the nouns (``NOUNS``: one line each) and the
operations (``COMMANDS``). Each noun is a module named after it with a Typer ``app``; it calls service
functions only.

The root group is lazy (``LazyRoot``): a noun's module is imported only when the command line names it,
so `pdca --help` imports Typer and this file, not the service, the store, Temporal or the screens
(issue 12). `pdca --help` lists the commands from the tables below — name, where it lives, the first
paragraph of its help — so each entry's help must stay the command's own (tests/unit/test_cli_lazy.py
compares them).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

import typer
import typer.main
from typer._click import Command, HelpFormatter
from typer._click import Context as ClickContext
from typer._click.utils import make_default_short_help

from cli.common import EXIT_CODES, GlobalFirst, root

HELP = f"""整顿软弱涣散党组织 PDCA 闭环管理（书记/组织部督导用）.

Drive rectification cases of weak and lax Party organizations through Plan–Do–Check–Act:
open a case, submit and approve the plan, report progress, check and accept, consolidate, close.
Every step is an audited event; reminders and overdue notices fire on their own.

Start everything with `pdca up` (it prints how the first administrator signs in); then, in another
terminal, sign in (`pdca login ID`) and run the steps: `pdca case open case.yaml`,
`pdca case plan submit rect-V001-2026 plan.yaml`, `pdca case show rect-V001-2026`, ….

Global options (below) are accepted anywhere on the line: `pdca case list --json` is `pdca --json case list`.
Other settings come from the environment: TEMPORAL_ADDRESS (and the other TEMPORAL_* variables, or a
Temporal profile), PDCA_HOME, PDCA_POLICY.

{EXIT_CODES}
"""

# The operations and the sign-in commands, in the order `pdca --help` lists them: (name, "module:function",
# the first paragraph of the function's docstring).
COMMANDS: list[tuple[str, str, str]] = [
    (
        "up",
        "cli.ops:up",
        "一键启动 Start the embedded stack: Temporal dev server (state kept in DATA_DIR), audit DB, worker, metrics. Ctrl-C stops all.",
    ),
    ("worker", "cli.ops:worker", "Run only the worker, against TEMPORAL_ADDRESS and PDCA_DATABASE_URL (production)."),
    (
        "serve",
        "cli.ops:serve",
        "HTTP API and web console: sign-in (password, TOTP, lock-out), credentials, the same commands and\n"
        "queries as the CLI (OpenAPI at /api/openapi.json), and the console's pages for the people who act (/tasks,\n"
        "docs/web.md), against TEMPORAL_ADDRESS and PDCA_DATABASE_URL. `pdca up` serves it too.",
    ),
    (
        "migrate",
        "cli.ops:migrate",
        "建库/升级 Create or upgrade the audit database schema (`pdca up` does this too), as the owner role:\n"
        "--db, else PDCA_MIGRATION_DATABASE_URL, else PDCA_DATABASE_URL. On PostgreSQL, --app-role is then\n"
        "granted only what the app needs (docs/security.md, least privilege).",
    ),
    (
        "demo",
        "cli.ops:demo",
        "演示 A whole campaign year in under a minute on Temporal's time-skipping server: designation,\n"
        "cases, secretary projects, reminders, escalations, acceptance, bulletin, year-end summary.",
    ),
    ("login", "cli.identity:login", "登录 Sign in: get a credential for the CLI (kept 0600 under $PDCA_CREDENTIALS_DIR)."),
    ("logout", "cli.identity:logout", "退出登录 Forget a stored credential on this machine (it still expires on its own)."),
    ("whoami", "cli.identity:whoami", "当前身份 Who this CLI acts as: the stored credentials, which one is used, until when."),
]

# The nouns, one line each: (name, "module:Typer", the noun's help as its module's noun(...) gives it).
NOUNS: list[tuple[str, str, str]] = [
    (
        "case",
        "cli.case:app",
        "整顿案件 rectification cases: open (立案), plan, progress, self-check, acceptance, follow-up review, close "
        "(销号); pause, extend, sanction proposals; show, list, history.",
    ),
    ("project", "cli.project:app", "书记项目 secretary / committee-member / branch projects (书记项目、委员项目、支部项目)."),
    (
        "inspection",
        "cli.inspection:app",
        "检查 inspections: 明察暗访 (unannounced) / 专项抽查 (spot check) / 观摩 (observation) visits and their findings.",
    ),
    (
        "rating",
        "cli.rating:app",
        "评星定级 star ratings: self-assessment 自评, township review 审核, county approval 审定, 公示, 降星, report.",
    ),
    (
        "audit",
        "cli.audit:app",
        "审计 the audit trail: verify the hash chain and the signed checkpoints, take a checkpoint, prove an event, "
        "rebuild projections, schedule the daily verification.",
    ),
    ("policy", "cli.policy:app", "政策 the policy file: show the effective policy, check a file."),
    ("org", "cli.org:app", "组织 the organization directory (党组织名录): import organizations and annual assessments, list, show."),
    (
        "campaign",
        "cli.campaign:app",
        "年度整顿工作 the annual campaign: preview designations, record the designation steps, approve, start cases, status, summary.",
    ),
    (
        "report",
        "cli.report:app",
        "报告 half-year bulletin (半年通报), year-end summary (年终总结), ledgers (台账) as Markdown, HTML, PNG charts, CSV, XLSX.",
    ),
    ("calendar", "cli.calendar:app", "工作日历 the working-day calendar that deadlines, reminders and escalation count on."),
    ("notify", "cli.notify:app", "通知 notification channels: how notices reached people, and a test message through a channel."),
    (
        "schedule",
        "cli.schedule:app",
        "督导节奏 supervision cadence on working days (月督导/季观摩/半年通报, Asia/Shanghai): list, show, create, pause, resume, trigger.",
    ),
    ("person", "cli.person:app", "人员目录 The people directory: who may sign in, with which roles and scope (administrators change it)."),
    ("key", "cli.identity:key", "个人签名密钥 Your personal signing key (decisions that judge a person are signed with it)."),
    ("authority", "cli.identity:authority", "凭证签发机构 The server's credential authority keys (server side: $PDCA_AUTHORITY_DIR)."),
    (
        "codec",
        "cli.codec:app",
        "载荷加密密钥 Keys that encrypt Temporal payloads (server side: $PDCA_PAYLOAD_KEY_DIR; every worker and client needs a copy).",
    ),
]

_ENTRIES: dict[str, tuple[str, str]] = {name: (target, summary) for name, target, summary in [*COMMANDS, *NOUNS]}


def load(name: str) -> Command:
    """The Click command of the root's entry ``name``, built exactly as ``app.command(name)(function)`` /
    ``app.add_typer(noun, name=name)`` would build it; imports its module (once: Python caches it)."""
    module, _, attribute = _ENTRIES[name][0].partition(":")
    target = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer()
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
        return typer.main.get_group_from_info(
            holder.registered_groups[0],
            pretty_exceptions_short=app.pretty_exceptions_short,
            suggest_commands=app.suggest_commands,
            rich_markup_mode=app.rich_markup_mode,
        )
    holder.command(name)(target)
    return typer.main.get_command_from_info(
        holder.registered_commands[0], pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode
    )


class _Commands(Mapping[str, Command]):
    """The root's commands by name: every name is known up front (for listing and "did you mean"); a
    command is built, and its module imported, on first access."""

    def __init__(self) -> None:
        self._built: dict[str, Command] = {}

    def __getitem__(self, name: str) -> Command:
        if name not in _ENTRIES:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = load(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_ENTRIES)

    def __len__(self) -> int:
        return len(_ENTRIES)


class LazyRoot(GlobalFirst):
    """The root group (``GlobalFirst``: global options anywhere on the line) whose commands are imported
    when named; its help lists them from ``COMMANDS`` and ``NOUNS`` without importing any."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _Commands()  # type: ignore[assignment]

    def list_commands(self, ctx: ClickContext) -> list[str]:
        return list(_ENTRIES)

    def format_commands(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        # what TyperGroup.format_commands prints (Command.get_short_help_str: no short_help, none deprecated or
        # hidden), from each command's help paragraph instead of the command
        if not _ENTRIES:
            return
        limit = formatter.width - 6 - max(len(name) for name in _ENTRIES)
        rows = [(name, make_default_short_help(summary, limit).strip()) for name, (_, summary) in _ENTRIES.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None, cls=LazyRoot, callback=root)


def main() -> None:
    """The `pdca` executable (pyproject's script): global options are hoisted by the root group itself
    (cli.common.GlobalFirst), so `app()`, ``python -m cli.main`` and a ``CliRunner`` behave the same."""
    app(prog_name="pdca")


if __name__ == "__main__":
    main()
