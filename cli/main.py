"""pdca — 整顿软弱涣散党组织 PDCA 闭环管理 / PDCA rectification cycles, from the command line.

Exit codes: 0 done; 1 refused (input, rules, permissions); 2 usage; 3 Temporal or worker unavailable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from cli import render
from cli.common import (
    ActorOpt,
    ActorsOpt,
    CaseArg,
    DbOpt,
    JsonOpt,
    Lang,
    LangOpt,
    RequestOpt,
    TimeoutOpt,
    reading,
    run,
    run_async,
    run_then_exit,
)
from cli.errors import CliError, UnknownCase
from cli.files import load_model, read_yaml, validate
from cli.settings import load_policy, resolve_actor
from domain.policy import Policy
from domain.rectification import (
    ApprovePlan,
    CloseCase,
    CompleteMeasure,
    DecideSanction,
    ExtendDeadline,
    OpenCase,
    Outcome,
    PauseMeasures,
    ProblemInput,
    RecordAcceptance,
    RecordFollowUp,
    ReportProgress,
    ResumeMeasures,
    ReturnPlan,
    SanctionDecision,
    Stage,
    SubmitPlan,
    SubmitSelfCheck,
)
from store.db import default_database_url, display_url, make_engine
from store.eventlog import AuditLog
from store.models import CaseSummary
from store.projections import reset_projections, state_from_rows

T = TypeVar("T")

HELP = """整顿软弱涣散党组织 PDCA 闭环管理（书记/组织部督导用）.

Drive rectification cases of weak and lax Party organizations through Plan–Do–Check–Act:
open a case, submit and approve the plan, report progress, check and accept, consolidate, close.
Every step is an audited event; reminders and overdue notices fire on their own.

