"""`pdca project`: 书记项目 secretary / committee-member / branch projects.

年初领题、年中解题、年末结题: apply (立项) → panel review with revision rounds → milestones, progress
ledger and quarterly reports (reminders and 催办 fire on their own) → year-end evaluation (述职评议
record) → promoted as a model (典型推广) or closed; a poor result raises a sanction proposal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ConfigDict, Field
from rich.table import Table
from sqlmodel import Session, col, select

from cli.common import (
    ActorOpt,
    ActorsOpt,
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
from cli.files import read_yaml, validate
from cli.settings import load_policy, resolve_actor
from domain.labels import enum_label, label
from domain.project import (
    EVENT_ADAPTER,
    PREFIX,
    TERMINAL,
    ApplicationInput,
    ApplyProject,
    ApproveApplication,
    CloseProject,
    CompleteMilestone,
    DecideSanction,
    EvaluateProject,
    Level,
    ProjectState,
    PromoteProject,
    Rating,
    RecordProgress,
    RejectApplication,
    ReturnApplication,
    ReviseApplication,
    SanctionDecision,
    Stage,
    SubmitQuarterlyReport,
)
from domain.timeutil import local
from store.models import AuditEvent

HELP = """书记项目 secretary / committee-member / branch projects (书记项目、委员项目、支部项目).

