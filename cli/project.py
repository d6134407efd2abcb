"""`pdca project`: 书记项目 secretary / committee-member / branch projects.

年初领题、年中解题、年末结题: apply (立项) → panel review with revision rounds → milestones, progress
ledger and quarterly reports (reminders and 催办 fire on their own) → year-end evaluation (述职评议
record) → promoted as a model (典型推广) or closed; a poor result raises a sanction proposal.

Every command calls one function of service/projects.py (the reads: service/project_reads.py); the
screens are in cli/project_view.py (and the history screen in cli/history_view.py). At the top only what
the commands' signatures need: each command imports the service it uses, so `pdca project list` does not
import Temporal's client (as `pdca case list`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import EvidenceOpt, PolicyOpt, RequestOpt, change, deps, emit, noun, opts, run
from domain.project import Level, Rating, Stage
from domain.rungs import SanctionDecision

if TYPE_CHECKING:
    from service.commands import Done
    from service.projects import ApplicationFile

HELP = """书记项目 secretary / committee-member / branch projects (书记项目、委员项目、支部项目).

Apply with a YAML file (立项), review with return-for-revision rounds, record milestones, progress and
quarterly reports, evaluate at year end (good / medium / poor + satisfaction), then promote as a
model (典型推广) or close. Reminders and 催办 for missing quarterly reports fire on their own.
"""

app = noun(HELP)
sanction_app = noun("问责提议 decide the sanction proposal a poor evaluation raised: approve or dismiss.")
app.add_typer(sanction_app, name="sanction")

ProjectArg = Annotated[
    str,
    typer.Argument(
        help="Project id, e.g. proj-secretary-V001-2027 or proj-committee_member-V001-2027-wy-01 (printed by `pdca project apply`)."
    ),
]
CommentsOpt = Annotated[str, typer.Option("--comments", "--comment", help="Review comments.")]


def _load(path: Path) -> ApplicationFile:
    from service.projects import ApplicationFile
    from settings.files import read_yaml, validate

    data, node = read_yaml(path)
    return validate(ApplicationFile, data, node, path)


# ----------------------------------------------------------------------------- applying and review


@app.command("apply")
def apply(
    file: Annotated[
        Path,
        typer.Argument(
            help="Application YAML: level, org_code, org_name, region, year, title, problem, goals, measures, milestones, deadline."
        ),
    ],
    policy_file: PolicyOpt = None,
) -> None:
    """立项申请 Apply for a project; the applicant leads it (its owner). One 书记项目 per organization and year;
    委员项目 / 支部项目 one per person: several per organization and year, the id ends with the person's id."""

    from service import projects
    from settings.directory import load_policy

    def send(actor: Any) -> Awaitable[Done]:
        policy = load_policy(policy_file)
        return projects.apply(deps(), projects.opening(_load(file), actor), policy)

    change(send)


@app.command("return")
def return_(
    project_id: ProjectArg,
    comments: Annotated[str, typer.Option("--comments", "--comment", help="What must change (required).")],
    request_id: RequestOpt = None,
) -> None:
    """退回修改 Return the application for revision (at most the policy's max_revision_rounds times)."""
    from service import projects

    change(lambda a: projects.return_application(deps(), project_id, a, comments, request_id))


