"""`pdca case`: 整顿案件 rectification cases — open, plan, do, check, act, read.

Every command calls one function of service/cases.py (the reads: service/case_reads.py); the screens
are in cli/render.py (and the history screen in cli/history_view.py).

At the top only what the commands' signatures need (their option types); each command imports the
service and the screens it uses, so `pdca case show` does not import Temporal's client (issue 12).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel, ConfigDict, Field

from cli.common import EvidenceOpt, PolicyOpt, RequestOpt, change, deps, emit, noun, opts, run
from domain.rectification import FindingInput, OpenCase, Outcome, ProblemInput, Stage, SubmitPlan
from domain.rungs import SanctionDecision

if TYPE_CHECKING:
    from service.commands import Done

app = noun(
    "整顿案件 rectification cases: open (立案), plan, progress, self-check, acceptance, follow-up review, close "
    "(销号); pause, extend, sanction proposals; show, list, history."
)
plan_app = noun("整改方案 the rectification plan: submit, approve, return.")
sanction_app = noun("问责提议 sanction proposals of the escalation ladder: approve or dismiss (supervisor / county leader).")
app.add_typer(plan_app, name="plan")
app.add_typer(sanction_app, name="sanction")

CaseArg = Annotated[str, typer.Argument(help="Case id, e.g. rect-V001-2026 (printed by `pdca case open`).")]
MeasureArg = Annotated[str, typer.Argument(help="Measure id from the plan, e.g. M1.")]


# ----------------------------------------------------------------------------- plan


@app.command("open")
def open_case(
    case_file: Annotated[Path, typer.Argument(help="Case YAML: org_code, org_name, region, year, basis, problems, leaders.")],
    policy_file: PolicyOpt = None,
) -> None:
    """立案 Open a rectification case for a designated organization (one per organization and year).

    The organization's secretary, its history of earlier years and its pairing units are read from the
    directory (`pdca org import`) as the case opens, and the memory rules (docs/memory.md) apply to it:
    the opening may propose sanctions at once (printed with the events)."""
    from service import cases
    from settings.directory import load_policy
    from settings.files import load_model

    def send(actor: Any) -> Awaitable[Done]:
        policy = load_policy(policy_file)
        opening = load_model(OpenCase, case_file, {"actor": actor.model_dump()})
        return cases.open_case(deps(), opening, policy)

    change(send)


@plan_app.command("submit")
def plan_submit(
    case_id: CaseArg,
    plan_file: Annotated[
        Path, typer.Argument(help="Plan YAML: measures (id, description, problems, responsible, partners, deadline), summary.")
    ],
    request_id: RequestOpt = None,
) -> None:
    """提交整改方案 Submit (or resubmit after return) the plan: measures, responsible people, partners, deadlines.

    Once the plan is approved, a plan submitted again is a supplementary plan (补充整改方案) for problems
    found since (`pdca case findings`): only new measures, for those problems; reviewed as a plan is."""
    from service import cases
    from settings.files import load_model

    def send(actor: Any) -> Awaitable[Done]:
        plan = load_model(SubmitPlan, plan_file, {"actor": actor.model_dump()})
        return cases.submit_plan(deps(), case_id, plan, request_id)

    change(send)


@plan_app.command("approve")
def plan_approve(
    case_id: CaseArg,
    comment: Annotated[str, typer.Option("--comment", help="Review comments.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """批准方案 Approve the submitted plan (not by the person who submitted it)."""
    from service import cases

    change(lambda actor: cases.approve_plan(deps(), case_id, actor, comment, request_id))


@plan_app.command("return")
def plan_return(
    case_id: CaseArg,
    comment: Annotated[str, typer.Option("--comment", help="What must change (required).")],
    request_id: RequestOpt = None,
) -> None:
    """退回修改 Return the submitted plan for revision with comments."""
    from service import cases

    change(lambda actor: cases.return_plan(deps(), case_id, actor, comment, request_id))


# ----------------------------------------------------------------------------- do, check, act


@app.command("progress")
def progress(
    case_id: CaseArg,
    measure_id: MeasureArg,
    note: Annotated[str, typer.Option("--note", help="What was done.")],
    evidence: EvidenceOpt = None,
    request_id: RequestOpt = None,
) -> None:
    """报告进展 Report progress on a measure, with evidence."""
    from service import cases

    change(lambda actor: cases.report_progress(deps(), case_id, actor, measure_id, note, evidence or [], request_id))


@app.command("complete")
def complete(
    case_id: CaseArg,
    measure_id: MeasureArg,
    note: Annotated[str, typer.Option("--note", help="How the measure was completed.")],
    evidence: EvidenceOpt = None,
    request_id: RequestOpt = None,
) -> None:
    """措施完成 Report a measure completed (at least one --evidence)."""
    from service import cases

    change(lambda actor: cases.complete_measure(deps(), case_id, actor, measure_id, note, evidence or [], request_id))


@app.command("self-check")
def self_check(
    case_id: CaseArg,
    summary: Annotated[str, typer.Option("--summary", help="Self-check summary.")],
    request_id: RequestOpt = None,
) -> None:
    """提交自查 Submit the self-check once every measure is complete; the case moves to acceptance."""
    from service import cases

    change(lambda actor: cases.submit_self_check(deps(), case_id, actor, summary, request_id))


@app.command("accept")
def accept(
    case_id: CaseArg,
    score: Annotated[float, typer.Option("--score", min=0, max=100, help="Acceptance score, 0–100.")],
    unsatisfied: Annotated[float, typer.Option("--unsatisfied", min=0, max=1, help="Unsatisfied share of the public survey, 0–1.")],
    comment: Annotated[str, typer.Option("--comment", help="Acceptance comments.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """验收 Record the acceptance; the verdict comes from policy (pass score, dissatisfaction veto)."""
    from service import cases

    change(lambda actor: cases.record_acceptance(deps(), case_id, actor, score, unsatisfied, comment, request_id))


class _ProblemsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    problems: list[ProblemInput] = Field(min_length=1)


@app.command("review")
def review(
    case_id: CaseArg,
    note: Annotated[str, typer.Option("--note", help="Follow-up review findings.")],
    relapse: Annotated[bool, typer.Option("--relapse", help="Problems came back: start a new PDCA cycle.")] = False,
    problems_file: Annotated[
        Path | None, typer.Option("--problems", help="With --relapse: YAML with `problems:` (category, description).")
    ] = None,
    request_id: RequestOpt = None,
) -> None:
    """回头看 Follow-up review during consolidation; --relapse re-opens the cycle with new problems."""
    from service import cases
    from settings.files import read_yaml, validate

    def send(actor: Any) -> Awaitable[Done]:
        new_problems: list[ProblemInput] = []
        if problems_file:
            data, node = read_yaml(problems_file)
            new_problems = validate(_ProblemsFile, data, node, problems_file).problems
        return cases.record_follow_up(deps(), case_id, actor, note, relapse, new_problems, request_id)

    change(send)


@app.command("close")
def close(
    case_id: CaseArg,
    outcome: Annotated[Outcome, typer.Option("--outcome", help="upgraded (晋位升级) or stable (巩固达标).")],
    note: Annotated[str, typer.Option("--note", help="Closing note.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """销号 Close the case after the consolidation period and a follow-up review."""
    from service import cases

    change(lambda actor: cases.close_case(deps(), case_id, actor, outcome, note, request_id))


class _FindingsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = None
    findings: list[FindingInput] = Field(min_length=1)


@app.command("findings")
def findings(
    case_id: CaseArg,
    findings_file: Annotated[
        Path, typer.Argument(help="YAML: `findings:` each with finding_id, category, description (and optionally `source:`).")
    ],
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Where they were found, e.g. xuncha-2027-03 (县委巡察反馈) or ducha-2027-05 (上级专项督查); else the "
            "file's source. A recorded inspection's findings (insp-…) go through `pdca inspection to-case`.",
        ),
    ] = None,
    request_id: RequestOpt = None,
) -> None:
    """检查发现问题 Record an inspection's findings as new problems of the case (supervisor, county leader).

    They join the current cycle (P4, P5, … marked with the source) and the plan must address them: before
    approval a new version of the plan; once approved a supplementary plan (`pdca case plan submit` with
    only the new measures), reviewed as a plan is; the self-check waits for it. In consolidation they open
    a new cycle, as a relapse does. A recorded inspection's findings go through `pdca inspection to-case`
    (from the inspection's own record); this command takes findings of other sources (巡察反馈, 上级督查 …)."""
    from service import cases
    from service.errors import InvalidField
    from settings.files import read_yaml, validate

    def send(actor: Any) -> Awaitable[Done]:
        data, node = read_yaml(findings_file)
        parsed = validate(_FindingsFile, data, node, findings_file)
        origin = source or parsed.source
        if not origin:
            raise InvalidField("source", "give --source (e.g. xuncha-2027-03 for 县委巡察反馈) or `source:` in the file")
        if origin.startswith("insp-"):
            # a recorded inspection's findings come from its own record (`inspection to-case`), never retyped:
            # a mistyped copy here would block the real referral for good
            inspection = origin.split("/")[0]
            raise InvalidField(
                "source", f"insp-… names recorded inspections: refer their findings with `pdca inspection to-case {inspection} FINDING_ID`"
            )
        return cases.record_findings(deps(), case_id, actor, origin, parsed.findings, request_id)

    change(send)


# ----------------------------------------------------------------------------- timing: pause, extension, sanctions


ReliefOpt = Annotated[
    str | None, typer.Option("--request", help="The relief request it grants (Q1, from `pdca case relief`): its requester is proven.")
]


@app.command("relief")
def relief(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why more time is needed, e.g. 村“两委”换届.")],
    measures: Annotated[list[str] | None, typer.Option("--measure", "-m", help="Measure id (repeatable); none: the whole case.")] = None,
    request_id: RequestOpt = None,
) -> None:
    """暂停/延期申请 Ask for a pause or an extension yourself (ids Q1, Q2, …); an approver grants it with
    `pdca case pause|extend --request Q1`, and can never be the one who asked."""
    from service import cases

    change(lambda actor: cases.request_relief(deps(), case_id, actor, reason, measures or [], request_id))


@app.command("pause")
def pause(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why, e.g. 村“两委”换届.")],
    requested_by: Annotated[
        str | None, typer.Option("--requested-by", help="Who asked (a name, recorded as told), when they did not send --request.")
    ] = None,
    measures: Annotated[list[str] | None, typer.Option("--measure", "-m", help="Measure id (repeatable); none: the whole case.")] = None,
    relief: ReliefOpt = None,
    request_id: RequestOpt = None,
) -> None:
    """暂停计时 Pause the clock of the whole case or of chosen measures (换届 etc.).

    The one running the command approves it (policy deadline_approvers: supervisor, county leader by
    default). While paused: no reminders, overdue notices or escalations. On resume every deadline
    moves by the working days paused.
    """
    from service import cases

    change(lambda actor: cases.pause(deps(), case_id, actor, reason, requested_by, measures or [], request_id, relief))


@app.command("resume")
def resume(
    case_id: CaseArg,
    measures: Annotated[
        list[str] | None, typer.Option("--measure", "-m", help="Measure id (repeatable); none: every paused measure.")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Note on the resumption.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """恢复计时 Resume paused measures; each deadline moves by the working days it was paused."""
    from service import cases

    change(lambda actor: cases.resume(deps(), case_id, actor, measures or [], note, request_id))


@app.command("extend")
def extend(
    case_id: CaseArg,
    measure: Annotated[str, typer.Option("--measure", "-m", help="Measure id, e.g. M1.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the deadline moves.")],
    to: Annotated[str | None, typer.Option("--to", help="New deadline: a date (due at 18:00 Beijing) or a timestamp with offset.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Extra time instead: 10wd (working days), 14d, 12h.")] = None,
    requested_by: Annotated[str | None, typer.Option("--requested-by", help="Who asked (a name, recorded as told).")] = None,
    relief: ReliefOpt = None,
    request_id: RequestOpt = None,
) -> None:
    """延期 Extend a measure's deadline (audited; reminders re-arm, rungs already fired stay fired)."""
    from service import cases

    change(lambda actor: cases.extend(deps(), case_id, actor, measure, reason, to, by, requested_by, request_id, relief))


def _decide_sanction(decision: SanctionDecision) -> Callable[..., None]:
    def command(
        case_id: CaseArg,
        measure: Annotated[str | None, typer.Option("--measure", "-m", help="With --rung: the measure id of the proposal.")] = None,
        rung: Annotated[str | None, typer.Option("--rung", help="The proposal's rung: admonishment_talk, personnel_adjustment, ….")] = None,
        proposal: Annotated[
            str | None,
            typer.Option("--proposal", help="Proposal id (e.g. S1) [default: by --rung/--measure, else the only pending proposal]."),
        ] = None,
        comment: Annotated[str, typer.Option("--comment", help="Decision comment.")] = "",
        request_id: RequestOpt = None,
    ) -> None:
        from service import cases

        change(lambda actor: cases.decide_sanction(deps(), case_id, actor, decision, proposal, measure, rung, comment, request_id))

    return command


sanction_app.command("approve", help="同意 Approve a pending sanction proposal (not by the measure's responsible person).")(
    _decide_sanction(SanctionDecision.APPROVED)
)
sanction_app.command("dismiss", help="不予处理 Dismiss a pending sanction proposal.")(_decide_sanction(SanctionDecision.DISMISSED))


@sanction_app.command("execute")
def sanction_execute(
    case_id: CaseArg,
    proposal: Annotated[str, typer.Option("--proposal", help="The approved proposal carried out, e.g. S1 (组织调整 or 诫勉谈话).")],
    action: Annotated[str, typer.Option("--action", help="What was done, e.g. 免去张某某村党支部书记职务 / 诫勉谈话已谈.")],
    on: Annotated[str, typer.Option("--on", help="The day it was done (YYYY-MM-DD; not in the future).")],
    new_secretary: Annotated[
        str | None, typer.Option("--new-secretary", help="组织调整 only: the new secretary (person id or name); the directory follows.")
    ] = None,
    request_id: RequestOpt = None,
) -> None:
    """落实 Record that an approved 组织调整 (personnel adjustment) or 诫勉谈话 (admonishment talk) was carried
    out: what, when, by whom (you); once per proposal. With --new-secretary the secretary is replaced
    (撤换) in the case and in the organization directory, and the memory rules see the new secretary."""
    from service import cases

    change(lambda actor: cases.record_execution(deps(), case_id, actor, proposal, action, on, new_secretary, request_id))


# ----------------------------------------------------------------------------- reading


@app.command("show")
def show(case_id: CaseArg) -> None:
    """查看案件 Show a case: stage, problem ledger, measures with deadlines, acceptance rounds."""
    from cli import case_view, render
    from service import case_reads

    def action() -> None:
        state = case_reads.show(deps(), case_id)

        def screen() -> None:
            render.case_detail(state, opts().lang.value)
            case_view.case_extras(state, opts().lang.value)

        emit(state, screen)

    run(action)


@app.command("list")
def list_cases(
    stage: Annotated[Stage | None, typer.Option("--stage", help="Only cases in this stage.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Only this organization code.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only this region / township.")] = None,
    year: Annotated[int | None, typer.Option("--year", min=2000, max=2100, help="Only cases of this year, e.g. 2027.")] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--not-overdue", help="Only cases with (or without) overdue measures.")] = None,
    page: Annotated[int, typer.Option("--page", min=1, help="Which page, from 1.")] = 1,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=1000, help="Cases per page.")] = 50,
    every: Annotated[bool, typer.Option("--all", help="Every matching case on one page (no --page).")] = False,
) -> None:
    """案件列表 List cases a page at a time, with filters and the total (from the case ledger, by case id).

    The last line is the total and the page: 共 120 件，第 1/3 页 (120 case(s), page 1/3). With -o json:
    {"rows": [...], "total": 120, "page": 1, "pages": 3, "page_size": 50}.
    """
    from cli import render
    from service import case_reads
    from service.errors import InvalidField

    def action() -> None:
        if every and page != 1:
            raise InvalidField("page", "--all lists every case on one page: leave out --page")
        found = case_reads.list_page(
            deps(),
            stage=stage.value if stage else None,
            org_code=org,
            region=region,
            year=year,
            overdue=overdue,
            page=1 if every else page,
            page_size=None if every else page_size,
        )
        emit(found, lambda: render.case_list(found, opts().lang.value))

    run(action)


@app.command("memory")
def memory(case_id: CaseArg) -> None:
    """历史记录 What the memory rules read for this case: the secretary, each earlier year of the
    organization (rank, designated, acceptance, failed rounds, rules it already served as evidence for),
    and the memory proposals made (rule, years cited, status)."""
    from cli import case_view
    from service import case_reads

    def action() -> None:
        state = case_reads.show(deps(), case_id)
        data = {
            "case_id": state.case_id,
            "secretary": state.secretary,
            "history": state.history,
            "proposals": [p for p in state.proposals if p.source.value == "memory"],
        }
        emit(data, lambda: case_view.memory(state, opts().lang.value))

    run(action)


@app.command("history")
def history(case_id: CaseArg) -> None:
    """全程纪实 The audit trail of a case: every event, who, when."""
    from cli import history_view
    from service import case_reads

    def action() -> None:
        rows = case_reads.history(deps(), case_id)
        emit(history_view.history_json(rows), lambda: history_view.history(rows, opts().lang.value))

    run(action)