Start everything with `pdca up`; then, in another terminal, run the steps.
Settings come from the environment: TEMPORAL_ADDRESS, PDCA_HOME, PDCA_DATABASE_URL,
PDCA_ACTORS, PDCA_ACTOR, PDCA_POLICY, PDCA_LANG.
"""

app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None)
plan_app = typer.Typer(help="整改方案 the rectification plan: submit, approve, return.", no_args_is_help=True)
audit_app = typer.Typer(help="审计 the audit trail: verify the hash chain, rebuild projections.", no_args_is_help=True)
policy_app = typer.Typer(help="政策 the policy file: show the effective policy, check a file.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")
sanction_app = typer.Typer(
    help="问责提议 sanction proposals of the escalation ladder: approve or dismiss (supervisor / county leader).",
    no_args_is_help=True,
)
app.add_typer(sanction_app, name="sanction")


def _register_subcommands() -> None:
    from cli import (
        calendar_cmd,
        campaign_cmd,
        notify_cmd,
        org_cmd,
        project_cmd,
        report_cmd,
        schedule_cmd,
    )

    for name, module in (
        ("org", org_cmd),
        ("campaign", campaign_cmd),
        ("project", project_cmd),
        ("report", report_cmd),
        ("calendar", calendar_cmd),
        ("notify", notify_cmd),
        ("schedule", schedule_cmd),
    ):
        app.add_typer(module.app, name=name)


_register_subcommands()


# ----------------------------------------------------------------------------- commands that change a case


def _send(case_id: str, build: Callable[[Any], Any], actor_id: str | None, actors: Path | None, request_id: str | None, timeout: float, lang: Lang) -> None:
    from cli.cases import send, send_command

    def action() -> None:
        try:
            result = send_command(send, case_id, build, actor_id, actors, request_id, timeout)
        except UnknownCase as unknown:
            raise _explain_unknown(unknown) from None
        render.command_done(result.events, case_id, result.stage, result.version, result.duplicate, lang.value)

    run_then_exit(action, lang)


def _explain_unknown(unknown: UnknownCase) -> CliError:
    """Temporal does not know the case; the audit log may: say which (see cli.cases.explain_unknown)."""
    from cli.cases import explain_unknown

    def closed(state: Any) -> str | None:
        return f"case {unknown.case_id} is closed (已销号): it accepts no more commands" if state.stage == Stage.CLOSED else None

    return explain_unknown(unknown, "case", state_from_rows, closed, unknown)


@app.command("open")
def open_case(
    case_file: Annotated[Path, typer.Argument(help="Case YAML: org_code, org_name, region, year, basis, problems, leaders.")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    policy_file: Annotated[Path | None, typer.Option("--policy", help="Policy YAML [env PDCA_POLICY; default: built-in].")] = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """立案 Open a rectification case for a designated organization (one per organization and year)."""
    from cli.cases import connect_or_fail
    from cli.cases import open_case as start

    def action() -> None:
        actor = resolve_actor(actor_id, actors)
        policy = load_policy(policy_file)
        command = load_model(OpenCase, case_file, {"actor": actor.model_dump()})

        async def go() -> Any:
            client = await connect_or_fail(min(timeout, 10))
            return await start(client, command, policy, timeout)

        state = run_async(go())
        render.command_done(["CaseOpened"], state.case_id, state.stage, state.version, False, lang.value)

    run_then_exit(action, lang)


@plan_app.command("submit")
def plan_submit(
    case_id: CaseArg,
    plan_file: Annotated[Path, typer.Argument(help="Plan YAML: measures (id, description, problems, responsible, deadline), summary.")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """提交整改方案 Submit (or resubmit after return) the plan: measures, responsible people, deadlines."""

    def build(actor: Any) -> SubmitPlan:
        return load_model(SubmitPlan, plan_file, {"actor": actor.model_dump()})

    _send(case_id, build, actor_id, actors, request_id, timeout, lang)


@plan_app.command("approve")
def plan_approve(
    case_id: CaseArg,
    comment: Annotated[str, typer.Option("--comment", help="Review comments.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """批准方案 Approve the submitted plan (not by the person who submitted it)."""
    _send(case_id, lambda actor: ApprovePlan(actor=actor, comments=comment), actor_id, actors, request_id, timeout, lang)


@plan_app.command("return")
def plan_return(
    case_id: CaseArg,
    comment: Annotated[str, typer.Option("--comment", help="What must change (required).")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """退回修改 Return the submitted plan for revision with comments."""
    _send(case_id, lambda actor: ReturnPlan(actor=actor, comments=comment), actor_id, actors, request_id, timeout, lang)


EvidenceOpt = Annotated[list[str] | None, typer.Option("--evidence", help="Evidence reference (file, link, archive no.); repeatable.")]


@app.command("progress")
def progress(
    case_id: CaseArg,
    measure_id: Annotated[str, typer.Argument(help="Measure id from the plan, e.g. M1.")],
    note: Annotated[str, typer.Option("--note", help="What was done.")],
    evidence: EvidenceOpt = None,
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """报告进展 Report progress on a measure, with evidence."""
    _send(
        case_id,
        lambda actor: ReportProgress(actor=actor, measure_id=measure_id, note=note, evidence=evidence or []),
        actor_id, actors, request_id, timeout, lang,
    )


@app.command("complete")
def complete(
    case_id: CaseArg,
    measure_id: Annotated[str, typer.Argument(help="Measure id from the plan, e.g. M1.")],
    note: Annotated[str, typer.Option("--note", help="How the measure was completed.")],
    evidence: EvidenceOpt = None,
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """措施完成 Report a measure completed (at least one --evidence)."""
    _send(
        case_id,
        lambda actor: CompleteMeasure(actor=actor, measure_id=measure_id, note=note, evidence=evidence or []),
        actor_id, actors, request_id, timeout, lang,
    )


@app.command("self-check")
def self_check(
    case_id: CaseArg,
    summary: Annotated[str, typer.Option("--summary", help="Self-check findings (自查报告).")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """提交自查 Submit the self-check once every measure is complete; the case moves to acceptance."""
    _send(case_id, lambda actor: SubmitSelfCheck(actor=actor, summary=summary), actor_id, actors, request_id, timeout, lang)


@app.command("accept")
def accept(
    case_id: CaseArg,
    score: Annotated[float, typer.Option("--score", min=0, max=100, help="Acceptance score, 0–100.")],
    unsatisfied: Annotated[float, typer.Option("--unsatisfied", min=0, max=1, help="Unsatisfied share of the public survey, 0–1.")],
    comment: Annotated[str, typer.Option("--comment", help="Acceptance comments.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """验收 Record the acceptance; the verdict comes from policy (pass score, dissatisfaction veto)."""
    _send(
        case_id,
        lambda actor: RecordAcceptance(actor=actor, score=score, unsatisfied_share=unsatisfied, comments=comment),
        actor_id, actors, request_id, timeout, lang,
    )


@app.command("review")
def review(
    case_id: CaseArg,
    note: Annotated[str, typer.Option("--note", help="Follow-up review findings.")],
    relapse: Annotated[bool, typer.Option("--relapse", help="Problems came back: start a new PDCA cycle.")] = False,
    problems_file: Annotated[
        Path | None, typer.Option("--problems", help="With --relapse: YAML with `problems:` (category, description).")
    ] = None,
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """回头看 Follow-up review during consolidation; --relapse re-opens the cycle with new problems."""

    def build(actor: Any) -> RecordFollowUp:
        new_problems: list[ProblemInput] = []
        if problems_file:
            data, node = read_yaml(problems_file)
            new_problems = validate(_ProblemsFile, data, node, problems_file).problems
        return RecordFollowUp(actor=actor, relapsed=relapse, note=note, new_problems=new_problems)

    _send(case_id, build, actor_id, actors, request_id, timeout, lang)


class _ProblemsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problems: list[ProblemInput] = Field(min_length=1)


@app.command("close")
def close(
    case_id: CaseArg,
    outcome: Annotated[Outcome, typer.Option("--outcome", help="upgraded (晋位升级) or stable (巩固达标).")],
    note: Annotated[str, typer.Option("--note", help="Closing note.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """销号 Close the case after the consolidation period and a follow-up review."""
    _send(case_id, lambda actor: CloseCase(actor=actor, outcome=outcome, note=note), actor_id, actors, request_id, timeout, lang)


# ----------------------------------------------------------------------------- timing: pause, extension, sanctions

MeasureOpt = Annotated[list[str] | None, typer.Option("--measure", "-m", help="Measure id (repeatable); none: the whole case.")]


@app.command("pause")
def pause(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why, e.g. 村“两委”换届.")],
    requested_by: Annotated[str, typer.Option("--requested-by", help="Who asked for the pause (not the approver).")],
    measures: MeasureOpt = None,
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """暂停计时 Pause the clock of the whole case or of chosen measures (换届 etc.).

    The one running the command approves it (policy deadline_approvers: supervisor, county leader by
    default). While paused: no reminders, overdue notices or escalations. On resume every deadline
    moves by the working days paused.
    """
    _send(
        case_id,
        lambda actor: PauseMeasures(actor=actor, measure_ids=measures or [], reason=reason, requested_by=requested_by),
        actor_id, actors, request_id, timeout, lang,
    )


@app.command("resume")
def resume(
    case_id: CaseArg,
    measures: Annotated[list[str] | None, typer.Option("--measure", "-m", help="Measure id (repeatable); none: every paused measure.")] = None,
    note: Annotated[str, typer.Option("--note", help="Note on the resumption.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """恢复计时 Resume paused measures; each deadline moves by the working days it was paused."""
    _send(case_id, lambda actor: ResumeMeasures(actor=actor, measure_ids=measures or [], note=note), actor_id, actors, request_id, timeout, lang)


@app.command("extend")
def extend(
    case_id: CaseArg,
    measure: Annotated[str, typer.Option("--measure", "-m", help="Measure id, e.g. M1.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the deadline moves.")],
    to: Annotated[str | None, typer.Option("--to", help="New deadline: a date (due at 18:00 Beijing) or a timestamp with offset.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Extra time instead: 10wd (working days), 14d, 12h.")] = None,
    requested_by: Annotated[str | None, typer.Option("--requested-by", help="Who asked for it (not the approver).")] = None,
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """延期 Extend a measure's deadline (audited; reminders re-arm, rungs already fired stay fired)."""

    def build(actor: Any) -> ExtendDeadline:
        return _model(ExtendDeadline, actor=actor, measure_id=measure, to=to, by=by, reason=reason, requested_by=requested_by)

    _send(case_id, build, actor_id, actors, request_id, timeout, lang)


