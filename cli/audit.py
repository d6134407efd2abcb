"""`pdca audit`: 审计 the audit trail — verify the hash chain, rebuild the ledgers, schedule the daily check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.common import deps, emit, noun, opts, run, run_async, run_then_exit
from service import audit

app = noun("审计 the audit trail: verify the hash chain, rebuild projections, schedule the daily verification.")


@app.command("verify")
def verify(
    digest_file: Annotated[
        Path | None, typer.Option("--digest-file", help="Also write the head digest here, to anchor it outside the database.")
    ] = None,
) -> None:
    """校验审计链 Walk the hash chain; exit 1 at the first row whose stored bytes do not match."""

    def action() -> None:
        report = audit.verify(deps(), digest_file)
        emit(report, lambda: render.verify_report(report, opts().lang.value))
        if not report.ok:
            raise typer.Exit(1)

    run(action)


@app.command("rebuild")
def rebuild() -> None:
    """重建台账 Rebuild every projection (case, measure, problem, project and campaign ledgers) from the log."""

    def action() -> None:
        count = audit.rebuild(deps())  # streams: cases, projects and campaigns
        zh = opts().lang == "zh"
        emit(
            {"rebuilt": count},
            lambda: render.console.print(
                f"✓ 已重建 {count} 条记录流（案件、项目和年度整顿）的台账"
                if zh
                else f"✓ rebuilt the ledgers of {count} stream(s) (cases, projects and campaigns)"
            ),
        )

    run(action)


@app.command("schedule")
def schedule(hour: Annotated[int, typer.Option("--hour", min=0, max=23, help="Hour of the day, Beijing time.")] = 2) -> None:
    """每日校验 Create the daily hash-chain verification Schedule (idempotent; `pdca up` does it too).

    Each run records pdca_audit_verifications_total / pdca_audit_chain_ok and writes the head digest
    to PDCA_DIGEST_DIR (default $PDCA_HOME/digests) on the worker's machine.
    """

    def action() -> None:
        created = run_async(audit.schedule_verification(deps(), hour))
        if opts().lang == "zh":
            line = "✓ 已创建每日审计链校验计划" if created else "✓ 每日审计链校验计划已存在"
        else:
            line = "✓ daily audit verification scheduled" if created else "✓ daily audit verification already scheduled"
        emit({"schedule_id": "pdca-audit-verification", "hour": hour, "created": created}, lambda: render.console.print(line))

    run_then_exit(action)