@app.command("revise")
def revise(
    project_id: ProjectArg,
    file: Annotated[Path, typer.Argument(help="The revised application YAML (same format as for apply).")],
    note: Annotated[str, typer.Option("--note", help="What changed.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """修改后重新申报 Resubmit a returned application (the owner only)."""
    from service import projects

    change(lambda a: projects.revise(deps(), project_id, a, _load(file), note, request_id))


@app.command("approve")
def approve(project_id: ProjectArg, comments: CommentsOpt = "", request_id: RequestOpt = None) -> None:
    """批准立项 Approve the application (not its owner); quarterly report due dates are set."""
    from service import projects

    change(lambda a: projects.approve(deps(), project_id, a, comments, request_id))


@app.command("reject")
def reject(
    project_id: ProjectArg,
    comments: Annotated[str, typer.Option("--comments", "--comment", help="Why (required).")],
    request_id: RequestOpt = None,
) -> None:
    """不予立项 Reject the application (the end of it; the only choice besides approval once the revision limit is used)."""
    from service import projects

    change(lambda a: projects.reject(deps(), project_id, a, comments, request_id))


# ----------------------------------------------------------------------------- doing


@app.command("progress")
def progress(
    project_id: ProjectArg,
    note: Annotated[str, typer.Option("--note", help="What was done (进展台账).")],
    milestone: Annotated[str | None, typer.Option("--milestone", help="The milestone it concerns, e.g. M1.")] = None,
    evidence: EvidenceOpt = None,
    request_id: RequestOpt = None,
) -> None:
    """进展记录 Add an entry to the progress ledger."""
    from service import projects

    change(lambda a: projects.record_progress(deps(), project_id, a, note, milestone, evidence or [], request_id))


@app.command("milestone")
def milestone(
    project_id: ProjectArg,
    milestone_id: Annotated[str, typer.Argument(help="Milestone id from the application, e.g. M1.")],
    note: Annotated[str, typer.Option("--note", help="How it was completed.")] = "",
    evidence: EvidenceOpt = None,
    request_id: RequestOpt = None,
) -> None:
    """节点完成 Record a milestone done (late if after its deadline)."""
    from service import projects

    change(lambda a: projects.complete_milestone(deps(), project_id, a, milestone_id, note, evidence or [], request_id))


@app.command("report")
def report(
    project_id: ProjectArg,
    quarter: Annotated[int, typer.Option("--quarter", min=1, max=4, help="Quarter of the project year, 1–4.")],
    note: Annotated[str, typer.Option("--note", help="The progress report (季度进展报告).")],
    request_id: RequestOpt = None,
) -> None:
    """季度进展报告 Submit a quarterly progress report; it stops the reminders and 催办 for that quarter."""
    from service import projects

    change(lambda a: projects.submit_report(deps(), project_id, a, quarter, note, request_id))


# ----------------------------------------------------------------------------- year end


@app.command("evaluate")
def evaluate(
    project_id: ProjectArg,
    rating: Annotated[Rating, typer.Option("--rating", help="good (好) / medium (一般) / poor (差).")],
    satisfaction: Annotated[
        float, typer.Option("--satisfaction", min=0, max=1, help="Satisfaction share, 0–1 (below the policy floor the result is poor).")
    ],
    comments: Annotated[str, typer.Option("--comments", "--comment", help="Evaluation comments.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """年终评价 Evaluate the project (not its owner nor its reviewers); recorded for the 述职评议; poor → sanction proposal."""
    from service import projects

    change(lambda a: projects.evaluate(deps(), project_id, a, rating, satisfaction, comments, request_id))


@app.command("promote")
def promote(
    project_id: ProjectArg,
    note: Annotated[str, typer.Option("--note", help="How it is promoted.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """典型推广 Promote a project rated good as a model (ends the project)."""
    from service import projects

    change(lambda a: projects.promote(deps(), project_id, a, note, request_id))


@app.command("close")
def close(
    project_id: ProjectArg,
    note: Annotated[str, typer.Option("--note", help="Closing note.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """结项 Close an evaluated project (any sanction proposal decided first)."""
    from service import projects

    change(lambda a: projects.close(deps(), project_id, a, note, request_id))


def _sanction_decision(decision: SanctionDecision) -> Callable[..., None]:
    def command(
        project_id: ProjectArg,
        proposal: Annotated[str | None, typer.Option("--proposal", help="Proposal id (default: the one pending).")] = None,
        comment: Annotated[str, typer.Option("--comment", help="Decision note.")] = "",
        request_id: RequestOpt = None,
    ) -> None:
        from service import projects

        change(lambda a: projects.decide_sanction(deps(), project_id, a, decision, proposal, comment, request_id))

    return command


sanction_app.command("approve", help="同意 Approve the pending sanction proposal (a sanction_approvers role; not the owner).")(
    _sanction_decision(SanctionDecision.APPROVED)
)
sanction_app.command("dismiss", help="不予处理 Dismiss the pending sanction proposal.")(_sanction_decision(SanctionDecision.DISMISSED))


# ----------------------------------------------------------------------------- reading


@app.command("show")
def show(project_id: ProjectArg) -> None:
    """查看项目 Show a project: application, reviews, milestones, quarterly reports, evaluation, sanctions."""
    from cli import project_view as view
    from service import projects

    def action() -> None:
        state = projects.show(deps(), project_id)
        emit(state, lambda: view.detail(state, opts().lang.value))

    run(action)


@app.command("list")
def list_projects(
    year: Annotated[int | None, typer.Option("--year", help="Only this project year.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only this region / township.")] = None,
    level: Annotated[
        Level | None, typer.Option("--level", help="secretary (书记项目) / committee_member (委员项目) / branch (支部项目).")
    ] = None,
    stage: Annotated[Stage | None, typer.Option("--stage", help="Only projects in this stage.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only the projects this person leads (person id).")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Only this organization code.")] = None,
    page: Annotated[int, typer.Option("--page", min=1, help="Which page, from 1.")] = 1,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=1000, help="Projects per page.")] = 50,
    every: Annotated[bool, typer.Option("--all", help="Every matching project on one page (no --page).")] = False,
) -> None:
    """项目列表 List projects a page at a time, with filters and the total (from the project ledger, by id).

    The last line is the total and the page: 共 930 个项目，第 1/19 页. With -o json:
    {"rows": [...], "total": 930, "page": 1, "pages": 19, "page_size": 50}.
    """
    from cli import project_view as view
    from service import project_reads
    from service.errors import InvalidField

    def action() -> None:
        if every and page != 1:
            raise InvalidField("page", "--all lists every project on one page: leave out --page")
        found = project_reads.list_page(
            deps(),
            year=year,
            region=region,
            level=level.value if level else None,
            stage=stage.value if stage else None,
            owner=owner,
            org_code=org,
            page=1 if every else page,
            page_size=None if every else page_size,
        )
        emit(found, lambda: view.project_list(found, opts().lang.value))

    run(action)


@app.command("history")
def history(project_id: ProjectArg) -> None:
    """全程纪实 The audit trail of a project: every event, who, when."""
    from cli import history_view
    from service import projects

    def action() -> None:
        rows = projects.history(deps(), project_id)
        emit(history_view.history_json(rows), lambda: history_view.history(rows, opts().lang.value))

    run(action)