def _model(cls: type[T], **fields: Any) -> T:
    """Build a command from options, turning a validation error into one clear line (exit 1)."""
    from pydantic import ValidationError

    try:
        return cls.model_validate(fields)  # type: ignore[attr-defined,no-any-return]
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CliError(f"{where + ': ' if where else ''}{first['msg']}") from None


def _decide_sanction(decision: SanctionDecision):  # type: ignore[no-untyped-def]
    def command(
        case_id: CaseArg,
        measure: Annotated[str | None, typer.Option("--measure", "-m", help="Measure id of the proposal.")] = None,
        rung: Annotated[str | None, typer.Option("--rung", help="admonishment_talk, personnel_adjustment, ….")] = None,
        proposal: Annotated[str | None, typer.Option("--proposal", help="Proposal id (e.g. S1) instead of --measure/--rung.")] = None,
        comment: Annotated[str, typer.Option("--comment", help="Decision comment.")] = "",
        actor_id: ActorOpt = None,
        actors: ActorsOpt = None,
        request_id: RequestOpt = None,
        timeout: TimeoutOpt = 30,
        lang: LangOpt = Lang.zh,
    ) -> None:
        def build(actor: Any) -> DecideSanction:
            if proposal is None and (rung is None):
                raise CliError("name the proposal: --proposal ID, or --rung (and --measure)")
            return _model(
                DecideSanction, actor=actor, proposal_id=proposal, measure_id=measure, rung=rung, decision=decision, comment=comment
            )

        _send(case_id, build, actor_id, actors, request_id, timeout, lang)

    return command


