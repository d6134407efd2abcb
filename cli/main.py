"""pdca — 整顿软弱涣散党组织 PDCA 闭环管理 / PDCA rectification cycles, from the command line.

The root: global options (cli/common.py ``root``), the nouns (``NOUNS``: one line each) and the
operations. Each noun is a module named after it with a Typer ``app``; it calls service functions only.
"""

from __future__ import annotations

import typer

from cli import audit, calendar, campaign, case, codec, identity, notify, ops, org, person, policy, project, report, schedule
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

app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None, cls=GlobalFirst, callback=root)

# The nouns, one line each: (name, the module's Typer).
NOUNS: list[tuple[str, typer.Typer]] = [
    ("case", case.app),
    ("project", project.app),
    ("audit", audit.app),
    ("policy", policy.app),
    ("org", org.app),
    ("campaign", campaign.app),
    ("report", report.app),
    ("calendar", calendar.app),
    ("notify", notify.app),
    ("schedule", schedule.app),
    ("person", person.app),
    ("key", identity.key),
    ("authority", identity.authority),
    ("codec", codec.app),
]

for _name, _noun in NOUNS:
    app.add_typer(_noun, name=_name)
for _name, _command in ops.COMMANDS:
    app.command(_name)(_command)
app.command("login")(identity.login)
app.command("logout")(identity.logout)
app.command("whoami")(identity.whoami)


def main() -> None:
    """The `pdca` executable (pyproject's script): global options are hoisted by the root group itself
    (cli.common.GlobalFirst), so `app()`, ``python -m cli.main`` and a ``CliRunner`` behave the same."""
    app(prog_name="pdca")


if __name__ == "__main__":
    main()