Apply with a YAML file (立项), review with return-for-revision rounds, record milestones, progress and
quarterly reports, evaluate at year end (good / medium / poor + satisfaction), then promote as a
model (典型推广) or close. Reminders and 催办 for missing quarterly reports fire on their own.
"""

app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)
sanction_app = typer.Typer(help="问责提议 decide the sanction proposal a poor evaluation raised: approve or dismiss.", no_args_is_help=True)
app.add_typer(sanction_app, name="sanction")

ProjectArg = Annotated[str, typer.Argument(help="Project id, e.g. proj-secretary-V001-2027 (printed by `pdca project apply`).")]
EvidenceOpt = Annotated[list[str] | None, typer.Option("--evidence", help="Evidence reference (file, link, archive no.); repeatable.")]


class ApplicationFile(ApplicationInput):
    """The apply file: who and which year, then the application (title, problem, goals, measures,
    milestones, deadline). ``pdca project revise`` takes the same file (the header keys are ignored)."""

    model_config = ConfigDict(extra="forbid")
    level: Level
    org_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    org_name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)


_HEADER = ("level", "org_code", "org_name", "region", "year")


def _application_of(file: ApplicationFile) -> ApplicationInput:
    return ApplicationInput(**file.model_dump(exclude=set(_HEADER)))


# ----------------------------------------------------------------------------- output


def _stage(stage: str, lang: Lang) -> str:
    return enum_label("pstage", stage, lang.value)


def _done(events: Sequence[str], project_id: str, stage: str, version: int, duplicate: bool, lang: Lang) -> None:
    from cli.render import console

    sep = "、" if lang == Lang.zh else ", "
    names = sep.join(label(f"event.{t}", lang.value) for t in events) or ("无变化" if lang == Lang.zh else "no change")
    if lang == Lang.zh:
        note = "（重复提交，已按首次结果返回）" if duplicate else ""
        console.print(f"✓ {project_id}：{names}；当前阶段：{_stage(stage, lang)}（版本 {version}）{note}")
    else:
        note = " (a retry: the first result is returned)" if duplicate else ""
        console.print(f"✓ {project_id}: {names}; stage now: {_stage(stage, lang)} (version {version}){note}")


def _when(value: datetime | None) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M") if value else "-"


# ----------------------------------------------------------------------------- sending


def _explain_unknown(unknown: UnknownCase) -> CliError:
    from cli.cases import explain_unknown

    def closed(state: ProjectState) -> str | None:
        return f"project {unknown.case_id} is {state.stage.value}: it accepts no more commands" if state.stage in TERMINAL else None

    return explain_unknown(unknown, "project", _fold, closed, CliError(f"unknown project {unknown.case_id}"))


def _send(project_id: str, build: Callable[[Any], Any], actor_id: str | None, actors: Path | None, request_id: str | None, timeout: float, lang: Lang) -> None:
    from cli.cases import send_command
    from cli.projects import send

    def action() -> None:
        if not project_id.startswith(PREFIX):
            raise CliError(f"{project_id} is not a project id (they start with {PREFIX}, e.g. proj-secretary-V001-2027)")
        try:
            result = send_command(send, project_id, build, actor_id, actors, request_id, timeout)
        except UnknownCase as unknown:
            raise _explain_unknown(unknown) from None
        except CliError as error:
            if "is closed (已销号)" in error.message:  # the shared wording is the rectification one
                raise _explain_unknown(UnknownCase(project_id)) from None
            raise
        _done(result.events, project_id, result.stage, result.version, result.duplicate, lang)

    run_then_exit(action, lang)


def _load_file(path: Path) -> ApplicationFile:
    data, node = read_yaml(path)
    return validate(ApplicationFile, data, node, path)


# ----------------------------------------------------------------------------- commands


@app.command("apply")
def apply(
    file: Annotated[Path, typer.Argument(help="Application YAML: level, org_code, org_name, region, year, title, problem, goals, measures, milestones, deadline.")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    policy_file: Annotated[Path | None, typer.Option("--policy", help="Policy YAML [env PDCA_POLICY; default: built-in].")] = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """立项申请 Apply for a project; the acting secretary becomes its owner (one per level, organization, year)."""
    from cli.cases import connect_or_fail
    from cli.projects import apply_project

    def action() -> None:
        actor = resolve_actor(actor_id, actors)
        policy = load_policy(policy_file)
        loaded = _load_file(file)
        command = ApplyProject(
            actor=actor,
            level=loaded.level,
            org_code=loaded.org_code,
            org_name=loaded.org_name,
            region=loaded.region,
            year=loaded.year,
            application=_application_of(loaded),
        )

        async def go() -> ProjectState:
            client = await connect_or_fail(min(timeout, 10))
            return await apply_project(client, command, policy, timeout)

        state = run_async(go())
        _done(["ProjectApplied"], state.project_id, state.stage, state.version, False, lang)

    run_then_exit(action, lang)


@app.command("return")
def return_(
    project_id: ProjectArg,
    comments: Annotated[str, typer.Option("--comments", "--comment", help="What must change (required).")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """退回修改 Return the application for revision (at most the policy's max_revision_rounds times)."""
    _send(project_id, lambda a: ReturnApplication(actor=a, comments=comments), actor_id, actors, request_id, timeout, lang)


@app.command("revise")
def revise(
    project_id: ProjectArg,
    file: Annotated[Path, typer.Argument(help="The revised application YAML (same format as for apply).")],
    note: Annotated[str, typer.Option("--note", help="What changed.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """修改后重新申报 Resubmit a returned application (the owner only)."""

    def build(actor: Any) -> ReviseApplication:
        return ReviseApplication(actor=actor, application=_application_of(_load_file(file)), note=note)

    _send(project_id, build, actor_id, actors, request_id, timeout, lang)


@app.command("approve")
def approve(
    project_id: ProjectArg,
    comments: Annotated[str, typer.Option("--comments", "--comment", help="Review comments.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """批准立项 Approve the application (not its owner); quarterly report due dates are set."""
    _send(project_id, lambda a: ApproveApplication(actor=a, comments=comments), actor_id, actors, request_id, timeout, lang)


@app.command("reject")
def reject(
    project_id: ProjectArg,
    comments: Annotated[str, typer.Option("--comments", "--comment", help="Why (required).")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """不予立项 Reject the application (the end of it; the only choice besides approval once the revision limit is used)."""
    _send(project_id, lambda a: RejectApplication(actor=a, comments=comments), actor_id, actors, request_id, timeout, lang)


@app.command("progress")
def progress(
    project_id: ProjectArg,
    note: Annotated[str, typer.Option("--note", help="What was done (进展台账).")],
    milestone: Annotated[str | None, typer.Option("--milestone", help="The milestone it concerns, e.g. M1.")] = None,
    evidence: EvidenceOpt = None,
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """进展记录 Add an entry to the progress ledger."""
    _send(
        project_id,
        lambda a: RecordProgress(actor=a, note=note, milestone_id=milestone, evidence=evidence or []),
        actor_id, actors, request_id, timeout, lang,
    )


@app.command("milestone")
def milestone(
    project_id: ProjectArg,
    milestone_id: Annotated[str, typer.Argument(help="Milestone id from the application, e.g. M1.")],
    note: Annotated[str, typer.Option("--note", help="How it was completed.")] = "",
    evidence: EvidenceOpt = None,
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """节点完成 Record a milestone done (late if after its deadline)."""
    _send(
        project_id,
        lambda a: CompleteMilestone(actor=a, milestone_id=milestone_id, note=note, evidence=evidence or []),
        actor_id, actors, request_id, timeout, lang,
    )


@app.command("report")
def report(
    project_id: ProjectArg,
    quarter: Annotated[int, typer.Option("--quarter", min=1, max=4, help="Quarter of the project year, 1–4.")],
    note: Annotated[str, typer.Option("--note", help="The progress report (季度进展报告).")],
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """季度进展报告 Submit a quarterly progress report; it stops the reminders and 催办 for that quarter."""
    _send(project_id, lambda a: SubmitQuarterlyReport(actor=a, quarter=quarter, note=note), actor_id, actors, request_id, timeout, lang)


@app.command("evaluate")
def evaluate(
    project_id: ProjectArg,
    rating: Annotated[Rating, typer.Option("--rating", help="good (好) / medium (一般) / poor (差).")],
    satisfaction: Annotated[float, typer.Option("--satisfaction", min=0, max=1, help="Satisfaction share, 0–1 (below the policy floor the result is poor).")],
    comments: Annotated[str, typer.Option("--comments", "--comment", help="Evaluation comments.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """年终评价 Evaluate the project (not its owner nor its reviewers); recorded for the 述职评议; poor → sanction proposal."""
    _send(
        project_id,
        lambda a: EvaluateProject(actor=a, rating=rating, satisfaction=satisfaction, comments=comments),
        actor_id, actors, request_id, timeout, lang,
    )


@app.command("promote")
def promote(
    project_id: ProjectArg,
    note: Annotated[str, typer.Option("--note", help="How it is promoted.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """典型推广 Promote a project rated good as a model (ends the project)."""
    _send(project_id, lambda a: PromoteProject(actor=a, note=note), actor_id, actors, request_id, timeout, lang)


@app.command("close")
def close(
    project_id: ProjectArg,
    note: Annotated[str, typer.Option("--note", help="Closing note.")] = "",
    actor_id: ActorOpt = None,
    actors: ActorsOpt = None,
    request_id: RequestOpt = None,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """结项 Close an evaluated project (any sanction proposal decided first)."""
    _send(project_id, lambda a: CloseProject(actor=a, note=note), actor_id, actors, request_id, timeout, lang)


def _decide(decision: SanctionDecision) -> Callable[..., None]:
    def command(
        project_id: ProjectArg,
        proposal: Annotated[str | None, typer.Option("--proposal", help="Proposal id (default: the one pending).")] = None,
        comment: Annotated[str, typer.Option("--comment", help="Decision note.")] = "",
        actor_id: ActorOpt = None,
        actors: ActorsOpt = None,
        request_id: RequestOpt = None,
        timeout: TimeoutOpt = 30,
        lang: LangOpt = Lang.zh,
    ) -> None:
        _send(
            project_id,
            lambda a: DecideSanction(actor=a, proposal_id=proposal, decision=decision, comment=comment),
            actor_id, actors, request_id, timeout, lang,
        )

    return command


sanction_app.command("approve", help="同意 Approve the pending sanction proposal (a sanction_approvers role; not the owner).")(
    _decide(SanctionDecision.APPROVED)
)
sanction_app.command("dismiss", help="不予处理 Dismiss the pending sanction proposal.")(_decide(SanctionDecision.DISMISSED))


# ----------------------------------------------------------------------------- reading


def _fold(rows: Sequence[AuditEvent]) -> ProjectState:
    from store.project_projection import project_state_from_rows

    return project_state_from_rows(rows)


def _read(db: str | None, project_id: str) -> list[AuditEvent]:
    rows = reading(db, lambda log: log.read_stream(project_id))
    if not rows or not project_id.startswith(PREFIX):
        raise CliError(f"unknown project {project_id}")
    return rows


@app.command("show")
def show(project_id: ProjectArg, db: DbOpt = None, as_json: JsonOpt = False, lang: LangOpt = Lang.zh) -> None:
    """查看项目 Show a project: application, reviews, milestones, quarterly reports, evaluation, sanctions."""

    def action() -> None:
        state = _fold(_read(db, project_id))
        if as_json:
            print(json.dumps(state.model_dump(mode="json"), ensure_ascii=False, indent=2))
        else:
            _detail(state, lang)

    run(action, lang)


def _detail(s: ProjectState, lang: Lang) -> None:
    from cli.render import console

    L = lambda key: label(key, lang.value)
    zh = lang == Lang.zh
    head = Table.grid(padding=(0, 2))
    head.add_row(L("word.project"), s.project_id)
    head.add_row(L("word.level"), enum_label("level", s.level, lang.value))
    head.add_row(L("word.org"), f"{s.org_name}（{s.org_code}）" if zh else f"{s.org_name} ({s.org_code})")
    head.add_row(L("word.region"), s.region)
    head.add_row(L("word.year"), str(s.year))
    head.add_row(L("word.owner"), s.owner)
    head.add_row(L("word.stage"), _stage(s.stage, lang))
    head.add_row(L("word.application"), enum_label("application", s.application_status, lang.value) + f" #{s.round}")
    head.add_row(L("word.revision_rounds"), str(s.revision_rounds))
    if s.application:
        a = s.application
        head.add_row(L("word.title"), a.title)
        head.add_row(L("word.problem"), a.problem)
        head.add_row(L("word.goals"), "；".join(a.goals) if zh else "; ".join(a.goals))
        head.add_row(L("word.measures"), "；".join(a.measures) if zh else "; ".join(a.measures))
        head.add_row(L("word.final_deadline"), _when(a.deadline))
    if s.evaluation:
        e = s.evaluation
        head.add_row(L("word.rating"), f"{enum_label('rating', e.rating, lang.value)} ({L('word.satisfaction')} {e.satisfaction:.0%}, {e.by})")
    console.print(head)

    if s.reviews:
        reviews = Table(title=L("word.reviews"), title_justify="left")
        for column in ("#", L("word.status"), L("word.actor"), L("word.time"), L("word.details")):
            reviews.add_column(column)
        for r in s.reviews:
            reviews.add_row(str(r.round), enum_label("application", r.decision, lang.value), r.by, _when(r.at), r.comments)
        console.print(reviews)

    milestones = Table(title=L("word.milestones"), title_justify="left")
    for column in ("ID", L("word.description"), L("word.deadline"), L("word.status")):
        milestones.add_column(column)
    for m in s.milestones:
        status = L("word.done") + (f"（{L('word.late')}）" if zh and m.late else (" (late)" if m.late else "")) if m.done else (L("word.overdue") if m.overdue else L("word.open"))
        milestones.add_row(m.id, m.description, _when(m.deadline), status)
    console.print(milestones)

    if s.reports:
        reports = Table(title=L("word.reports"), title_justify="left")
        for column in (L("word.quarter"), L("word.due"), L("word.status"), L("word.urges")):
            reports.add_column(column)
        for r in s.reports:
            if r.submitted_at:
                status = f"{L('word.submitted')} {_when(r.submitted_at)}" + (f" {L('word.late')}" if r.late else "")
            else:
                status = L("word.missing") if r.reminded else "-"
            reports.add_row(f"Q{r.quarter}", _when(r.due), status, str(r.urges))
        console.print(reports)

    if s.progress:
        ledger = Table(title=L("word.progress_ledger"), title_justify="left")
        for column in (L("word.time"), L("word.actor"), "ID", L("word.details")):
            ledger.add_column(column)
        for p in s.progress:
            ledger.add_row(_when(p.at), p.by, p.milestone_id or "-", p.note + (f" [{', '.join(p.evidence)}]" if p.evidence else ""))
        console.print(ledger)

    if s.proposals:
        sanctions = Table(title=L("word.sanctions"), title_justify="left")
        for column in ("ID", L("word.rung"), L("word.status"), L("word.due"), L("word.details")):
            sanctions.add_column(column)
        for p in s.proposals:
            sanctions.add_row(p.proposal_id, enum_label("rung", p.rung, lang.value), enum_label("proposal", p.status, lang.value), _when(p.decide_by), p.reason)
        console.print(sanctions)


@app.command("list")
def list_projects(
    year: Annotated[int | None, typer.Option("--year", help="Only this project year.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only this region / township.")] = None,
    level: Annotated[Level | None, typer.Option("--level", help="secretary (书记项目) / committee_member (委员项目) / branch (支部项目).")] = None,
    stage: Annotated[Stage | None, typer.Option("--stage", help="Only projects in this stage.")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """项目列表 List projects from the project ledger, with filters."""
    from store.project_models import ProjectSummary

    def query(log: Any) -> list[ProjectSummary]:
        statement = select(ProjectSummary).order_by(col(ProjectSummary.project_id))
        if year is not None:
            statement = statement.where(ProjectSummary.year == year)
        if region:
            statement = statement.where(ProjectSummary.region == region)
        if level:
            statement = statement.where(ProjectSummary.level == level.value)
        if stage:
            statement = statement.where(ProjectSummary.stage == stage.value)
        with Session(log.engine) as session:
            return list(session.exec(statement).all())

    def action() -> None:
        from cli.render import console

        rows = reading(db, query)
        if as_json:
            print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2, default=str))
            return
        L = lambda key: label(key, lang.value)
        table = Table()
        for column in (L("word.project"), L("word.level"), L("word.org"), L("word.region"), L("word.stage"), L("word.milestones"), L("word.reports"), L("word.urges"), L("word.rating"), L("word.next_due")):
            table.add_column(column)
        for r in rows:
            rating = enum_label("rating", r.rating, lang.value) + (f" {r.satisfaction:.0%}" if r.satisfaction is not None else "") if r.rating else "-"
            table.add_row(
                r.project_id,
                enum_label("level", r.level, lang.value),
                r.org_name,
                r.region,
                _stage(r.stage, lang) + (" ⚠" if r.overdue else ""),
                f"{r.milestones_done}/{r.milestones_total}",
                f"{r.quarterly_reports}/{r.reports_due}",
                str(r.urges_sent),
                rating,
                _when(r.next_due),
            )
        console.print(table)
        console.print(f"{len(rows)} " + ("个项目" if lang == Lang.zh else "project(s)"))

    run(action, lang)


def _details(event: Any, lang: Lang) -> str:
    data = event.model_dump(mode="json", exclude={"type", "at", "actor", "policy_version"})
    t = event.type
    if t in {"ProjectApplied", "ApplicationRevised"}:
        a = data["application"]
        return f"#{data['round']} {a['title']}: " + ", ".join(f"{m['id']}@{_when(datetime.fromisoformat(m['deadline']))}" for m in a["milestones"])
    if t == "ApplicationApproved":
        return ", ".join(f"Q{r['quarter']}@{_when(datetime.fromisoformat(r['due']))}" for r in data["reports_due"])
    if t == "ApplicationReturned":
        return f"{data['returns']}/{data['limit']} {data['comments']}"
    if t in {"ReportReminderSent", "ReportUrged"}:
        urge = f" {data['urge']}/{data['of']}" if t == "ReportUrged" else ""
        return f"Q{data['quarter']}{urge} → {','.join(data['recipients'])}"
    if t in {"MilestoneReminderSent", "MilestoneOverdue"}:
        return f"{data['milestone_id']} → {','.join(data['recipients'])}"
    if t == "ProjectEvaluated":
        return f"{enum_label('rating', data['rating'], lang.value)} {data['satisfaction']:.0%} {data['comments']}".strip()
    if t == "DutyReviewRecorded":
        return f"{data['secretary']}: {enum_label('rating', data['rating'], lang.value)}, {data['milestones_done']}/{data['milestones_total']}, urges {data['urges']}"
    if t in {"SanctionProposed", "SanctionDecided", "SanctionLapsed"}:
        extra = data.get("decision") and enum_label("proposal", data["decision"], lang.value) or data.get("reason", "")
        return f"{data['proposal_id']} {enum_label('rung', data['rung'], lang.value)} {extra}".strip()
    if t == "QuarterlyReportSubmitted":
        return f"Q{data['quarter']} {data['note']}" + (" (late)" if data["late"] else "")
    text = " ".join(str(data[k]) for k in ("milestone_id", "note", "comments") if data.get(k))
    evidence = data.get("evidence") or []
    return text + (f" [{', '.join(evidence)}]" if evidence else "")


@app.command("history")
def history(project_id: ProjectArg, db: DbOpt = None, as_json: JsonOpt = False, lang: LangOpt = Lang.zh) -> None:
    """全程纪实 The audit trail of a project: every event, who, when."""

    def action() -> None:
        from cli import render

        rows = _read(db, project_id)
        if as_json:
            render.print_json(render.history_json(rows))
            return
        L = lambda key: label(key, lang.value)
        table = Table()
        for column in (L("word.position"), "v", L("word.time"), L("word.event"), L("word.actor"), L("word.details")):
            table.add_column(column)
        for r in rows:
            event = EVENT_ADAPTER.validate_json(r.payload)
            table.add_row(str(r.position), str(r.version), _when(event.at), label(f"event.{r.event_type}", lang.value), r.actor, _details(event, lang))
        render.console.print(table)

    run(action, lang)