sanction_app.command("approve", help="同意 Approve a pending sanction proposal (not by the measure's responsible person).")(
    _decide_sanction(SanctionDecision.APPROVED)
)
sanction_app.command("dismiss", help="不予处理 Dismiss a pending sanction proposal.")(_decide_sanction(SanctionDecision.DISMISSED))


# ----------------------------------------------------------------------------- reading


@app.command("show")
def show(case_id: CaseArg, db: DbOpt = None, as_json: JsonOpt = False, lang: LangOpt = Lang.zh) -> None:
    """查看案件 Show a case: stage, problem ledger, measures with deadlines, acceptance rounds."""

    def action() -> None:
        rows = reading(db, lambda log: log.read_stream(case_id))
        if not rows:
            raise CliError(f"unknown case {case_id}")
        state = state_from_rows(rows)
        if as_json:
            render.print_json(state.model_dump(mode="json"))
        else:
            render.case_detail(state, lang.value)

    run(action, lang)


@app.command("list")
def list_cases(
    stage: Annotated[Stage | None, typer.Option("--stage", help="Only cases in this stage.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Only this organization code.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only this region / township.")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue", help="Only cases with (or without) overdue measures.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """案件列表 List cases from the case ledger, with filters."""

    def query(log: AuditLog) -> list[CaseSummary]:
        statement = select(CaseSummary).order_by(col(CaseSummary.case_id))
        if stage:
            statement = statement.where(CaseSummary.stage == stage.value)
        if org:
            statement = statement.where(CaseSummary.org_code == org)
        if region:
            statement = statement.where(CaseSummary.region == region)
        if overdue is not None:
            statement = statement.where(CaseSummary.overdue == overdue)
        with Session(log.engine) as session:
            return list(session.exec(statement).all())

    def action() -> None:
        rows = reading(db, query)
        if as_json:
            render.print_json([r.model_dump(mode="json") for r in rows])
        else:
            render.case_list(rows, lang.value)

    run(action, lang)


@app.command("history")
def history(case_id: CaseArg, db: DbOpt = None, as_json: JsonOpt = False, lang: LangOpt = Lang.zh) -> None:
    """全程纪实 The audit trail of a case: every event, who, when."""

    def action() -> None:
        rows = reading(db, lambda log: log.read_stream(case_id))
        if not rows:
            raise CliError(f"unknown case {case_id}")
        if as_json:
            render.print_json(render.history_json(rows))
        else:
            render.history(rows, lang.value)

    run(action, lang)


@audit_app.command("verify")
def audit_verify(
    db: DbOpt = None,
    digest_file: Annotated[Path | None, typer.Option("--digest-file", help="Also write the head digest here, to anchor it outside the database.")] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """校验审计链 Walk the hash chain; exit 1 at the first row whose stored bytes do not match."""

    def action() -> None:
        report = reading(db, lambda log: log.verify())
        if digest_file and report.ok:
            digest_file.write_text(f"{report.head_position} {report.head_hash}\n", encoding="utf-8")
        if as_json:
            render.print_json(report.__dict__)
        else:
            render.verify_report(report, lang.value)
        if not report.ok:
            raise typer.Exit(1)

    run(action, lang)


@audit_app.command("rebuild")
def audit_rebuild(db: DbOpt = None, lang: LangOpt = Lang.zh) -> None:
    """重建台账 Rebuild every projection (case ledger, measure and problem ledgers) from the log."""

    def action() -> None:
        count = reading(db, lambda log: log.rebuild_projections(reset_projections))
        render.console.print(f"✓ 已重建 {count} 件案件的台账" if lang == Lang.zh else f"✓ rebuilt the ledgers of {count} case(s)")

    run(action, lang)


@audit_app.command("schedule")
def audit_schedule(
    hour: Annotated[int, typer.Option("--hour", min=0, max=23, help="Hour of the day, Beijing time.")] = 2,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """每日校验 Create the daily hash-chain verification Schedule (idempotent; `pdca up` does it too).

    Each run records pdca_audit_verifications_total / pdca_audit_chain_ok and writes the head digest
    to PDCA_DIGEST_DIR (default $PDCA_HOME/digests) on the worker's machine.
    """
    from cli.cases import connect_or_fail
    from cli.schedules import ensure_audit_verification
    from worker import task_queue

    def action() -> None:
        async def go() -> bool:
            client = await connect_or_fail(min(timeout, 10))
            return await ensure_audit_verification(client, task_queue(), hour)

        created = run_async(go())
        if lang == Lang.zh:
            render.console.print("✓ 已创建每日审计链校验计划" if created else "✓ 每日审计链校验计划已存在")
        else:
            render.console.print("✓ daily audit verification scheduled" if created else "✓ daily audit verification already scheduled")

    run_then_exit(action, lang)


@app.command("migrate")
def migrate(db: DbOpt = None) -> None:
    """Create or upgrade the audit database schema (`pdca up` does this too)."""
    from store.migrate import upgrade

    url = db or default_database_url()
    upgrade(make_engine(url))
    render.console.print(f"✓ {display_url(url)}")


@policy_app.command("show")
def policy_show(
    policy_file: Annotated[Path | None, typer.Option("--policy", help="Policy YAML [env PDCA_POLICY; default: built-in].")] = None,
) -> None:
    """Print the effective policy (defaults merged with the file) as JSON."""
    policy = run(lambda: load_policy(policy_file))
    render.print_json(policy.model_dump(mode="json"))


@policy_app.command("check")
def policy_check(policy_file: Annotated[Path, typer.Argument(help="Policy YAML to check.")]) -> None:
    """Check a policy file; report the first bad field with its line."""
    policy = run(lambda: load_model(Policy, policy_file))
    render.console.print(f"✓ {policy_file}: policy {policy.version}")


# ----------------------------------------------------------------------------- running


@app.command("up")
def up(
    port: Annotated[int, typer.Option("--port", help="Temporal frontend port.")] = 7233,
    ui_port: Annotated[int, typer.Option("--ui-port", help="Temporal web UI port.")] = 8233,
    no_ui: Annotated[bool, typer.Option("--no-ui", help="Do not serve the Temporal web UI.")] = False,
    metrics_port: Annotated[int, typer.Option("--metrics-port", envvar="PDCA_METRICS_PORT", help="Prometheus /metrics port of the project's metrics (0: off).")] = 9464,
    sdk_metrics_port: Annotated[int, typer.Option("--sdk-metrics-port", envvar="PDCA_SDK_METRICS_PORT", help="Prometheus port of the Temporal SDK's own metrics (0: off).")] = 9465,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", envvar="PDCA_HOME", help="Where state lives [default ~/.pdca].")] = None,
) -> None:
    """一键启动 Start the embedded stack: Temporal dev server (state kept in DATA_DIR), audit DB, worker, metrics. Ctrl-C stops all."""
    from cli.up import run_stack

    run(lambda: run_stack(port=port, ui_port=None if no_ui else ui_port, metrics_port=metrics_port, sdk_metrics_port=sdk_metrics_port, data_dir=data_dir))


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option("--out", help="Where the demo's audit database and reports go.")] = Path("pdca-demo"),
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the summary, not the timeline.")] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """演示 A whole campaign year in under a minute on Temporal's time-skipping server: designation,
    cases, secretary projects, reminders, escalations, acceptance, bulletin, year-end summary.

    Needs nothing running (it starts its own server, worker and SQLite audit database under --out).
    """
    from cli.demo import print_result, run_demo

    def action() -> None:
        print_result(run_async(run_demo(out.resolve(), lang.value, echo=not quiet)), lang.value)

    run_then_exit(action, lang)


@app.command("worker")
def worker_command() -> None:
    """Run only the worker, against TEMPORAL_ADDRESS and PDCA_DATABASE_URL (production)."""
    import worker

    worker.main()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
