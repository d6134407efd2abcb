"""`pdca rating`: 评星定级 star ratings: self-assessment 自评, township review 审核, county approval 审定, 公示, 降星, report.

Every command calls one function of service/ratings.py; the screens are in cli/rating_view.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import history_view
from cli import rating_view as view
from cli.common import PolicyOpt, RequestOpt, acting, change, deps, emit, noun, opts, run, run_async, run_then_exit
from service import ratings
from service.ratings import AssessmentFile
from settings.directory import load_policy
from settings.errors import InputError
from settings.files import read_yaml, validate

HELP = """评星定级 star ratings: self-assessment 自评, township review 审核, county approval 审定, 公示, 降星, report.

Each organization is rated 1–5 stars a year against the policy's star standard (rating.standards: items,
points, veto items, what each level needs). The county opens the year's ratings; the organization assesses
itself with evidence; the township reviews it or returns it; the county approves a level the gates grant
(进关) and publishes it for objections (公示); when the window ends with no objection open the level is
decided, written to the organization's year in the directory, and managed through the year: a veto event
lowers it (降星). A case closed 晋位升级 proposes an upgrade; lowered levels feed the next designation.
See docs/rating.md.
"""

app = noun(HELP)

RatingArg = Annotated[str, typer.Argument(help="评星编号 Rating id, e.g. star-V001-2027 (star-<organization>-<year>).")]
Level = Annotated[int | None, typer.Option("--level", min=1, max=5, help="星级 Level, 1–5.")]


def _load(path: Path) -> AssessmentFile:
    data, node = read_yaml(path)
    result: AssessmentFile = validate(AssessmentFile, data, node, path)
    with_files = [i for i, s in enumerate(result.scores) if s.files]
    if with_files:  # a hash the file names proves nothing was uploaded: files go through the console's store
        raise InputError(
            f"{path}: scores.{with_files[0]}.files: 佐证文件请在工作台上传，命令行只填 evidence（档案号、文件名）/ "
            "upload evidence files in the console; the CLI takes references (evidence)"
        )
    return result


@app.command("open")
def open_ratings(
    year: Annotated[int, typer.Option("--year", help="评星年度 The year rated, e.g. 2027.")],
    org: Annotated[
        list[str] | None, typer.Option("--org", help="Only this organization code (repeatable) [default: every organization].")
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only this township's organizations.")] = None,
    policy_file: PolicyOpt = None,
) -> None:
    """启动评星 Open the year's ratings: one per organization of the directory (or of --region / --org) without one yet."""

    def action() -> None:
        actor, policy = acting(), load_policy(policy_file)
        result = run_async(ratings.open_year(deps(), year, actor, policy, region=region, codes=org or None))
        emit(result, lambda: view.opening(result, year, opts().lang.value))
        if result.failed:
            raise typer.Exit(1)

    run_then_exit(action)


@app.command("assess")
def assess(
    rating_id: RatingArg,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="自评 YAML: scores ({item: points} or [{code, points, evidence, note}]), vetoes, note; "
            "see examples/rating-self-assessment.yaml.",
        ),
    ],
    request_id: RequestOpt = None,
) -> None:
    """提交自评 The organization's self-assessment: every point item scored, with evidence; veto items that occurred."""
    change(lambda a: ratings.assess(deps(), rating_id, a, _load(file), request_id))


@app.command("review")
def review(
    rating_id: RatingArg,
    comment: Annotated[str, typer.Option("--comment", help="审核意见 The township's comment (required).")],
    file: Annotated[
        Path | None, typer.Option("--file", help="Corrected scores (same YAML as assess; items left out keep the organization's).")
    ] = None,
    request_id: RequestOpt = None,
) -> None:
    """审核上报 The township reviews the self-assessment (correcting scores if need be) and reports it to the county."""
    change(lambda a: ratings.review(deps(), rating_id, a, comment, _load(file) if file else None, request_id))


@app.command("return")
def return_rating(
    rating_id: RatingArg,
    comment: Annotated[str, typer.Option("--comment", help="退回理由 Why (required).")],
    request_id: RequestOpt = None,
) -> None:
    """退回 Return the self-assessment to the organization (township: 退回修改) or the review to the township (county: 退回复核)."""
    change(lambda a: ratings.return_rating(deps(), rating_id, a, comment, request_id))


@app.command("approve")
def approve(
    rating_id: RatingArg,
    level: Level = None,
    comment: Annotated[str, typer.Option("--comment", help="审定意见.")] = "",
    request_id: RequestOpt = None,
) -> None:
    """审定并公示 Approve a level (default: the highest the gates grant; never above) and publish it for objections (signed)."""
    change(lambda a: ratings.approve(deps(), rating_id, a, level, comment, request_id))


