"""`pdca policy`: 政策 the policy file — show the effective policy, check a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.common import PolicyOpt, emit, noun, print_json, run
from service import policy as policies

app = noun("政策 the policy file: show the effective policy, check a file.")


@app.command("show")
def show(policy_file: PolicyOpt = None) -> None:
    """Print the effective policy (defaults merged with the file) as JSON (with either --output)."""
    policy = run(lambda: policies.effective(policy_file))
    print_json(policy)


@app.command("check")
def check(policy_file: Annotated[Path, typer.Argument(help="Policy YAML to check.")]) -> None:
    """Check a policy file; report the first bad field with its line."""
    policy = run(lambda: policies.check(policy_file))
    emit(
        {"file": str(policy_file), "version": policy.version, "ok": True},
        lambda: render.console.print(f"✓ {policy_file}: policy {policy.version}"),
    )
