"""`pdca audit`: 审计 the audit trail — verify the hash chain, rebuild the ledgers, schedule the daily check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    signatures: Annotated[
        bool,
        typer.Option("--signatures", help="Also check every personal signature against the key the people directory registered."),
    ] = False,
) -> None:
    """校验审计链 Walk the hash chain; exit 1 at the first row whose stored bytes do not match.

    With --signatures, also check offline every decision signed by the person who made it (plan
    approval, acceptance, closing, designation, sanctions): exit 1 if any does not verify."""

    def action() -> None:
        report = audit.verify(deps(), digest_file)
        checked = audit.verify_signatures(deps()) if signatures else None
        data: Any = report if checked is None else {"chain": report, "signatures": checked}

        def show() -> None:
            render.verify_report(report, opts().lang.value)
            if checked is not None:
                zh = opts().lang == "zh"
                mark = "✓" if checked.ok else "✗"
                render.console.print(
                    f"{mark} 个人签名 {checked.checked} 处，问题 {len(checked.problems)} 处"
                    if zh
                    else f"{mark} personal signatures: {checked.checked} checked, {len(checked.problems)} problem(s)"
                )
                for problem in checked.problems:
                    render.console.print(f"  {problem}", soft_wrap=True)

        emit(data, show)
        if not report.ok or (checked is not None and not checked.ok):
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