@app.command("object")
def object_to(
    rating_id: RatingArg,
    text: Annotated[str, typer.Option("--text", help="异议内容 The objection (required).")],
    source: Annotated[str, typer.Option("--source", help="Who raised it (a name, 匿名, 来信, a hotline).")] = "",
    request_id: RequestOpt = None,
) -> None:
    """记录异议 Record an objection received during 公示: the level is not decided until it is resolved."""
    change(lambda a: ratings.object_to(deps(), rating_id, a, text, source, request_id))


@app.command("resolve")
def resolve(
    rating_id: RatingArg,
    objection_id: Annotated[str, typer.Argument(help="异议编号 Objection id, e.g. O1.")],
    upheld: Annotated[bool, typer.Option("--upheld/--dismissed", help="成立 / 不成立.")],
    note: Annotated[str, typer.Option("--note", help="处理意见 (required).")],
    level: Level = None,
    request_id: RequestOpt = None,
) -> None:
    """处理异议 Resolve an objection: upheld with the (lower) --level it decides, or dismissed (signed)."""
    change(lambda a: ratings.resolve(deps(), rating_id, a, objection_id, upheld, note, level, request_id))


@app.command("veto")
def veto(
    rating_id: RatingArg,
    item: Annotated[str, typer.Option("--item", help="否决事项 A veto item of the standard, e.g. designated, discipline, incident.")],
    source: Annotated[
        str, typer.Option("--source", help="A case id (rect-V001-2027), an inspection finding (insp-2027-001/F2), or manual (with --note).")
    ],
    note: Annotated[str, typer.Option("--note", help="Why (required with --source manual).")] = "",
    request_id: RequestOpt = None,
) -> None:
    """记录否决事项 A veto item occurred: a decided level falls to the veto level (降星); before, the gates apply it (signed)."""
    change(lambda a: ratings.veto(deps(), rating_id, a, item, source, note, request_id))


@app.command("sync")
def sync(
    year: Annotated[int, typer.Option("--year", help="评星年度 The year rated.")],
    policy_file: PolicyOpt = None,
) -> None:
    """动态管理 Record as veto events (降星) cases opened and findings referred to a designation since each level was decided."""

    def action() -> None:
        result = run_async(ratings.sync(deps(), year, acting(), load_policy(policy_file)))
        emit(result, lambda: view.synced(result, opts().lang.value))
        if result.failed:
            raise typer.Exit(1)

    run_then_exit(action)


@app.command("show")
def show(rating_id: RatingArg, policy_file: PolicyOpt = None) -> None:
    """查看评星 Show a rating: scores at each step, what the gates grant and why not higher, objections, veto events."""

    def action() -> None:
        state = ratings.show(deps(), rating_id)
        emit(state, lambda: view.detail(state, load_policy(policy_file), opts().lang.value))

    run(action)


@app.command("list")
def list_ratings(
    year: Annotated[int | None, typer.Option("--year", help="Only this year.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Only this township.")] = None,
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage",
            help="self_assessment 待自评 / township_review 乡镇审核 / county_review 县级审定 / publicity 公示中 / "
            "rated 已定级 / archived 已归档.",
        ),
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Only this organization code.")] = None,
) -> None:
    """评星台账 List ratings: stage, the level at each step, last year's, veto events, objections."""

    def action() -> None:
        rows = ratings.list_ratings(deps(), year=year, region=region, stage=stage, org_code=org)
        emit([r.model_dump(mode="json") for r in rows], lambda: view.rating_list(rows, opts().lang.value))

    run(action)


@app.command("report")
def report(
    year: Annotated[int, typer.Option("--year", help="评星年度 The year rated.")],
    region: Annotated[str | None, typer.Option("--region", help="Only this township.")] = None,
) -> None:
    """评星定级情况 Distribution by level, 升星 / 降星 against last year, mid-year downgrades, 晋位升级, per township."""

    def action() -> None:
        result = ratings.report(deps(), year, region=region)
        emit(result, lambda: view.report(result, opts().lang.value))

    run(action)


@app.command("history")
def history(rating_id: RatingArg) -> None:
    """全程纪实 The audit trail of a rating: every event, who, when."""

    def action() -> None:
        rows = ratings.history(deps(), rating_id)
        emit(history_view.history_json(rows), lambda: history_view.history(rows, opts().lang.value))

    run(action)
