"""`pdca audit`: 审计 the audit trail — verify the hash chain against signed checkpoints, take a checkpoint,
prove one event's inclusion, rebuild the ledgers, schedule the daily check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.common import deps, emit, noun, opts, run, run_async, run_then_exit
from service import audit

app = noun(
    "审计 the audit trail: verify the hash chain and the signed checkpoints, take a checkpoint, prove an event, "
    "rebuild projections, schedule the daily verification."
)

CheckpointDirsOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--checkpoints",
        metavar="DIR",
        help="Also read the checkpoints in this directory (copies kept elsewhere); repeatable. PDCA_CHECKPOINT_DIR is always read.",
    ),
]
KeyFilesOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--key",
        metavar="FILE",
        help="Trust only this audit public key file (<kid>.pub.json, a copy kept off the database host); repeatable. "
        "Default: the keys in PDCA_AUDIT_KEY_DIR.",
    ),
]


@app.command("verify")
def verify(
    checkpoints: CheckpointDirsOpt = None,
    keys: KeyFilesOpt = None,
    require_checkpoint: Annotated[
        bool, typer.Option("--require-checkpoint", help="Fail (exit 1) when the log has events but no good signed checkpoint is found.")
    ] = False,
    signatures: Annotated[
        bool,
        typer.Option("--signatures", help="Also check every personal signature against the key the people directory registered."),
    ] = False,
) -> None:
    """校验审计链 Walk the hash chain and every stream's versions, and check every signed checkpoint.

    Exit 1 at the first row whose stored bytes do not match, at a stream version that is not the previous
    one + 1, or at a checkpoint that is unreadable, not signed by a trusted audit key, beyond the log's
    head (truncated) or anchoring another hash or Merkle root (rewritten). Events after the newest
    checkpoint are reported as not yet anchored. No checkpoint at all is a warning (exit 1 with
    --require-checkpoint).

    With --signatures, also check offline every decision signed by the person who made it (plan
    approval, acceptance, closing, designation, sanctions): exit 1 if any does not verify."""

    def action() -> None:
        report = audit.verify(deps(), checkpoints or [], keys or [], require_checkpoint)
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


@app.command("checkpoint")
def checkpoint(checkpoints: CheckpointDirsOpt = None) -> None:
    """签名检查点 Verify, then sign the chain head into a new checkpoint in PDCA_CHECKPOINT_DIR.

    The checkpoint (position, head hash, Merkle root over events 1..position, UTC time, audit key id,
    signature) is written to a new file that is never overwritten, and POSTed to PDCA_CHECKPOINT_WEBHOOK
    when set. Nothing is signed when the verification fails (exit 1). The daily verification does the same."""

    def action() -> None:
        taken = audit.checkpoint(deps(), checkpoints or [])
        zh = opts().lang == "zh"
        data = {
            "ok": taken.checkpoint is not None,
            "checkpoint": taken.checkpoint,
            "file": taken.file,
            "webhook_error": taken.webhook_error,
            "verification": taken.report,
        }

        def show() -> None:
            cp = taken.checkpoint
            if cp is None:
                render.verify_report(taken.report, opts().lang.value)
                render.console.print("✗ 校验未通过，未签发检查点" if zh else "✗ verification failed: no checkpoint signed")
                return
            render.console.print(
                f"✓ 已签发检查点：序号 {cp.position}，链首摘要 {cp.head_hash}\n  Merkle 根 {cp.merkle_root}\n  文件 {taken.file}"
                if zh
                else f"✓ checkpoint signed: position {cp.position}, head {cp.head_hash}\n"
                f"  Merkle root {cp.merkle_root}\n  file {taken.file}",
                soft_wrap=True,
            )
            if taken.webhook_error:
                render.console.print(
                    f"! 检查点未能发送到 PDCA_CHECKPOINT_WEBHOOK：{taken.webhook_error}"
                    if zh
                    else f"! the checkpoint did not reach PDCA_CHECKPOINT_WEBHOOK: {taken.webhook_error}"
                )

        emit(data, show)
        if taken.checkpoint is None:
            raise typer.Exit(1)

    run(action)


@app.command("prove")
def prove(
    position: Annotated[int, typer.Argument(min=1, help="The event's position in the log (`pdca case history` shows it).")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the proof to this file (default: print it).")] = None,
    checkpoints: CheckpointDirsOpt = None,
) -> None:
    """包含证明 An inclusion proof of one event: the row as stored, its hash, its audit path to the newest
    checkpoint's Merkle root, and that signed checkpoint. Check it offline with `pdca audit check-proof`."""

    def action() -> None:
        proof = audit.prove(deps(), position, out, checkpoints or [])
        zh = opts().lang == "zh"
        if out is None:
            emit(proof, lambda: render.console.print_json(proof.model_dump_json()))
            return
        event = proof.event
        emit(
            {"file": str(out), "position": event.position, "checkpoint_position": proof.checkpoint.position},
            lambda: render.console.print(
                f"✓ 已写出包含证明：第 {event.position} 条事件（{event.stream_id} 第 {event.version} 版 {event.event_type}），"
                f"锚定于序号 {proof.checkpoint.position} 的检查点 → {out}"
                if zh
                else f"✓ inclusion proof of event {event.position} ({event.stream_id} v{event.version} {event.event_type}) "
                f"against the checkpoint at position {proof.checkpoint.position} → {out}",
                soft_wrap=True,
            ),
        )

    run(action)


@app.command("check-proof")
def check_proof(
    file: Annotated[Path, typer.Argument(help="A proof written by `pdca audit prove`.")],
    keys: KeyFilesOpt = None,
) -> None:
    """核验证明 Check an inclusion proof offline, without the database: the checkpoint's signature (audit public
    key), the event's hash over its fields, its audit path to the checkpoint's Merkle root. Exit 1 if any fails."""

    def action() -> None:
        result = audit.check_proof(file, keys or [])
        zh = opts().lang == "zh"

        def show() -> None:
            if result.ok:
                render.console.print(
                    f"✓ 证明有效：第 {result.position} 条事件（{result.stream_id} 第 {result.version} 版 {result.event_type}）"
                    f"包含在序号 {result.checkpoint_position} 的检查点中（{result.checkpoint_time}，审计密钥 {result.key_id}）"
                    if zh
                    else f"✓ proof holds: event {result.position} ({result.stream_id} v{result.version} {result.event_type}) is in "
                    f"the log the checkpoint at position {result.checkpoint_position} signed "
                    f"({result.checkpoint_time}, audit key {result.key_id})",
                    soft_wrap=True,
                )
                return
            render.console.print(f"✗ 证明无效：{file}" if zh else f"✗ proof does not hold: {file}")
            for problem in result.problems:
                render.console.print(f"  {problem}", soft_wrap=True)

        emit(result, show)
        if not result.ok:
            raise typer.Exit(1)

    run(action)


@app.command("key")
def key() -> None:
    """审计密钥 Show the audit public key that signs checkpoints (created if there is none yet).

    Copy its file off the database host: `pdca audit verify --key FILE` and `pdca audit check-proof --key FILE`
    then trust that copy only, not whatever PDCA_AUDIT_KEY_DIR holds."""

    def action() -> None:
        current = audit.audit_key(deps())
        zh = opts().lang == "zh"
        emit(
            current,
            lambda: render.console.print(
                f"审计密钥 {current.kid}（{current.alg}）\n  公钥 {current.public}\n  文件 {current.file}"
                if zh
                else f"audit key {current.kid} ({current.alg})\n  public {current.public}\n  file {current.file}",
                soft_wrap=True,
            ),
        )

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

    Each run records pdca_audit_verifications_total / pdca_audit_chain_ok and, when the chain and every
    checkpoint check out, signs a new checkpoint into PDCA_CHECKPOINT_DIR (default $PDCA_HOME/checkpoints)
    on the worker's machine (pdca_audit_checkpoints_total, pdca_audit_checkpoint_position).
    """

    def action() -> None:
        created = run_async(audit.schedule_verification(deps(), hour))
        if opts().lang == "zh":
            line = "✓ 已创建每日审计链校验计划" if created else "✓ 每日审计链校验计划已存在"
        else:
            line = "✓ daily audit verification scheduled" if created else "✓ daily audit verification already scheduled"
        emit({"schedule_id": "pdca-audit-verification", "hour": hour, "created": created}, lambda: render.console.print(line))

    run_then_exit(action)
